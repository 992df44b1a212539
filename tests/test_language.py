"""Every page of the access walk, for each role: numbers written the Swedish way in the Swedish
interface (1 444 751,93 kr, 4,62 %), and not one Swedish text of the catalogue in the English one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from allocation.models import CostPool
from allocation.runs.allocate import allocation_run_create
from tests.test_access import _url as url_for
from tests.test_access import all_urls

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# A decimal point, or five digits and more without a thousands space, standing as a number of its own
# (not inside a date 2026-03-01, a time 10:00, a code UF-01, a file name or an identifier).
DOT_DECIMAL = re.compile(r"(?<![\w.,\-/:#])\d+\.\d+(?![\w.\-/:])")
UNGROUPED = re.compile(r"(?<![\w.,\-/:#])\d{5,}(?![\w\-/:])")
QUOTED = ("WCAG 2.1",)  # names that contain a number, not figures
SKIPPED_TAGS = {"script", "style", "code", "pre", "kbd", "samp", "textarea", "template"}


@pytest.fixture(autouse=True)
def language_reset():  # type: ignore[no-untyped-def]
    """The test client's last request leaves its language active in this thread: the next test
    file must not inherit English from the English walk."""
    yield
    translation.deactivate()


class _VisibleText(HTMLParser):
    """The text a reader sees: no scripts, styles or code samples (case ids, JSON and file names
    are shown there as they are written)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._page_lang: str | None = None
        self._other_lang: list[str] = []  # open elements marked as written in another language

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        lang = dict(attrs).get("lang")
        if tag == "html":
            self._page_lang = lang
        elif lang and self._page_lang and lang != self._page_lang:
            # Stored text in the language it was recorded in, marked so (WCAG 3.1.2): a batch's
            # message and row errors are kept as they were written.
            self._other_lang.append(tag)
            self._skipping += 1
        if tag in SKIPPED_TAGS:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if self._other_lang and self._other_lang[-1] == tag:
            self._other_lang.pop()
            self._skipping -= 1
        if tag in SKIPPED_TAGS and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        text = data.strip()
        # A stored record shown as JSON (audit entries, a run's inputs) is data as it is kept, like code.
        if not self._skipping and text and not (text[0] in "{[" and text[-1] in "}]"):
            self.parts.append(text)


def visible_text(page: str) -> str:
    parser = _VisibleText()
    parser.feed(page)
    return "\n".join(parser.parts)


def unswedish_numbers(text: str) -> list[str]:
    """Figures not written the Swedish way, each with a little of its context."""
    for name in QUOTED:
        text = text.replace(name, "")
    found = []
    for pattern in (DOT_DECIMAL, UNGROUPED):
        for match in pattern.finditer(text):
            found.append(text[max(match.start() - 30, 0) : match.end() + 10].replace("\n", " | "))
    return found


def test_the_scan_finds_what_it_should():
    assert unswedish_numbers("Debiterat 1444751.93 kr, 4.62 %, 14698 ärenden")
    assert len(unswedish_numbers("1444751,93 kr")) == 1
    assert not unswedish_numbers("1\u00a0444\u00a0751,93\u00a0kr, 4,62\u00a0%, 14\u00a0698 ärenden, 656,6 ärenden")
    assert not unswedish_numbers("2026-03-01 10:00:00, UF-01, batch #12, telefoni-2026-10.csv, WCAG 2.1, 2026")
    assert visible_text("<p>1 kr<script>var x = 1.5;</script><code>12345</code></p>") == "1 kr"
    assert visible_text('<html lang="en"><p lang="sv">1 rad har fel</p><p lang="en">ok</p></html>') == "ok"


@pytest.fixture
def large_world(world):
    """The walk's world with a pool of millions, so amounts have thousands to group."""
    users, samples = world
    key_id = samples["key_id"]
    from allocation.models import AllocationKey

    pool = CostPool.objects.create(
        name="Stor", year=2026, gross_amount=Decimal("14550000.00"), key=AllocationKey.objects.get(pk=key_id)
    )
    allocation_run_create(key=pool.key, pool=pool)
    return users, samples


def _pages(users, samples, role: str, language: str) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(users[role])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for name, pattern in all_urls():
        if name in ("logout", "admin:logout", "set_language", "allocation:key-decision", "api-docs"):
            continue
        path = url_for(name, pattern, samples)
        if path is None:
            continue
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        yield path, response.content.decode()
    # Pages that show more with a query: a comparison with an amount, another year's frames.
    key = samples["key_id"]
    for path in (f"/allocation/keys/compare/?a={key}&b={key}&amount=1444751,93", "/allocation/budgetramar/?year=2026"):
        response = client.get(path)
        if response.status_code == 200:
            yield path, response.content.decode()


@pytest.mark.parametrize("role", ["finance", "steering", "head"])
def test_every_page_writes_numbers_the_swedish_way(large_world, role):
    users, samples = large_world
    failures, checked = [], 0
    for path, page in _pages(users, samples, role, "sv"):
        checked += 1
        failures += [f"{path}: …{found}…" for found in unswedish_numbers(visible_text(page))]
    assert checked >= (5 if role == "head" else 25), checked
    assert not failures, "\n".join(failures)


def _catalogue_texts(side: str) -> list[str]:
    """The texts of one side of the Swedish catalogue ("msgid": English, "msgstr": Swedish) that
    cannot be the other language: the longest piece between placeholders of every entry whose
    translation differs from its msgid (plural forms by their msgid)."""
    catalog = translation.trans_real.translation("sv")._catalog  # type: ignore[attr-defined]
    texts = set()
    for msgid, msgstr in catalog.items():
        if side == "msgid" and isinstance(msgid, tuple):  # a plural form: (msgid, index)
            msgid = msgid[0]
        if not isinstance(msgid, str) or not msgid or not isinstance(msgstr, str) or msgstr == msgid:
            continue
        text = msgid if side == "msgid" else msgstr
        pieces = [p.strip(" .,:;()–") for p in re.split(r"%\(\w+\)[sdr]|%[sdr]|\{\w*\}", text)]
        longest = max(pieces, key=len)
        if len(longest) >= 12 and " " in longest:
            texts.add(longest)
    return sorted(texts)


def _swedish_texts() -> list[str]:
    return _catalogue_texts("msgstr")


@pytest.mark.parametrize("role", ["finance", "steering", "head"])
def test_the_english_interface_shows_no_swedish_text(large_world, role):
    users, samples = large_world
    swedish = _swedish_texts()
    assert len(swedish) > 200, len(swedish)  # the check has something to check with
    failures, checked = [], 0
    for path, page in _pages(users, samples, role, "en"):
        checked += 1
        text = visible_text(page)
        failures += [f"{path}: {s!r}" for s in swedish if s in text]
    assert checked >= (5 if role == "head" else 25), checked
    assert not failures, "\n".join(failures)


# --- The Swedish interface: no English text in pages, workbooks or e-mails ---------------------

# English words a Swedish reader must not meet (codes and technical names that leaked before):
# whole words, as written. Channel, status and role codes, an audit's action names, Python's values.
ENGLISH_WORDS = (
    "phone",
    "email",
    "chat",
    "eservice",
    "handled",
    "abandoned",
    "draft",
    "proposed",
    "approved",
    "rejected",
    "superseded",
    "finance",
    "steering_group",
    "department_head",
    "allocation_key",
    "auth.login",
    "None",
    "True",
    "False",
    "Not Found",
    "Forbidden",
    "Language",
)
_ENGLISH_WORD = re.compile(r"(?<![\w.@/-])(" + "|".join(re.escape(w) for w in ENGLISH_WORDS) + r")(?![\w@/-]|\.\w)")


def _english_texts() -> list[str]:
    return _catalogue_texts("msgid")


def english_in(text: str, english: list[str]) -> list[str]:
    """English catalogue texts and English words found in a text meant to be Swedish."""
    found = [repr(t) for t in english if t in text]
    found += [text[max(m.start() - 30, 0) : m.end() + 20].replace("\n", " | ") for m in _ENGLISH_WORD.finditer(text)]
    return found


def workbook_text(data: bytes) -> str:
    """Every string a reader sees in a workbook: sheet names and string cells, one a line."""
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(data), read_only=True)
    lines = []
    for sheet in book.worksheets:
        lines.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            # A stored record as JSON (an audit entry's before and after) is data as it is kept.
            lines += [v for v in row if isinstance(v, str) and not (v[:1] in "{[" and v[-1:] in "}]")]
    return "\n".join(lines)


def test_the_english_scan_finds_what_it_should():
    english = ["Nothing needs attention"]
    assert len(english_in("Status: draft → proposed", english)) == 2
    assert english_in("Nothing needs attention here", english) == ["'Nothing needs attention'"]
    assert not english_in("utkast → föreslagen, telefon, e-post, chatt, ekonom@example.se, phone.csv", english)
    assert not english_in("BANK-PS, PHANTOM, Chatten, e-tjänst, Godkänd", english)


XLSX = "spreadsheetml"
# The Django admin and the API's browsable pages show stored codes as they are kept (a channel's
# code, an audit entry's action): the technical record. The site's own pages say it in words.
TECHNICAL = ("/admin/", "/api/")


@pytest.fixture
def in_swedish():  # type: ignore[no-untyped-def]
    """The service's own language for what the world's services write (an import's row errors
    are kept in the language they were written in), whatever an earlier test left active."""
    with translation.override("sv"):
        yield


@pytest.fixture
def swedish_world(in_swedish, large_world):
    """The walk's world with a settlement, and every kind of e-mail the service sends written to
    its outbox: a key proposed and decided, a month published, an import failed, a monthly
    source missing, a settlement proposed and decided."""
    from datetime import date

    from allocation.keys.compute import allocation_key_compute_measured
    from allocation.keys.decisions import allocation_key_decide
    from allocation.ledger.settlements import settlement_create, settlement_decide
    from allocation.publications.publishing import publication_create
    from cases.models import DataSource
    from imports.services import import_batch_mark_failed
    from tests.conftest import csv_bytes, good_rows, make_user
    from tests.imports.helpers import run_import

    users, samples = large_world
    for role in ("finance", "steering", "head"):
        users[role].email = f"{users[role].username}@example.se"
        users[role].save()
    other_steering = make_user("styr.två", "steering_group")
    other_steering.email = "styr2@example.se"
    other_steering.save()
    key = allocation_key_compute_measured(
        name="Mejlad",
        window_from=date(2026, 3, 1),
        window_to=date(2026, 4, 1),
        basis="cases",
        valid_from=date(2027, 1, 1),
    )
    allocation_key_decide(key=key, status="proposed", user=users["finance"], comment="Inför mötet")
    allocation_key_decide(key=key, status="rejected", user=users["steering"], comment="Fel period")
    key_in_force = CostPool.objects.get(name="KC").key
    pool = CostPool.objects.create(
        name="Medfinansiering", year=2026, gross_amount=Decimal("1200000.00"), key=key_in_force, is_co_financing=True
    )
    allocation_run_create(key=pool.key, pool=pool)
    settlement = settlement_create(pool=pool, user=users["finance"], missing_months_confirmed=True)
    settlement_decide(settlement=settlement, status="proposed", user=users["finance"])
    settlement_decide(settlement=settlement, status="approved", user=users["steering"], comment="Ok")
    samples = {**samples, "settlement_id": settlement.pk}
    publication_create(month=date(2026, 4, 1))
    from unittest.mock import patch

    with patch("imports.services._enqueue"):
        pending = run_import(samples_source(), csv_bytes(good_rows(month="2026-06")))
    import_batch_mark_failed(batch_id=pending.pk, reason="arbetaren stoppades")
    DataSource.objects.create(name="E-post", delivers_monthly=True)
    from allocation.tasks import notify_missing_sources

    notify_missing_sources(date(2026, 4, 1))
    return users, samples


def samples_source():  # type: ignore[no-untyped-def]
    from cases.models import DataSource

    return DataSource.objects.get(name="Telefoni")


def _downloads(client: Client, path: str, page: str) -> Iterator[tuple[str, bytes]]:
    """The workbooks a page links to."""
    from urllib.parse import urljoin

    for link in sorted(set(re.findall(r'href="([^"]+)"', page))):
        href = urljoin(path, link.replace("&amp;", "&"))
        if any(w in href.lower() for w in ("xlsx", "excel", "format=workbook")):
            response = client.get(href)
            if response.status_code == 200 and XLSX in response.get("Content-Type", ""):
                yield href, b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("role", ["finance", "steering", "head"])
def test_the_swedish_interface_shows_no_english_in_pages_and_workbooks(swedish_world, role):
    users, samples = swedish_world
    english = _english_texts()
    assert len(english) > 200, len(english)
    client = Client()
    client.force_login(users[role])
    failures, pages, books = [], 0, set()
    for path, page in _pages(users, samples, role, "sv"):
        pages += 1
        if not path.startswith(TECHNICAL):
            failures += [f"{path}: {found}" for found in english_in(visible_text(page), english)]
        for href, data in _downloads(client, path, page):
            if href in books:
                continue
            books.add(href)
            failures += [f"{href} (workbook): {found}" for found in english_in(workbook_text(data), english)]
            failures += [f"{href} (workbook): …{n}…" for n in unswedish_numbers(workbook_text(data))]
    assert pages >= (5 if role == "head" else 25), pages
    assert len(books) >= (1 if role == "head" else 5), sorted(books)
    assert not failures, "\n".join(failures)


def test_every_e_mail_is_swedish_with_swedish_numbers_and_months(swedish_world):
    from cases.models import Notification

    english = _english_texts()
    notes = list(Notification.objects.order_by("id"))
    kinds = {n.kind for n in notes}
    assert {"month_published", "failure"} <= kinds and len(notes) >= 6, [(n.kind, n.subject) for n in notes]
    failures = []
    for note in notes:
        text = f"{note.subject}\n{note.body}"
        failures += [f"{note.subject}: {found}" for found in english_in(text, english)]
        failures += [f"{note.subject}: …{n}…" for n in unswedish_numbers(text)]
        failures += [f"{note.subject}: ISO month {m}" for m in re.findall(r"(?<![\w/-])\d{4}-\d{2}(?![\w/-])", text)]
    assert not failures, "\n".join(failures)


@pytest.fixture
def chart_labels(monkeypatch):  # type: ignore[no-untyped-def]
    """Every tick label of every chart drawn while the test runs (publications, pages)."""
    from matplotlib.figure import Figure

    seen: list[str] = []
    original = Figure.savefig

    def recording(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = original(self, *args, **kwargs)  # drawn: the tick labels now hold their text
        for ax in self.axes:
            if not ax.axison:  # an empty panel of small multiples draws no axis
                continue
            labels = [*ax.get_xticklabels(), *ax.get_yticklabels()]
            labels += [ax.xaxis.get_offset_text(), ax.yaxis.get_offset_text()]
            seen.extend(t.get_text() for t in labels if t.get_text() and t.get_visible())
        return result

    monkeypatch.setattr(Figure, "savefig", recording)
    return seen


def test_every_chart_axis_writes_numbers_and_months_the_swedish_way(chart_labels, swedish_world):
    users, samples = swedish_world
    for _path, _page in _pages(users, samples, "finance", "sv"):
        pass  # the pages draw their charts (drift, robustness, shares); publications drew theirs
    assert len(chart_labels) > 20, chart_labels
    text = "\n".join(chart_labels)
    assert not unswedish_numbers(text), unswedish_numbers(text)
    assert not re.findall(r"(?<![\w/-])\d{4}-\d{2}(?![\w/-])", text), sorted(set(chart_labels))
