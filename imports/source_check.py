"""The wrong-source check: how many of a batch's case ids another source already holds in the
same months (imports.outcomes.replacement_refusal refuses a file when it is more than half)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection

from imports.loading import CASES, STAGE, as_date, is_postgres


def ids_in_other_sources(
    *, batch_id: int, source_id: int, months: list[date], source_ids: list[int], staged: bool
) -> int:
    """How many of the batch's case ids already exist in `source_ids` in the batch's months: a
    file uploaded under the wrong source.

    Every id is looked at, by one semi-join of the batch's rows with the other sources' rows of
    the same months. Two index look-ups a month and source first find the other sources' months
    whose lowest and highest ids reach into the batch's own range (compared in SQL, in the
    column's collation, as MIN and MAX are): only those can share an id, and when none does (other
    systems number their cases otherwise, the usual case) nothing is joined. The semi-join
    hashes the other sources' ids (the batch's fresh rows have no planner statistics, and a
    nested loop took seconds a million rows). `bench/source_check_bench.py` measures it at 5 M
    rows beside a plain count of the same rows; `tests/imports/test_source_check.py` holds it to a
    count in Python.
    """
    if not source_ids or not months:
        return 0
    month_marks = ", ".join(["%s"] * len(months))
    if staged:
        batch_rows = f"FROM {STAGE} n WHERE n.batch_id = %s"
        params: list[Any] = [batch_id]
    else:
        # The batch's rows are already in the case table (uncommitted): through its own months.
        batch_rows = f"FROM {CASES} n WHERE n.source_id = %s AND n.month IN ({month_marks}) AND n.batch_id = %s"
        params = [source_id, *months, batch_id]
    with connection.cursor() as cur:
        cur.execute(f"SELECT MIN(n.case_id), MAX(n.case_id) {batch_rows}", params)
        low, high = cur.fetchone()
        if low is None:
            return 0
        pairs = _months_reaching(cur, source_ids=source_ids, months=months, low=low, high=high)
        if not pairs:
            return 0
        pair_marks = ", ".join(["(%s, %s)"] * len(pairs))
        pair_months = sorted({month for _source, month in pairs})
        if is_postgres():
            cur.execute("SET LOCAL enable_nestloop = off")
        cur.execute(
            f"SELECT COUNT(*) {batch_rows} AND EXISTS (SELECT 1 FROM {CASES} o WHERE o.case_id = n.case_id "
            f"AND o.month IN ({', '.join(['%s'] * len(pair_months))}) AND (o.source_id, o.month) IN ({pair_marks}))",
            [*params, *pair_months, *(value for pair in pairs for value in pair)],
        )
        found = cur.fetchone()[0]
        if is_postgres():
            cur.execute("SET LOCAL enable_nestloop = on")
    return int(found)


def _months_reaching(
    cur: Any, *, source_ids: list[int], months: list[date], low: str, high: str
) -> list[tuple[int, date]]:
    """(source, month) of the other sources whose ids in that month range over part of
    [low, high]; on SQLite (small, embedded) every pair that has rows."""
    if is_postgres():
        cur.execute(
            f"""
            SELECT s.id, m.month FROM unnest(%s::bigint[]) AS s(id) CROSS JOIN unnest(%s::date[]) AS m(month)
            WHERE (SELECT MIN(o.case_id) FROM {CASES} o WHERE o.source_id = s.id AND o.month = m.month) <= %s
              AND (SELECT MAX(o.case_id) FROM {CASES} o WHERE o.source_id = s.id AND o.month = m.month) >= %s
            """,
            [source_ids, months, high, low],
        )
    else:
        cur.execute(
            f"SELECT DISTINCT source_id, month FROM {CASES} WHERE source_id IN ({', '.join(['%s'] * len(source_ids))}) "
            f"AND month IN ({', '.join(['%s'] * len(months))})",
            [*source_ids, *months],
        )
    return [(int(source), as_date(month)) for source, month in cur.fetchall()]
