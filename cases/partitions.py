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
from typing import Any

from django.db import connection

from cases.months import next_month

TABLE = "cases_caserecord"
PREFIX = f"{TABLE}_p"


def partition_name(month: date) -> str:
    return f"{PREFIX}{month:%Y_%m}"


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
                [month, next_month(month)],
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


# --- Archiving old months -------------------------------------------------------------------

ARCHIVE_PREFIX = "cases_archive_p"


def archive_name(month: date) -> str:
    return f"{ARCHIVE_PREFIX}{month:%Y_%m}"


def archived_months() -> list[date]:
    """Months detached from the case table and kept as tables of their own, oldest first."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cur:
        cur.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE %s",
            [ARCHIVE_PREFIX.replace("_", r"\_") + "%"],
        )
        names = [row[0] for row in cur.fetchall()]
    return sorted(date(int(n[-7:-3]), int(n[-2:]), 1) for n in names)


def month_table_summary(table: str) -> dict[str, Any]:
    """Rows per source and the disk a month's table takes (with its indexes)."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT s.name, COUNT(*) FROM {table} c JOIN cases_datasource s ON s.id = c.source_id "
            "GROUP BY s.name ORDER BY s.name"
        )
        sources = {name: int(n) for name, n in cur.fetchall()}
        cur.execute("SELECT pg_total_relation_size(%s::regclass)", [table])
        size = int(cur.fetchone()[0])
    return {"rows": sum(sources.values()), "sources": sources, "bytes": size}


def partitions_detach(*, before: date, user: Any) -> list[dict[str, Any]]:
    """Detach every month partition older than `before` and keep it as `cases_archive_pYYYY_MM`
    (to be dumped and dropped by the operator, or attached again). Audited, one entry a month.

    The monthly aggregates stay, so keys, statistics and publications of those months are
    unchanged; their case rows are no longer in the case table (nor in its duplicate checks).
    Call inside a transaction: the detach takes an exclusive lock on the case table until commit.
    """
    from cases.services import audit_record

    done = []
    # Counted first: a detach locks the whole case table until commit, so nothing slow after it.
    summaries = {m: month_table_summary(partition_name(m)) for m in partition_months() if m < before}
    with connection.cursor() as cur:
        for month, summary in summaries.items():
            name, archive = partition_name(month), archive_name(month)
            cur.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {name}")
            cur.execute(f"ALTER TABLE {name} RENAME TO {archive}")
            audit_record(
                user=user,
                action="detach case month",
                obj_type="case month",
                obj_id=f"{month:%Y-%m}",
                before={"table": name, **summary},
                after={"table": archive},
            )
            done.append({"month": f"{month:%Y-%m}", "table": archive, **summary})
    return done


def partition_reattach(*, month: date, user: Any) -> dict[str, Any]:
    """Attach an archived month again (its rows return to the case table). Audited. Refuses when
    the month has a partition already (it was imported again since it was archived)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from cases.services import audit_record

    archive, name = archive_name(month), partition_name(month)
    if month not in archived_months():
        raise ValidationError(_("No archived month %(month)s.") % {"month": f"{month:%Y-%m}"})
    if month in partition_months():
        rows = month_table_summary(name)["rows"]
        raise ValidationError(
            _(
                "The month %(month)s has been imported again since it was archived (%(rows)s cases in "
                "the case table): the archived rows cannot be attached beside them."
            )
            % {"month": f"{month:%Y-%m}", "rows": rows}
        )
    summary = month_table_summary(archive)
    with connection.cursor() as cur:
        cur.execute(f"ALTER TABLE {archive} RENAME TO {name}")
        cur.execute(
            f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", [month, next_month(month)]
        )
        cur.execute(f"SELECT DISTINCT source_id FROM {name}")
        source_ids = [row[0] for row in cur.fetchall()]
    for source_id in source_ids:
        # While the month was away, its case ids were not in the checks: one may have come back.
        repeated = cross_month_duplicate(source_id=source_id, months=[month])
        if repeated is not None:
            raise ValidationError(
                _(
                    "The archived month %(month)s holds case id %(case)s, which has been imported in another "
                    "month since."
                )
                % {"month": f"{month:%Y-%m}", "case": repeated}
            )
    audit_record(
        user=user,
        action="attach case month",
        obj_type="case month",
        obj_id=f"{month:%Y-%m}",
        before={"table": archive},
        after={"table": name, **summary},
    )
    return {"month": f"{month:%Y-%m}", "table": name, **summary}
