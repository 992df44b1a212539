"""Reads of import batches."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connection

from imports.models import ImportBatch, ImportRowError

UNFINISHED = (ImportBatch.Status.PENDING, ImportBatch.Status.PROCESSING)


def import_batch_wait(*, batch_id: int, timeout: float = 3600, poll: float = 0.5) -> ImportBatch:
    """Block until the batch has left pending/processing (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    while True:
        batch = ImportBatch.objects.select_related("source").get(pk=batch_id)
        if batch.status not in UNFINISHED or time.monotonic() > deadline:
            return batch
        time.sleep(poll)


@dataclass(frozen=True)
class ErrorValue:
    value: str
    rows: int


@dataclass(frozen=True)
class ErrorKind:
    """One kind of row error (a column and a reason) with how many rows have it, its most common
    values, and the first rows as examples."""

    number: int
    column: str
    reason: str
    rows: int
    values: list[ErrorValue] = field(default_factory=list)
    other_values: int = 0  # distinct values beyond those listed
    examples: list[Any] = field(default_factory=list)

    @property
    def column_label(self) -> str:
        from imports.parsing import COLUMN_LABELS

        return str(COLUMN_LABELS.get(self.column, self.column))


def import_batch_error_kinds(
    *, batch: ImportBatch, values_per_kind: int = 10, examples_per_kind: int = 3, kinds_shown: int = 20
) -> list[ErrorKind]:
    """The batch's stored row errors summarised by kind and value, largest first.

    One grouped query whatever the number of errors (a bank export can have 100,000): each
    value's count, ranked within its kind by window functions (PostgreSQL and SQLite alike), with
    the kind's total and its number of distinct values; then the first example rows of each of
    the `kinds_shown` largest kinds, a small sorted read each.
    """
    table = ImportRowError._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT "column", reason, value, n, kind_rows, kind_values FROM (
                  SELECT "column", reason, value, n,
                         ROW_NUMBER() OVER (PARTITION BY "column", reason ORDER BY n DESC, value) AS rank,
                         SUM(n) OVER (PARTITION BY "column", reason) AS kind_rows,
                         COUNT(*) OVER (PARTITION BY "column", reason) AS kind_values
                  FROM (SELECT "column", reason, value, COUNT(*) AS n FROM {table}
                        WHERE batch_id = %s GROUP BY "column", reason, value) AS grouped) AS ranked
                WHERE rank <= %s ORDER BY kind_rows DESC, "column", reason, n DESC, value""",
            [batch.pk, values_per_kind],
        )
        ranked = cursor.fetchall()
    kinds: dict[tuple[str, str], ErrorKind] = {}
    for column, reason, value, n, kind_rows, kind_values in ranked:
        kind = kinds.get((column, reason))
        if kind is None:
            kind = kinds[(column, reason)] = ErrorKind(
                number=len(kinds) + 1, column=column, reason=reason, rows=int(kind_rows), other_values=int(kind_values)
            )
        kind.values.append(ErrorValue(value, int(n)))
    result = []
    for kind in kinds.values():
        examples = (
            list(import_batch_errors(batch=batch, column=kind.column, reason=kind.reason)[:examples_per_kind])
            if kind.number <= kinds_shown
            else []
        )
        result.append(replace(kind, other_values=kind.other_values - len(kind.values), examples=examples))
    return result


def import_batch_errors(*, batch: ImportBatch, column: str | None = None, reason: str | None = None) -> Any:
    """The batch's stored row errors in file order, optionally one kind only (for paging)."""
    errors = ImportRowError.objects.filter(batch=batch)
    if column is not None and reason is not None:
        errors = errors.filter(column=column, reason=reason)
    return errors.order_by("row_number", "id").only("row_number", "column", "value", "reason")


def month_counts_by_source() -> dict[str, Any]:
    """The last six loaded months' case counts per own source, shown beside the upload form so
    the uploader sees what a file replaces (and, after the load, what it became)."""
    from django.db.models import Sum

    from cases.models import MonthlyAggregate

    rows = (
        MonthlyAggregate.objects.filter(source__is_reference=False)
        .values("month", "source__name")
        .annotate(cases=Sum("cases"))
        .order_by("-month", "source__name")
    )
    months = sorted({r["month"] for r in rows}, reverse=True)[:6]
    sources = sorted({r["source__name"] for r in rows})
    table = {(r["month"], r["source__name"]): r["cases"] for r in rows if r["month"] in months}
    return {
        "sources": sources,
        "rows": [(m, [table.get((m, s), 0) for s in sources]) for m in months],
    }
