"""Binary COPY from the columns stores what COPY's text format stores for the same values.

The streaming load sends the column-checked rows to PostgreSQL in the binary format, where the
instant of a naive Stockholm time is worked out by the loader rather than by the server. For
generated rows (every hour of the days the clocks change included, times written with a space or
a T, with and without seconds, empty and known numbers, flags, forwards, outcomes, any case id the
column check passes) the rows loaded both ways must be the same, field by field.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pyarrow as pa
import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Channel, DataSource, Grouping
from cases.partitions import partitions_ensure
from imports import loading
from imports.parsing import binary
from imports.parsing.values import NULL

pytestmark = pytest.mark.django_db

_ids = itertools.count()
FIELDS = (
    "case_id",
    "opened_at",
    "month",
    "channel_id",
    "grouping_id",
    "handle_seconds",
    "wait_seconds",
    "resolved",
    "forwarded_to_id",
    "outcome",
)

# Around the changes of 2025 (30 March 02:00 → 03:00, 26 October 03:00 → 02:00) and anywhere else.
moments = st.one_of(
    st.builds(lambda m: datetime(2025, 3, 30, 0, 0) + timedelta(minutes=m), st.integers(0, 5 * 60)),
    st.builds(lambda m: datetime(2025, 10, 26, 0, 0) + timedelta(minutes=m), st.integers(0, 5 * 60)),
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31, 23, 59, 59)),
)
writings = st.sampled_from(["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"])
case_ids = st.text(
    st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="\\"), min_size=1, max_size=30
).filter(lambda t: t == t.strip() and t[0] not in "=+-@")
numbers = st.one_of(st.just(NULL), st.integers(0, 999_999_999).map(str))


@st.composite
def rows(draw):  # type: ignore[no-untyped-def]
    moment = draw(moments)
    writing = draw(writings)
    return {
        "case_id": f"{draw(case_ids)}#{next(_ids)}",
        "opened_at": moment.strftime(writing),
        "month": f"{moment:%Y-%m}-01",
        "channel_id": draw(st.sampled_from(["phone", "email"])),
        "grouping_id": "g",
        "handle_seconds": draw(numbers),
        "wait_seconds": draw(numbers),
        "resolved": draw(st.sampled_from(["t", "f", NULL])),
        "forwarded_to_id": draw(st.sampled_from([NULL, "a"])),
        "outcome": draw(st.sampled_from([NULL, "handled", "abandoned"])),
    }


def _stored(source_id: int) -> dict[str, tuple[object, ...]]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT case_id, opened_at, month, channel_id, grouping_id, handle_seconds, wait_seconds, "
            "resolved_first_contact, forwarded_to_id, outcome, batch_id FROM cases_caserecord WHERE source_id = %s",
            [source_id],
        )
        return {row[0].rsplit("#", 1)[1]: row[1:] for row in cur.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="binary COPY is PostgreSQL's")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(rows(), min_size=1, max_size=40))
def test_rows_copied_in_binary_are_the_rows_copied_as_text(org, drawn):
    channels = dict(Channel.objects.values_list("code", "id"))
    grouping = str(Grouping.objects.get(code="UF-01").pk)
    forwarded = str(org["UF"].pk)
    for row in drawn:
        row["channel_id"] = str(channels[row["channel_id"]])
        row["grouping_id"] = grouping
        row["forwarded_to_id"] = forwarded if row["forwarded_to_id"] == "a" else NULL
    as_binary = DataSource.objects.create(name=f"Binary {next(_ids)}")
    as_text = DataSource.objects.create(name=f"Text {next(_ids)}")
    partitions_ensure({date.fromisoformat(r["month"]) for r in drawn})
    out = {name: pa.array([r[name] for r in drawn], pa.string()) for name in FIELDS}
    payload = binary.copy_binary(out, source_id=as_binary.pk, batch_id=7)
    text = "".join(f"{as_text.pk}\t7\t" + "\t".join(r[name] for name in FIELDS) + "\n" for r in drawn)
    with connection.cursor() as cur:
        cur.execute("SET TIME ZONE 'Europe/Stockholm'")
        with cur.cursor.copy(loading.CASES_COPY_SQL["binary"]) as copy:
            copy.write(binary.SIGNATURE + bytes(payload) + binary.TRAILER)
        with cur.cursor.copy(loading.CASES_COPY_SQL["text"]) as copy:
            copy.write(text)
        cur.execute("SET TIME ZONE 'UTC'")
    stored = _stored(as_binary.pk)
    assert len(stored) == len(drawn)
    assert stored == _stored(as_text.pk)
