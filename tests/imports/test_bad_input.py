"""Every bad file we could think of: each is refused with a Swedish reason and changes nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from imports.models import StagedCase
from imports.parsing import COLUMN_LABELS
from tests.conftest import csv_bytes, good_rows
from tests.imports.helpers import database_state, run_import

pytestmark = pytest.mark.django_db(transaction=True)


CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


COLUMNS = {
    "outcome",
    "case_id",
    "opened_at",
    "channel",
    "grouping",
    "handle_seconds",
    "wait_seconds",
    "resolved_first_contact",
    "forwarded_to",
}


COLUMNS_AGGREGATED = {"month", "grouping", "channel", "cases", "handle_seconds"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_bad_file_is_rejected_with_a_reason_and_changes_nothing(org, name):
    case = EXPECTED[name]
    expected = case["expect"]
    data = (CORPUS / name).read_bytes()
    options: dict[str, object] = {}
    if "declared_month" in case:
        options["declared_month"] = date.fromisoformat(case["declared_month"] + "-01")
    if "kind" in case:
        options["kind"] = case["kind"]
    run_import(org["source"], csv_bytes(good_rows(month="2026-02", prefix="KEEP")), name="keep.csv")
    before = database_state()
    source = org["source"]
    if "profile" in case:
        from cases.models import DataSource as Source

        source = Source(name="Profilerad", profile=case["profile"])
        source.full_clean()
        source.save()
    if options.get("kind") == "aggregated":  # aggregated statistics go into reference sources only
        from cases.models import DataSource

        source = DataSource.objects.create(name="Referens", is_reference=True)
    try:
        batch = run_import(source, data, name=name, **options)
    except Exception as exc:  # refused at upload (empty file): nothing stored at all
        from django.core.exceptions import ValidationError

        assert isinstance(exc, ValidationError)
        assert expected in " ".join(exc.messages)
        assert database_state() == before
        return
    assert batch.status == "rejected", (batch.status, batch.message)
    assert database_state() == before
    assert not StagedCase.objects.exists()
    errors = list(batch.errors.all())
    if expected in COLUMNS | COLUMNS_AGGREGATED:
        assert errors, batch.message
        first = errors[0]
        assert first.column == expected, (first.column, batch.message)
        # Where, what and why, in Swedish: row, the column's Swedish name, the value, the reason.
        assert first.row_number >= 2 and first.reason
        # counts are grouped with a no-break space (1 000 rader), as every number people read
        assert batch.message.replace("\u00a0", "").startswith(
            ("1 rad har fel; inget laddades.", f"{batch.rows_rejected} rader har fel")
        )
        where = f"rad {first.row_number}, kolumn {COLUMN_LABELS[first.column]} ({first.column}), "
        assert where in batch.message, batch.message
        assert first.reason in batch.message
    else:
        # Numbers in messages are grouped with a no-break space (cases.formats); the corpus writes a space.
        assert expected in batch.message.replace("\u00a0", " "), batch.message
    assert batch.message
    for e in errors:
        assert e.row_number >= 1 and e.reason


def test_the_corpus_is_complete():
    """Every file has an expectation and every expectation a file; at least 60 of them."""
    files = {p.name for p in CORPUS.iterdir() if p.name not in {"build.py", "expected.json", "__pycache__"}}
    assert files == set(EXPECTED)
    assert len(files) >= 60
