"""A table as a file to download: CSV (with a BOM so Excel opens åäö correctly) or XLSX, every text
cell formula-safe. The one writer behind the audit log export, the map export and an import's
error report."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.http import Http404, HttpResponse
from django.utils import timezone

from cases.spreadsheet import safe_cell, workbook_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_response(
    *,
    name: str,
    fmt: str,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    sheet: Any,
    delimiter: str = ";",
    stamp: datetime | None = None,
) -> HttpResponse:
    """`name`.csv or `name`.xlsx as an attachment; any other format is a 404."""
    head = [str(h) for h in header]
    safe = ([safe_cell(v) for v in row] for row in rows)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(head)
        writer.writerows(safe)
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(str(sheet))
        ws.append(head)
        for row in safe:
            ws.append(row)
        response = HttpResponse(workbook_bytes(wb, stamp=stamp or timezone.now()), content_type=XLSX)
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
