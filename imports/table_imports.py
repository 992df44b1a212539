"""Small files loaded at once, synchronously: a grouping map file and an administrations file."""

from __future__ import annotations

import io
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
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
    cell,
    is_blank,
    locate_header,
    open_table,
    parse_bool,
    parse_date,
    parse_decimal,
)
from imports.reading import _xlsx_limits

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
        xlsx_limits=_xlsx_limits(),
    )
    header = locate_header(table, synonyms=synonyms, required=required)
    return table, header


def grouping_map_import(*, stream: IO[bytes], user: Any = None) -> FileImportResult:
    """Load a grouping map file (DESIGN.md §6): one map version per distinct valid_from."""
    try:
        table, header = _read_small_table(stream, MAP_COLUMNS, MAP_REQUIRED)
        rows_by_date: dict[date, list[MapRow]] = defaultdict(list)
        errors: list[str] = []
        for row_no, cells in table.rows:
            if is_blank(cells):
                continue
            grouping = cell(cells, header, "grouping").strip()
            valid_from = parse_date(cell(cells, header, "valid_from"))
            central = parse_bool(cell(cells, header, "central"))
            ended = parse_bool(cell(cells, header, "ended"))
            raw_fraction = cell(cells, header, "fraction").strip()
            fraction = parse_decimal(raw_fraction) if raw_fraction else Decimal(1)
            if not grouping:
                errors.append(_("Row %(row)s, column grouping: code missing.") % {"row": row_no})
            if valid_from is None:
                errors.append(
                    _("Row %(row)s, column %(column)s: %(value)r is not a date (YYYY-MM-DD).")
                    % {"row": row_no, "column": "valid_from", "value": cell(cells, header, "valid_from")}
                )
            if central is None:
                errors.append(
                    _("Row %(row)s, column %(column)s: %(value)r; expected 1 or 0.")
                    % {"row": row_no, "column": "central", "value": cell(cells, header, "central")}
                )
            if ended is None:
                errors.append(
                    _("Row %(row)s, column %(column)s: %(value)r; expected 1 or 0.")
                    % {"row": row_no, "column": "ended", "value": cell(cells, header, "ended")}
                )
            if fraction is None:
                errors.append(
                    _("Row %(row)s, column fraction: %(value)r is not a number.")
                    % {"row": row_no, "value": raw_fraction}
                )
            if grouping and valid_from and central is not None and ended is not None and fraction is not None:
                rows_by_date[valid_from].append(
                    MapRow(
                        row=row_no,
                        grouping=grouping,
                        name=cell(cells, header, "name").strip(),
                        administration=cell(cells, header, "administration").strip(),
                        fraction=fraction,
                        central=central,
                        ended=ended,
                    )
                )
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
        rows: list[AdministrationRow] = []
        errors: list[str] = []
        seen: dict[str, int] = {}
        for row_no, cells in table.rows:
            if is_blank(cells):
                continue
            code = cell(cells, header, "code").strip()
            name = cell(cells, header, "name").strip()
            raw_from, raw_to = cell(cells, header, "valid_from").strip(), cell(cells, header, "valid_to").strip()
            valid_from = parse_date(raw_from) if raw_from else None
            valid_to = parse_date(raw_to) if raw_to else None
            if not code or len(code) > 20:
                errors.append(
                    _("Row %(row)s, column code: %(value)r; the code must have 1–20 characters.")
                    % {"row": row_no, "value": code}
                )
            elif code in seen:
                errors.append(
                    _("Row %(row)s, column code: %(value)r is already on row %(other)s.")
                    % {"row": row_no, "value": code, "other": seen[code]}
                )
            seen.setdefault(code, row_no)
            if not name:
                errors.append(_("Row %(row)s, column name: name missing.") % {"row": row_no})
            if raw_from and valid_from is None:
                errors.append(
                    _("Row %(row)s, column %(column)s: %(value)r is not a date (YYYY-MM-DD).")
                    % {"row": row_no, "column": "valid_from", "value": raw_from}
                )
            if raw_to and valid_to is None:
                errors.append(
                    _("Row %(row)s, column %(column)s: %(value)r is not a date (YYYY-MM-DD).")
                    % {"row": row_no, "column": "valid_to", "value": raw_to}
                )
            if valid_from and valid_to and valid_to < valid_from:
                errors.append(
                    _("Row %(row)s, column valid_to: %(value)s lies before valid from %(start)s.")
                    % {"row": row_no, "value": raw_to, "start": raw_from}
                )
            rows.append(
                AdministrationRow(
                    code=code,
                    name=name,
                    cost_centre=cell(cells, header, "cost_centre").strip(),
                    valid_from=valid_from,
                    valid_to=valid_to,
                )
            )
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
