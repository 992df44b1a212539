"""The aggregate cells the import sums while reading are the cells SQL sums from the rows loaded.

The streaming load (PostgreSQL) writes the monthly aggregates from the columns and rows it hands
to COPY (imports.cells), no longer from the case table afterwards. Whatever the rows hold (empty
and known times, waits on both sides of 60 s, flags, forwards, outcomes, rows only the row
validator passes), recomputing the months from the loaded rows with
cases.services.monthly_aggregates_refresh must change nothing.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import MonthlyAggregate
from cases.services import monthly_aggregates_refresh
from cases.statistics import AGGREGATE_FIGURES
from imports.cells import MonthCells
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "case_id,opened_at,channel,grouping,handle_seconds,wait_seconds,resolved_first_contact,forwarded_to,outcome"
_ids = itertools.count()

row = st.tuples(
    st.sampled_from(["2025-01-03 08:00", "2025-02-14 12:30:00", "2025-02-28T23:59:59", " 2025-03-01 00:00"]),
    st.sampled_from(["phone", "Telefon", "email", " chat"]),
    st.sampled_from(["UF-01", "SOF-01", "SPLIT-01", "CEN-01", "TF-01 "]),
    st.sampled_from(["", "0", "59", "600", " 61"]),
    st.sampled_from(["", "0", "60", "61", "3600", "60 "]),
    st.sampled_from(["", "ja", "nej", "true", "0"]),
    st.sampled_from(["", "UF", "SOF", " TF"]),
    st.sampled_from(["", "handled", "abandoned", "avbruten", "besvarad "]),
)


def aggregate_cells(source_id: int) -> dict[tuple[date, int, int], tuple[int, ...]]:
    return {
        (a["month"], a["grouping_id"], a["channel_id"]): tuple(a[f] for f in AGGREGATE_FIGURES)
        for a in MonthlyAggregate.objects.filter(source_id=source_id).values()
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=60))
def test_the_cells_summed_while_reading_are_the_cells_of_the_loaded_rows(org, rows):
    source = org["source"]
    lines = [HEADER] + [",".join((f"K{next(_ids)}", *cells)) for cells in rows]
    batch = run_import(source, ("\n".join(lines) + "\n").encode(), replace=True)
    assert batch.status == "loaded", (batch.status, batch.message)
    assert batch.rows_loaded == len(rows)
    written = aggregate_cells(source.pk)
    assert sum(c[AGGREGATE_FIGURES.index("cases")] + c[AGGREGATE_FIGURES.index("abandoned")] for c in written.values())
    months = sorted({m for m, _g, _c in written})
    monthly_aggregates_refresh(source_id=source.pk, months=months)
    assert aggregate_cells(source.pk) == written


def test_a_row_the_row_validator_passed_counts_as_the_same_row_from_the_columns():
    """Pure: the two ways into the tally agree cell by cell."""
    from_rows, from_columns = MonthCells(), MonthCells()
    tuples = [
        (2, "A", "2025-01-01 10:00", "2025-01-01", 1, 7, 30, 61, True, 9, None),
        (3, "B", "2025-01-01 10:00", "2025-01-01", 1, 7, None, 60, False, None, "handled"),
        (4, "C", "2025-01-01 10:00", "2025-01-01", 1, 7, 5, None, None, None, "abandoned"),
    ]
    from_rows.add_rows(tuples)
    import pyarrow as pa

    def text(values):  # type: ignore[no-untyped-def]
        return pa.array(["\\N" if v is None else v for v in values], pa.string())

    from_columns.add_columns(
        {
            "month": text(["2025-01-01"] * 3),
            "grouping_id": text(["7"] * 3),
            "channel_id": text(["1"] * 3),
            "handle_seconds": text(["30", None, "5"]),
            "wait_seconds": text(["61", "60", None]),
            "resolved": text(["t", "f", None]),
            "forwarded_to_id": text(["9", None, None]),
            "outcome": text([None, "handled", "abandoned"]),
        }
    )
    assert from_rows.cells == from_columns.cells == {("2025-01-01", 7, 1): [2, 30, 1, 121, 2, 1, 1, 2, 1, 1, 2]}
