"""Writing spreadsheets: text from uploaded files never becomes a formula, and the same content
always gives the same bytes."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Prefix text a spreadsheet would evaluate (=, +, -, @, tab, CR) with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _StampedZip(zipfile.ZipFile):
    """A zip whose entries carry a given time instead of the clock's."""

    stamp: tuple[int, int, int, int, int, int] = (1980, 1, 1, 0, 0, 0)

    def writestr(self, zinfo_or_arcname: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=self.stamp)
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
        # openpyxl writes each worksheet to a temporary file and adds it with write(), which
        # would take the file's modification time.
        with open(filename, "rb") as f:
            self.writestr(arcname or Path(filename).name, f.read())


def print_setup(ws: Any) -> None:
    """A sheet that prints as it reads: A4, one page wide (landscape when wide or charted), the
    header row repeated on every page, and a print area that holds the data and its charts."""
    from openpyxl.utils import column_index_from_string, get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    if not isinstance(ws, Worksheet):  # a write-only sheet is already written out
        return
    last_col, last_row = max(ws.max_column, 1), max(ws.max_row, 1)
    for chart in ws._charts:  # openpyxl keeps a sheet's charts here
        anchor = getattr(chart.anchor, "_from", None)  # a cell name ("D2") until the sheet is written
        if anchor is not None:
            col, row = anchor.col + 1, anchor.row + 1
        else:
            letters = "".join(c for c in str(chart.anchor) if c.isalpha())
            col, row = column_index_from_string(letters), int("".join(c for c in str(chart.anchor) if c.isdigit()))
        # openpyxl's default chart is 15 × 7.5 cm: about 9 default columns and 15 rows.
        last_col = max(last_col, col + 9)
        last_row = max(last_row, row + 15)
    ws.print_area = f"A1:{get_column_letter(last_col)}{last_row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if last_col > 6 or ws._charts else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if ws.freeze_panes == "A2":  # a table with its header in row 1
        ws.print_title_rows = "1:1"


def workbook_bytes(wb: Any, *, stamp: datetime) -> bytes:
    """Save an openpyxl workbook so that the same content and stamp give byte-identical files.

    openpyxl writes the clock into the document properties and every zip entry; here both carry
    `stamp` (the record's own time), so an export can be checked by its checksum, e.g. against
    the same export from a restored backup. Every sheet is set up for printing (print_setup).
    """
    from openpyxl.writer.excel import ExcelWriter

    naive = stamp.astimezone(UTC).replace(tzinfo=None) if stamp.tzinfo else stamp
    naive = max(naive.replace(microsecond=0), datetime(1980, 1, 1))
    wb.properties.created = naive
    wb.properties.modified = naive
    wb.properties.creator = "Kontaktcenter samfinansiering"
    for ws in wb.worksheets:
        print_setup(ws)
    out = io.BytesIO()
    archive = _StampedZip(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    archive.stamp = (naive.year, naive.month, naive.day, naive.hour, naive.minute, naive.second)
    ExcelWriter(wb, archive).save()  # closes the archive
    return out.getvalue()
