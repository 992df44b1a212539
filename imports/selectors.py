"""Reads of import batches."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count

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
    *, batch: ImportBatch, values_per_kind: int = 10, examples_per_kind: int = 3
) -> list[ErrorKind]:
    """The batch's stored row errors summarised by kind and value, largest first.

    Three grouped queries whatever the number of errors (a bank export can have 100,000):
    the kinds, each kind's top values, and each kind's first example rows; the window
    functions keep the per-kind limits in the database (PostgreSQL and SQLite alike).
    """
    table = ImportRowError._meta.db_table
    kinds_rows = list(
        ImportRowError.objects.filter(batch=batch)
        .values("column", "reason")
        .annotate(rows=Count("id"), values=Count("value", distinct=True))
        .order_by("-rows", "column", "reason")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT "column", reason, value, n FROM (
                  SELECT "column", reason, value, COUNT(*) AS n,
                         ROW_NUMBER() OVER (PARTITION BY "column", reason ORDER BY COUNT(*) DESC, value) AS rank
                  FROM {table} WHERE batch_id = %s GROUP BY "column", reason, value) AS ranked
                WHERE rank <= %s ORDER BY n DESC, value""",
            [batch.pk, values_per_kind],
        )
        top_values = cursor.fetchall()
        cursor.execute(
            f"""SELECT id FROM (
                  SELECT id, ROW_NUMBER() OVER (PARTITION BY "column", reason ORDER BY row_number, id) AS rank
                  FROM {table} WHERE batch_id = %s) AS ranked
                WHERE rank <= %s""",
            [batch.pk, examples_per_kind],
        )
        example_ids = [row[0] for row in cursor.fetchall()]
    values: dict[tuple[str, str], list[ErrorValue]] = {}
    for column, reason, value, n in top_values:
        values.setdefault((column, reason), []).append(ErrorValue(value, n))
    examples: dict[tuple[str, str], list[ImportRowError]] = {}
    for error in ImportRowError.objects.filter(pk__in=example_ids).order_by("row_number", "id"):
        examples.setdefault((error.column, error.reason), []).append(error)
    kinds = []
    for number, row in enumerate(kinds_rows, start=1):
        key = (row["column"], row["reason"])
        listed = values.get(key, [])
        kinds.append(
            ErrorKind(
                number=number,
                column=row["column"],
                reason=row["reason"],
                rows=row["rows"],
                values=listed,
                other_values=max(row["values"] - len(listed), 0),
                examples=examples.get(key, []),
            )
        )
    return kinds


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
