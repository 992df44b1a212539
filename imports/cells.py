"""The monthly aggregate cells of a case log, summed from its validated rows while it is read.

One cell is (month, grouping, channel) and its eleven figures, defined exactly as
`cases.services.monthly_aggregates_refresh` defines them in SQL (DESIGN.md §5): every figure but
`abandoned` and `outcome_reported` counts handled contacts only. The loader writes the cells in the
same transaction as the rows, instead of reading every row back to sum it; the refresh stays for
the paths that load through the staging table. `tests/imports/test_cells.py` holds the two to
the same figures on generated files.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from cases.statistics import AGGREGATE_FIGURES
from imports.parsing.values import NULL

Cell = tuple[str, int, int]  # month 'YYYY-MM-01', grouping id, channel id


def _number(values: pa.Array) -> pa.Array:
    """COPY text digits (or the NULL marker) as int64, null where missing."""
    return pc.cast(pc.if_else(pc.equal(values, NULL), pa.scalar(None, pa.string()), values), pa.int64())


def _count(mask: pa.Array) -> pa.Array:
    return pc.cast(pc.fill_null(mask, False), pa.int64())


class MonthCells:
    """Cell → its eleven figures, summed over the rows added so far."""

    def __init__(self) -> None:
        self.cells: dict[Cell, list[int]] = {}

    def add_columns(self, out: dict[str, pa.Array]) -> None:
        """Rows the column check passed, as its COPY-text output columns."""
        if not len(out["month"]):
            return
        outcome = out["outcome"]
        reported = pc.not_equal(outcome, NULL)
        abandoned = pc.and_(reported, pc.equal(outcome, "abandoned"))
        handled = pc.invert(abandoned)
        handle = _number(out["handle_seconds"])
        wait = _number(out["wait_seconds"])
        resolved = out["resolved"]
        figures = {
            "cases": _count(handled),
            "handle_seconds": pc.if_else(handled, handle, pa.scalar(None, pa.int64())),
            "handle_known": _count(pc.and_(handled, pc.is_valid(handle))),
            "wait_seconds": pc.if_else(handled, wait, pa.scalar(None, pa.int64())),
            "wait_known": _count(pc.and_(handled, pc.is_valid(wait))),
            "answered_within_60": _count(pc.and_(handled, pc.less_equal(wait, 60))),
            "resolved_first": _count(pc.and_(handled, pc.equal(resolved, "t"))),
            "resolved_known": _count(pc.and_(handled, pc.not_equal(resolved, NULL))),
            "forwarded": _count(pc.and_(handled, pc.not_equal(out["forwarded_to_id"], NULL))),
            "abandoned": _count(abandoned),
            "outcome_reported": _count(reported),
        }
        table = pa.table(
            {
                "month": out["month"],
                "grouping": pc.cast(out["grouping_id"], pa.int64()),
                "channel": pc.cast(out["channel_id"], pa.int64()),
                **figures,
            }
        )
        summed = table.group_by(["month", "grouping", "channel"], use_threads=False).aggregate(
            [(name, "sum") for name in AGGREGATE_FIGURES]
        )
        keys = zip(
            summed["month"].to_pylist(), summed["grouping"].to_pylist(), summed["channel"].to_pylist(), strict=True
        )
        sums = zip(*(summed[f"{name}_sum"].to_pylist() for name in AGGREGATE_FIGURES), strict=True)
        for key, values in zip(keys, sums, strict=True):
            self._add(key, [v or 0 for v in values])

    def add_rows(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Rows the row validator passed, as its tuples (row no, case id, opened at, month, channel,
        grouping, handle, wait, resolved, forwarded to, outcome)."""
        for _row_no, _case, _opened, month, channel, grouping, handle, wait, resolved, forwarded, outcome in rows:
            if outcome == "abandoned":
                figures = [0] * 9 + [1, 1]
            else:
                figures = [
                    1,
                    handle or 0,
                    handle is not None,
                    wait or 0,
                    wait is not None,
                    wait is not None and wait <= 60,
                    resolved is True,
                    resolved is not None,
                    forwarded is not None,
                    0,
                    outcome is not None,
                ]
            self._add((month, grouping, channel), [int(v) for v in figures])

    def _add(self, key: Cell, values: list[int]) -> None:
        cell = self.cells.get(key)
        if cell is None:
            self.cells[key] = values
        else:
            for i, value in enumerate(values):
                cell[i] += value
