"""Column names: each canonical column, its Swedish and other synonyms, and channel names."""

from __future__ import annotations

from typing import Any

from django.utils.translation import pgettext_lazy

# --- Column names --------------------------------------------------------------------------


def normalise_header(text: Any) -> str:
    value = "" if text is None else str(text)
    value = value.replace("\ufeff", "").strip().lower()
    for ch in (" ", "-", "."):
        value = value.replace(ch, "_")
    while "__" in value:
        value = value.replace("__", "_")
    return value.strip("_")


def _synonyms(table: dict[str, list[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for canonical, names in table.items():
        for name in [canonical, *names]:
            out[normalise_header(name)] = canonical
    return out


CASE_COLUMNS = _synonyms(
    {
        "case_id": ["ärende_id", "ärendeid", "ärendenummer", "ärendenr", "id"],
        "opened_at": ["öppnad", "skapad", "registrerad", "datum", "tidpunkt", "starttid"],
        "channel": ["kanal", "kontaktväg"],
        "grouping": ["ärendegruppering", "gruppering", "kategori", "ärendetyp"],
        "handle_seconds": ["hanteringstid", "handläggningstid", "samtalstid", "hanteringstid_s"],
        "wait_seconds": ["väntetid", "kötid", "väntetid_s"],
        "resolved_first_contact": ["löst_vid_första_kontakt", "löst_direkt", "fcr", "löst_första_kontakt"],
        "forwarded_to": ["vidarebefordrad_till", "kopplad_till", "överlämnad_till"],
        "outcome": ["utfall", "resultat"],
    }
)
CASE_REQUIRED = ("case_id", "opened_at", "channel", "grouping")

AGGREGATE_COLUMNS = _synonyms(
    {
        "month": ["månad", "period"],
        "grouping": ["ärendegruppering", "gruppering", "kategori"],
        "cases": ["antal", "ärenden", "antal_ärenden"],
        "channel": ["kanal"],
        "handle_seconds": ["hanteringstid", "handläggningstid"],
    }
)
AGGREGATE_REQUIRED = ("month", "grouping", "cases")

MAP_COLUMNS = _synonyms(
    {
        "grouping": ["ärendegruppering", "gruppering"],
        "name": ["namn", "benämning"],
        "administration": ["förvaltning"],
        "fraction": ["andel"],
        "central": ["centralt", "centralt_finansierad"],
        "ended": ["upphör", "avslutad"],
        "valid_from": ["giltig_från", "gäller_från"],
    }
)
MAP_REQUIRED = ("grouping", "administration", "valid_from")

ADMIN_COLUMNS = _synonyms(
    {
        "code": ["kod", "förvaltningskod"],
        "name": ["namn"],
        "cost_centre": ["kostnadsställe", "ansvar"],
        "valid_from": ["giltig_från"],
        "valid_to": ["giltig_till"],
    }
)
ADMIN_REQUIRED = ("code", "name")


CHANNEL_SYNONYMS = {
    "phone": "phone",
    "telefon": "phone",
    "tel": "phone",
    "samtal": "phone",
    "email": "email",
    "e_mail": "email",
    "e_post": "email",
    "epost": "email",
    "mejl": "email",
    "mail": "email",
    "chat": "chat",
    "chatt": "chat",
    "visit": "visit",
    "besök": "visit",
    "fysiskt_besök": "visit",
    "eservice": "eservice",
    "e_service": "eservice",
    "e_tjänst": "eservice",
    "etjänst": "eservice",
    "social": "social",
    "sociala_medier": "social",
    "letter": "letter",
    "brev": "letter",
    "unspecified": "unspecified",
    "ospecificerad": "unspecified",
}

# The channels as a reader of the file's errors is told them (each is also accepted in a file).
CHANNEL_WORDS = {
    "phone": pgettext_lazy("channel in a file", "phone"),
    "email": pgettext_lazy("channel in a file", "email"),
    "chat": pgettext_lazy("channel in a file", "chat"),
    "visit": pgettext_lazy("channel in a file", "visit"),
    "eservice": pgettext_lazy("channel in a file", "eservice"),
    "social": pgettext_lazy("channel in a file", "social"),
    "letter": pgettext_lazy("channel in a file", "letter"),
    "unspecified": pgettext_lazy("channel in a file", "unspecified"),
}

TRUE_WORDS = {"1", "true", "ja", "j", "yes", "y", "sant"}
FALSE_WORDS = {"0", "false", "nej", "n", "no", "falskt"}


def channel_code(text: str) -> str | None:
    return CHANNEL_SYNONYMS.get(normalise_header(text))
