"""Aggregated reference statistics (another municipality's monthly counts per grouping): read,
checked row by row and stored as the month's aggregates of a reference source."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import DataSource, MonthlyAggregate
from imports.models import ImportBatch
from imports.outcomes import _finish_rejected, _mark_loaded
from imports.parsing import (
    AGGREGATE_COLUMNS,
    AGGREGATE_REQUIRED,
    FileRejected,
    RowError,
    cell,
    channel_code,
    is_blank,
    locate_header,
    open_table,
    parse_month,
)
from imports.reading import _Reading, _references, _xlsx_limits

logger = logging.getLogger(__name__)

# --- Aggregated reference statistics -------------------------------------------------------


def _process_aggregated(batch: ImportBatch) -> None:
    """Reference statistics go straight into the monthly aggregates of their source."""
    refs = _references()
    cells_by_key: dict[tuple[date, int, int], tuple[int, int, int]] = {}
    errors: list[RowError] = []
    error_rows = 0
    rows_read = 0
    default_channel = refs.channels.get("unspecified")
    with batch.file.open("rb") as stream:
        table = open_table(
            stream,
            size=batch.size_bytes,
            max_xlsx_bytes=settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES,
            xlsx_limits=_xlsx_limits(),
        )
        # Aggregated statistics use the profile's single renamed columns (aggregate columns by name).
        renames = {h[0]: c for c, h in batch.source.read_profile().columns.items() if len(h) == 1}
        header = locate_header(table, synonyms=AGGREGATE_COLUMNS, required=AGGREGATE_REQUIRED, renames=renames or None)
        for row_no, cells in table.rows:
            if is_blank(cells):
                continue
            rows_read += 1
            row_errors: list[RowError] = []
            month = parse_month(cell(cells, header, "month"))
            if month is None:
                row_errors.append(RowError(row_no, "month", cell(cells, header, "month")[:200], _("expected YYYY-MM")))
            elif batch.declared_month and month != batch.declared_month:
                row_errors.append(
                    RowError(
                        row_no,
                        "month",
                        f"{month:%Y-%m}",
                        _("outside the file's month %(month)s") % {"month": f"{batch.declared_month:%Y-%m}"},
                    )
                )
            code = cell(cells, header, "grouping").strip()
            grouping_id = refs.groupings.get(code)
            if grouping_id is None:
                row_errors.append(RowError(row_no, "grouping", code[:200], _("unknown grouping code")))
            raw_cases = cell(cells, header, "cases").strip()
            n_cases = int(raw_cases) if raw_cases.isdigit() else None
            if n_cases is None:
                row_errors.append(RowError(row_no, "cases", raw_cases[:200], _("must be a whole number ≥ 0")))
            raw_channel = cell(cells, header, "channel")
            channel_id = default_channel
            if raw_channel.strip():
                code_ch = channel_code(raw_channel)
                channel_id = refs.channels.get(code_ch) if code_ch else None
                if channel_id is None:
                    row_errors.append(RowError(row_no, "channel", raw_channel[:200], _("unknown channel")))
            raw_handle = cell(cells, header, "handle_seconds").strip()
            handle = 0
            if raw_handle:
                if raw_handle.isdigit():
                    handle = int(raw_handle)
                else:
                    row_errors.append(
                        RowError(row_no, "handle_seconds", raw_handle[:200], _("must be a whole number ≥ 0"))
                    )
            if not row_errors and month is not None and grouping_id is not None and n_cases is not None:
                assert channel_id is not None
                key = (month, grouping_id, channel_id)
                if key in cells_by_key:
                    row_errors.append(
                        RowError(
                            row_no,
                            "grouping",
                            code,
                            _("the same month, grouping and channel are already on row %(row)s")
                            % {"row": cells_by_key[key][2]},
                        )
                    )
                else:
                    cells_by_key[key] = (n_cases, handle, row_no)
            if row_errors:
                error_rows += 1
                errors.extend(row_errors)
    if rows_read == 0:
        raise FileRejected(_("The file contains a header row but no rows."))
    if error_rows and not batch.load_valid_rows:
        _finish_rejected(batch, "", errors, error_rows, rows_read=rows_read)
        return
    months = sorted({k[0] for k in cells_by_key})
    if not months:
        _finish_rejected(batch, _("No row of the file is valid."), errors, error_rows, rows_read=rows_read)
        return
    with transaction.atomic():
        # Same lock order as case logs: the source row first, so loads of one source serialise.
        DataSource.objects.select_for_update().get(pk=batch.source_id)
        MonthlyAggregate.objects.filter(source_id=batch.source_id, month__in=months).delete()
        MonthlyAggregate.objects.bulk_create(
            [
                MonthlyAggregate(
                    source_id=batch.source_id,
                    month=m,
                    grouping_id=g,
                    channel_id=c,
                    cases=n,
                    handle_seconds=h,
                    handle_known=n if h else 0,
                )
                for (m, g, c), (n, h, _row) in cells_by_key.items()
            ],
            batch_size=2000,
        )
        _mark_loaded(
            batch,
            month_dates=months,
            reading=_Reading(rows_read=rows_read, error_rows=error_rows, errors=errors),
            inserted=len(cells_by_key),
        )
