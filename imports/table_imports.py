"""Small files loaded at once, synchronously: a grouping map file and an administrations file."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases.grouping_maps import MapRow, grouping_map_version_create
from cases.services import AdministrationRow, administrations_upsert
from imports.parsing import (
    ADMIN_COLUMNS,
    ADMIN_REQUIRED,
    MAP_COLUMNS,
    MAP_REQUIRED,
    FileRejected,
    locate_header,
    open_table,
)
from imports.parsing.tables import administration_file_rows, map_file_rows
from imports.reading import csv_limits, xlsx_limits

logger = logging.getLogger(__name__)

# --- Grouping map and administrations (small files, synchronous) --------------------------


@dataclass
class FileImportResult:
    created: int
    detail: str


def _read_small_table(stream: IO[bytes], synonyms: dict[str, str], required: tuple[str, ...]) -> tuple[Any, Any]:
    data = stream.read()
    table = open_table(
        io.BytesIO(data),
        size=len(data),
        max_xlsx_bytes=settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES,
        xlsx_limits=xlsx_limits(),
        csv_limits=csv_limits(),
    )
    header = locate_header(table, synonyms=synonyms, required=required)
    return table, header


def grouping_map_import(*, stream: IO[bytes], user: Any = None) -> FileImportResult:
    """Load a grouping map file (DESIGN.md §6): one map version per distinct valid_from."""
    try:
        table, header = _read_small_table(stream, MAP_COLUMNS, MAP_REQUIRED)
        rows, errors = map_file_rows(table.rows, header)
        rows_by_date = {d: [MapRow(**r) for r in found] for d, found in rows.items()}
    except FileRejected as exc:
        raise ValidationError(str(exc)) from exc
    if errors:
        raise ValidationError(errors)
    if not rows_by_date:
        raise ValidationError(_("The file contains no rows."))
    with transaction.atomic():
        changed = [
            v
            for d, rows in sorted(rows_by_date.items())
            if (v := grouping_map_version_create(valid_from=d, rows=rows, user=user)) is not None
        ]
    total = sum(len(r) for r in rows_by_date.values())
    dates = ", ".join(f"{d:%Y-%m-%d}" for d in sorted(rows_by_date))
    return FileImportResult(
        created=len(changed),
        detail=_(
            "%(rows)s rows with valid-from %(dates)s; changes per grouping take effect from their date "
            "(unchanged owners make no change)."
        )
        % {"rows": total, "dates": dates},
    )


def administrations_import(*, stream: IO[bytes], user: Any = None) -> FileImportResult:
    try:
        table, header = _read_small_table(stream, ADMIN_COLUMNS, ADMIN_REQUIRED)
        found, errors = administration_file_rows(table.rows, header)
        rows = [AdministrationRow(**r) for r in found]
    except FileRejected as exc:
        raise ValidationError(str(exc)) from exc
    if errors:
        raise ValidationError(errors)
    if not rows:
        raise ValidationError(_("The file contains no rows."))
    created, updated = administrations_upsert(rows=rows, user=user)
    return FileImportResult(
        created=created,
        detail=_("%(created)s new and %(updated)s updated administrations.") % {"created": created, "updated": updated},
    )
