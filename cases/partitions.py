"""The case table's month partitions (PostgreSQL; SQLite keeps one plain table).

On PostgreSQL `cases_caserecord` is partitioned by range of `month` (migration cases 0017),
one partition a month, named `cases_caserecord_pYYYY_MM`. A partition is made when the first
rows of its month arrive: the import calls `partitions_ensure` inside its loading transaction.
It creates a plain table and attaches it, which locks the case table only in SHARE UPDATE
EXCLUSIVE mode until commit: readers and writers of other months go on; two imports that both
bring a new month take turns.

A partition's unique index is (source, case id, month): PostgreSQL cannot enforce uniqueness
across partitions, so `cross_month_duplicate` does the check across months for the loader.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import connection

TABLE = "cases_caserecord"
PREFIX = f"{TABLE}_p"


def partition_name(month: date) -> str:
    return f"{PREFIX}{month:%Y_%m}"


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT relkind FROM pg_class WHERE relname = %s AND relkind IN ('p', 'r')", [TABLE])
        row = cur.fetchone()
    return bool(row) and row[0] == "p"


def partition_months() -> list[date]:
    """The months that have a partition, oldest first."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [TABLE],
        )
        names = [row[0] for row in cur.fetchall()]
    return sorted(date(int(n[-7:-3]), int(n[-2:]), 1) for n in names if n.startswith(PREFIX))


def partitions_ensure(months: Iterable[date]) -> list[date]:
    """Create the missing partitions for `months`, in the caller's transaction. Returns the
    months whose partition was made. Does nothing on SQLite or an unpartitioned table."""
    wanted = sorted({date(m.year, m.month, 1) for m in months})
    if not wanted or not is_partitioned():
        return []
    if not set(wanted) - set(partition_months()):
        return []
    made = []
    with connection.cursor() as cur:
        # One maker at a time; then look again, as another import may have made them meanwhile.
        cur.execute("SELECT pg_advisory_xact_lock(4712, 0)")
        existing = set(partition_months())
        for month in wanted:
            if month in existing:
                continue
            name = partition_name(month)
            cur.execute(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
            cur.execute(
                f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)",
                [month, _next_month(month)],
            )
            made.append(month)
    return made


def cross_month_duplicate(*, source_id: int, months: list[date]) -> str | None:
    """A case id of the source that lies in one of `months` and in another month too, or None.

    Exact, and cheap when case ids grow over time: first each month's lowest and highest id
    of the source (two index look-ups a partition); months whose ranges do not overlap cannot
    share an id. Only the months whose ranges overlap are joined.
    """
    if not months or not is_partitioned():
        return None
    with connection.cursor() as cur:
        # The ranges are compared in SQL, in the column's own collation, as MIN and MAX are.
        cur.execute(
            f"""
            WITH r AS (
                SELECT m.month,
                    (SELECT MIN(case_id) FROM {TABLE} c WHERE c.source_id = %s AND c.month = m.month) AS lo,
                    (SELECT MAX(case_id) FROM {TABLE} c WHERE c.source_id = %s AND c.month = m.month) AS hi
                FROM unnest(%s::date[]) AS m(month)
            )
            SELECT a.month, b.month FROM r a JOIN r b
                ON b.month <> a.month AND b.lo <= a.hi AND a.lo <= b.hi
            WHERE a.month = ANY(%s::date[])
            """,
            [source_id, source_id, partition_months(), months],
        )
        pairs = cur.fetchall()
        if not pairs:
            return None
        new = sorted({a for a, _b in pairs})
        others = sorted({b for _a, b in pairs} | set(new))
        cur.execute(
            f"""
            SELECT n.case_id FROM {TABLE} n JOIN {TABLE} o ON o.source_id = n.source_id AND o.case_id = n.case_id
            WHERE n.source_id = %s AND n.month = ANY(%s::date[]) AND o.source_id = %s
              AND o.month = ANY(%s::date[]) AND o.month <> n.month
            LIMIT 1
            """,
            [source_id, new, source_id, others],
        )
        row = cur.fetchone()
    return row[0] if row else None
