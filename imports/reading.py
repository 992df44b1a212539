"""What reading an uploaded file needs and finds: the codes it may name, the XLSX limits, the
progress heartbeat, and the tally of rows read, rejected and skipped."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils import timezone

from cases.models import Administration, Channel, Grouping
from imports.models import ImportBatch
from imports.parsing import (
    CsvLimits,
    References,
    RowError,
    XlsxLimits,
)

logger = logging.getLogger(__name__)


def csv_limits() -> CsvLimits:
    return CsvLimits(line_bytes=settings.IMPORT_MAX_CSV_LINE_BYTES, fields=settings.IMPORT_MAX_CSV_FIELDS)


def xlsx_limits() -> XlsxLimits:
    return XlsxLimits(
        shared_strings=settings.IMPORT_MAX_XLSX_SHARED_STRINGS,
        shared_strings_bytes=settings.IMPORT_MAX_XLSX_SHARED_STRINGS_BYTES,
    )


def load_references() -> References:
    return References(
        groupings=dict(Grouping.objects.values_list("code", "id")),
        channels=dict(Channel.objects.values_list("code", "id")),
        administrations=dict(Administration.objects.values_list("code", "id")),
    )


def heartbeat(batch: ImportBatch, *, progress: float, rows_read: int) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(
        progress=min(int(progress * 100), 99), rows_read=rows_read, heartbeat_at=timezone.now()
    )


@dataclass
class Reading:
    """What reading a case log found, filled in while its chunks are consumed."""

    rows_read: int = 0
    error_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    # Month ('YYYY-MM-01') → the valid rows the reading handed on for it.
    months: dict[str, int] = field(default_factory=dict)
    # Rows the source's profile skips (header=value → count): counted and named, never lost.
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped.values())

    def month_counts(self) -> dict[date, int]:
        return {date.fromisoformat(m): n for m, n in self.months.items()}

    def month_dates(self, declared: date | None) -> list[date]:
        dates = sorted(date.fromisoformat(m) for m in self.months)
        if declared and declared not in dates:
            dates.append(declared)
        return dates
