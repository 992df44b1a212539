"""Aggregated reference statistics (another municipality's monthly counts per grouping): read,
checked row by row and stored as the month's aggregates of a reference source."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import DataSource
from cases.services import monthly_aggregates_replace
from imports.models import ImportBatch
from imports.outcomes import finish_rejected, mark_loaded
from imports.parsing import (
    AGGREGATE_COLUMNS,
    AGGREGATE_REQUIRED,
    FileRejected,
    locate_header,
    open_table,
)
from imports.parsing.tables import aggregate_file_rows
from imports.reading import Reading, csv_limits, load_references, xlsx_limits

logger = logging.getLogger(__name__)

# --- Aggregated reference statistics -------------------------------------------------------


def process_aggregated(batch: ImportBatch) -> None:
    """Reference statistics go straight into the monthly aggregates of their source."""
    refs = load_references()
    with batch.file.open("rb") as stream:
        table = open_table(
            stream,
            size=batch.size_bytes,
            max_xlsx_bytes=settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES,
            xlsx_limits=xlsx_limits(),
            csv_limits=csv_limits(),
        )
        # Aggregated statistics use the profile's single renamed columns (aggregate columns by name).
        renames = {h[0]: c for c, h in batch.source.read_profile().columns.items() if len(h) == 1}
        header = locate_header(table, synonyms=AGGREGATE_COLUMNS, required=AGGREGATE_REQUIRED, renames=renames or None)
        reading = aggregate_file_rows(table.rows, header, refs, batch.declared_month)
    cells_by_key, errors, error_rows, rows_read = reading.cells, reading.errors, reading.error_rows, reading.rows_read
    if rows_read == 0:
        raise FileRejected(_("The file contains a header row but no rows."))
    if error_rows and not batch.load_valid_rows:
        finish_rejected(batch, "", errors, error_rows, rows_read=rows_read)
        return
    months = sorted({k[0] for k in cells_by_key})
    if not months:
        finish_rejected(batch, _("No row of the file is valid."), errors, error_rows, rows_read=rows_read)
        return
    with transaction.atomic():
        # Same lock order as case logs: the source row first, so loads of one source serialise.
        DataSource.objects.select_for_update().get(pk=batch.source_id)
        monthly_aggregates_replace(
            source_id=batch.source_id,
            months=months,
            cells=[(m, g, c, n, h) for (m, g, c), (n, h, _row) in cells_by_key.items()],
        )
        mark_loaded(
            batch,
            month_dates=months,
            reading=Reading(rows_read=rows_read, error_rows=error_rows, errors=errors),
            inserted=len(cells_by_key),
        )
