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


def _swedish_texts() -> list[str]:
    """The Swedish catalogue's texts that cannot be English: the longest piece between
    placeholders of every translation that differs from its English msgid."""
    catalog = translation.trans_real.translation("sv")._catalog  # type: ignore[attr-defined]
    texts = set()
    for msgid, msgstr in catalog.items():
        if not isinstance(msgid, str) or not msgid or not isinstance(msgstr, str) or msgstr == msgid:
            continue
        pieces = [p.strip(" .,:;()–") for p in re.split(r"%\(\w+\)[sdr]|%[sdr]|\{\w*\}", msgstr)]
        longest = max(pieces, key=len)
        if len(longest) >= 12 and " " in longest:
            texts.add(longest)
    return sorted(texts)


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
