"""The audit log in words: what an action, an object type and a field are called in the reader's
language, and a stored value as a person reads it ("fält: före → efter"). The codes themselves
stay in the log (and one click away on the page) for whoever needs the technical record."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import formats, roles

# Actions by their code, or by the code's first part ("key.approved" → "key").
ACTION_LABELS = {
    "auth.login": gettext_lazy("logged in"),
    "auth.logout": gettext_lazy("logged out"),
    "auth.login_failed": gettext_lazy("failed login"),
    "auth.locked_out": gettext_lazy("login locked"),
    "user.email": gettext_lazy("changed their e-mail address"),
    "user.access": gettext_lazy("changed a user's access"),
    "user.create": gettext_lazy("created a user"),
    "token.create": gettext_lazy("created an API token"),
    "token.revoke": gettext_lazy("revoked an API token"),
    "key.compute": gettext_lazy("computed a key"),
    "key.proposed": gettext_lazy("proposed a key"),
    "key.approved": gettext_lazy("approved a key"),
    "key.rejected": gettext_lazy("rejected a key"),
    "key.superseded": gettext_lazy("marked a key superseded"),
    "settlement.create": gettext_lazy("drafted a settlement"),
    "settlement.proposed": gettext_lazy("proposed a settlement"),
    "settlement.approved": gettext_lazy("approved a settlement"),
    "settlement.rejected": gettext_lazy("rejected a settlement"),
    "run.create": gettext_lazy("made an allocation run"),
    "publication.create": gettext_lazy("published a month"),
    "postings.export": gettext_lazy("posted to the ledger"),
    "postings.post": gettext_lazy("posted to the ledger"),
    "pool.key": gettext_lazy("gave a cost pool its approved key"),
    "price.proposed": gettext_lazy("proposed a price"),
    "price.approved": gettext_lazy("approved a price"),
    "price.rejected": gettext_lazy("rejected a price"),
    "goal_targets.create": gettext_lazy("drafted effect-goal targets"),
    "goal_targets.change": gettext_lazy("changed draft effect-goal targets"),
    "goal_targets.proposed": gettext_lazy("proposed effect-goal targets"),
    "goal_targets.approved": gettext_lazy("approved effect-goal targets"),
    "goal_targets.rejected": gettext_lazy("rejected effect-goal targets"),
    "goal_targets.superseded": gettext_lazy("marked effect-goal targets superseded"),
    "user.notifications": gettext_lazy("chose their notifications"),
    "pool.change": gettext_lazy("changed a cost pool"),
    "import.upload": gettext_lazy("uploaded a file"),
    "import.loaded": gettext_lazy("loaded a file"),
    "import.requeue": gettext_lazy("ran an import again"),
    "import.replace_confirmed": gettext_lazy("confirmed a replacement"),
    "grouping_map.draft": gettext_lazy("drafted a map change"),
    "grouping_map.delete": gettext_lazy("deleted a map row"),
    "create": gettext_lazy("created"),
    "change": gettext_lazy("changed"),
    "delete": gettext_lazy("deleted"),
}

OBJECT_LABELS = {
    "administration": gettext_lazy("administration"),
    "allocation_key": gettext_lazy("allocation key"),
    "allocation_run": gettext_lazy("allocation run"),
    "centre_cost": gettext_lazy("contact centre cost"),
    "channel": gettext_lazy("channel"),
    "cost_pool": gettext_lazy("cost pool"),
    "data_source": gettext_lazy("data source"),
    "evaluation_text": gettext_lazy("text of the yearly evaluation"),
    "goal_target_set": gettext_lazy("effect-goal targets"),
    "grouping_map_version": gettext_lazy("grouping map"),
    "import_batch": gettext_lazy("import batch"),
    "posting_profile": gettext_lazy("posting profile"),
    "pool_price": gettext_lazy("price of a cost pool"),
    "publication": gettext_lazy("publication"),
    "publication_schedule": gettext_lazy("publication schedule"),
    "settlement": gettext_lazy("settlement"),
    "token": gettext_lazy("API token"),
    "user": gettext_lazy("user"),
    "group": gettext_lazy("role"),
}

# Codes stored as values (a decision's status, a role) in the reader's words.
STATUS_LABELS = {
    "draft": gettext_lazy("draft"),
    "proposed": gettext_lazy("proposed"),
    "approved": gettext_lazy("approved"),
    "rejected": gettext_lazy("rejected"),
    "superseded": gettext_lazy("superseded"),
}

# Fields that are the technical record of a change rather than the change itself.
TECHNICAL_FIELDS = {"address", "agent", "os_user", "sha256", "profile"}
FIELD_LABELS = {
    "address": gettext_lazy("network address"),
    "agent": gettext_lazy("browser"),
    "email": gettext_lazy("e-mail address"),
    "groups": gettext_lazy("roles"),
    "permissions": gettext_lazy("permissions"),
    "administrations": gettext_lazy("administrations"),
    "heads": gettext_lazy("department heads"),
    "groupings": gettext_lazy("groupings"),
    "month": gettext_lazy("month"),
    "version": gettext_lazy("version"),
    "opted_out": gettext_lazy("notifications turned off"),
    "vouchers": gettext_lazy("vouchers"),
    "total_debits": gettext_lazy("debits (kr)"),
    "posting": gettext_lazy("posting"),
}
DECIMAL = re.compile(r"-?\d+\.\d+")


def action_label(code: str) -> str:
    if code in ACTION_LABELS:
        return str(ACTION_LABELS[code])
    last = code.rsplit(".", 1)[-1]
    return str(ACTION_LABELS.get(last, code))


def object_label(code: str) -> str:
    return str(OBJECT_LABELS.get(code, code.replace("_", " ")))


@cache
def _model_fields() -> dict[str, Any]:
    """Every field name of the project's models with its verbose name (the first model wins)."""
    from django.apps import apps

    names: dict[str, Any] = {}
    for model in apps.get_models():
        if model._meta.app_label not in ("cases", "imports", "allocation"):
            continue
        for f in model._meta.get_fields():
            verbose = getattr(f, "verbose_name", None)
            if verbose is not None and f.name not in names:
                names[f.name] = verbose
    return names


def field_label(name: str) -> str:
    label = FIELD_LABELS.get(name) or _model_fields().get(name)
    return str(label) if label is not None else name.replace("_", " ")


def value_shown(value: Any) -> str:
    """A stored value as it is read: yes/no, a dash for nothing, decimals the reader's way, a list
    joined, an object as "key: value" pairs."""
    if value is None or value == "":
        return formats.DASH
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return formats.number(value, 0 if isinstance(value, int) else 2)
    if isinstance(value, list):
        return ", ".join(value_shown(v) for v in value) or formats.DASH
    if isinstance(value, dict):
        return "; ".join(f"{k}: {value_shown(v)}" for k, v in value.items()) or formats.DASH
    text = str(value)
    if text in STATUS_LABELS:
        return str(STATUS_LABELS[text])
    if text in (roles.FINANCE, roles.DEPARTMENT_HEAD, roles.STEERING_GROUP):
        return roles.role_label(text)
    if DECIMAL.fullmatch(text):
        return formats.number(text, len(text.split(".")[1]))
    return text


def changes_in_words(before: Any, after: Any) -> list[tuple[str, str, str]]:
    """The fields that changed as (field, before, after) in the reader's words; technical fields
    (address, browser, checksums, profiles) are left to the technical detail."""
    if not isinstance(before, dict) and not isinstance(after, dict):
        if before == after:
            return []
        return [("–", value_shown(before), value_shown(after))]
    b = before if isinstance(before, dict) else {}
    a = after if isinstance(after, dict) else {}
    return [
        (field_label(k), value_shown(b.get(k)) if k in b else formats.DASH, value_shown(a.get(k)))
        for k in sorted(set(b) | set(a))
        if b.get(k) != a.get(k) and k not in TECHNICAL_FIELDS
    ]
