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


def workbook_bytes(wb: Any, *, stamp: datetime) -> bytes:
    """Save an openpyxl workbook so that the same content and stamp give byte-identical files.

    openpyxl writes the clock into the document properties and every zip entry; here both carry
    `stamp` (the record's own time), so an export can be checked by its checksum, e.g. against
    the same export from a restored backup.
    """
    from openpyxl.writer.excel import ExcelWriter

    naive = stamp.astimezone(UTC).replace(tzinfo=None) if stamp.tzinfo else stamp
    naive = max(naive.replace(microsecond=0), datetime(1980, 1, 1))
    wb.properties.created = naive
    wb.properties.modified = naive
    wb.properties.creator = "Kontaktcenter samfinansiering"
    out = io.BytesIO()
    archive = _StampedZip(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    archive.stamp = (naive.year, naive.month, naive.day, naive.hour, naive.minute, naive.second)
    ExcelWriter(wb, archive).save()  # closes the archive
    return out.getvalue()
