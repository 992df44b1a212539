"""Reading a transfer file (CSV or XLSX) into checked values (pure: no database).

Columns (header names case-insensitive, Swedish synonyms accepted): `grouping`, `administration`,
`wave`, `transferred_on`, optional `minutes_before`, `expected_cases_per_year`, `comment`. Every
problem is told as row, column, value and reason; the service loads a file only when none is found.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from cases.numbers import NumberError, parse_number

MAX_BYTES = 5_000_000
MAX_ROWS = 5_000
MAX_XLSX_UNPACKED = 50_000_000  # a zip bomb is refused before it is opened
MAX_WAVE = 32_767  # the register's wave column is a small integer (PostgreSQL smallint)
COLUMNS: dict[str, tuple[str, ...]] = {
    "grouping": ("grouping", "gruppering", "ärendegruppering", "arendegruppering"),
    "administration": ("administration", "förvaltning", "forvaltning"),
    "wave": ("wave", "våg", "vag", "prioriteringsvåg"),
    "transferred_on": ("transferred_on", "överförd", "överförd_den", "overford", "datum", "date"),
    "minutes_before": ("minutes_before", "minuter_före", "minuter före", "minuter"),
    "expected_cases_per_year": ("expected_cases_per_year", "förväntade_ärenden_per_år", "ärenden_per_år"),
    "comment": ("comment", "kommentar"),
}
REQUIRED = ("grouping", "administration", "wave", "transferred_on")


class TransferFileError(ValueError):
    """The file as a whole cannot be read (its type, size, encoding or header)."""


@dataclass(frozen=True)
class TransferRow:
    row: int
    grouping: str
    administration: str
    wave: int
    transferred_on: date
    minutes_before: Decimal | None
    expected_cases_per_year: int | None
    comment: str


def row_error(row: int, column: str, value: object, reason: str) -> str:
    return _("Row %(row)s, column %(column)s, value %(value)r: %(reason)s") % {
        "row": row,
        "column": column,
        "value": str(value)[:60],
        "reason": reason,
    }


def _text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TransferFileError(_("The file is neither UTF-8 nor Windows-1252 text."))


def _csv_rows(data: bytes) -> list[list[str]]:
    text = _text(data)
    if "\x00" in text:
        raise TransferFileError(_("The file is not a CSV or XLSX file."))
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first.count)
    try:
        return list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:  # a field beyond the csv module's limit, mostly a quotation mark never closed
        raise TransferFileError(
            _(
                "The CSV file cannot be read (%(reason)s). A quotation mark that is never closed makes the rest "
                "of the file one field: check the quotation marks, or save the file again as CSV or XLSX from Excel."
            )
            % {"reason": exc}
        ) from exc


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "date") and callable(value.date):  # an Excel date cell (datetime)
        return f"{value.date():%Y-%m-%d}"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    rows: list[list[str]] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED:
                raise TransferFileError(_("The XLSX file unpacks to more than 50 MB; it cannot be a transfer list."))
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            # A read-only workbook parses the sheet while it is iterated: a damaged sheet fails here.
            for values in book.worksheets[0].iter_rows(values_only=True):
                rows.append([_cell_text(v) for v in values])
                if len(rows) > MAX_ROWS + 1:
                    break
        finally:
            book.close()
    except TransferFileError:
        raise
    except Exception as exc:  # whatever a damaged file makes openpyxl raise, the reader is told why
        raise TransferFileError(
            _(
                "The XLSX file is damaged and cannot be read (%(reason)s). Open it in Excel, save it again as "
                "XLSX or CSV and load the new file."
            )
            % {"reason": exc}
        ) from exc
    return rows


def read_transfer_file(data: bytes) -> tuple[list[TransferRow], list[str]]:
    """The file's rows and every row error (row, column, value, reason). A file that cannot be
    read at all raises TransferFileError."""
    if len(data) > MAX_BYTES:
        raise TransferFileError(_("The file is larger than 5 MB; a transfer list is far smaller."))
    if data.startswith(b"%PDF") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise TransferFileError(_("The file is a PDF or an old Excel file: save it as CSV or XLSX."))
    table = _xlsx_rows(data) if data.startswith(b"PK") else _csv_rows(data)
    if len(table) > MAX_ROWS + 1:
        raise TransferFileError(_("The file has more than %(max)s rows.") % {"max": MAX_ROWS})
    header_at = next((i for i, row in enumerate(table) if any(c.strip() for c in row)), None)
    if header_at is None:
        raise TransferFileError(_("The file contains no rows."))
    names = {synonym: column for column, synonyms in COLUMNS.items() for synonym in synonyms}
    index: dict[str, int] = {}
    for position, title in enumerate(table[header_at]):
        column = names.get(title.strip().lower())
        if column is not None and column not in index:
            index[column] = position
    missing = [c for c in REQUIRED if c not in index]
    if missing:
        raise TransferFileError(
            _("The header lacks the column(s) %(missing)s; the file needs %(required)s.")
            % {"missing": ", ".join(missing), "required": ", ".join(REQUIRED)}
        )
    rows: list[TransferRow] = []
    errors: list[str] = []
    for number, cells in enumerate(table[header_at + 1 :], start=header_at + 2):
        if not any(c.strip() for c in cells):
            continue

        def cell(column: str, cells: list[str] = cells) -> str:
            position = index.get(column)
            return cells[position].strip() if position is not None and position < len(cells) else ""

        found = len(errors)
        grouping, administration = cell("grouping"), cell("administration")
        for column, value in (("grouping", grouping), ("administration", administration)):
            if not value:
                errors.append(row_error(number, column, value, _("a code is required.")))
        wave = _whole(cell("wave"), minimum=1, maximum=MAX_WAVE)
        if wave is None:
            errors.append(
                row_error(
                    number,
                    "wave",
                    cell("wave"),
                    _("write a whole number from 1 to %(max)s (the priority wave).") % {"max": MAX_WAVE},
                )
            )
        try:
            transferred_on = date.fromisoformat(cell("transferred_on")[:10])
        except ValueError:
            transferred_on = None
            errors.append(row_error(number, "transferred_on", cell("transferred_on"), _("write a date, YYYY-MM-DD.")))
        minutes_ok, minutes = parse_minutes(cell("minutes_before"))
        if not minutes_ok:
            errors.append(
                row_error(
                    number,
                    "minutes_before",
                    cell("minutes_before"),
                    _("write minutes per case, 0 or more with at most two decimals, or leave it empty."),
                )
            )
        expected = _whole(cell("expected_cases_per_year"), minimum=0) if cell("expected_cases_per_year") else None
        if cell("expected_cases_per_year") and expected is None:
            errors.append(
                row_error(
                    number,
                    "expected_cases_per_year",
                    cell("expected_cases_per_year"),
                    _("write a whole number of cases, or leave it empty."),
                )
            )
        if len(errors) == found and wave is not None and transferred_on is not None and minutes_ok:
            rows.append(
                TransferRow(number, grouping, administration, wave, transferred_on, minutes, expected, cell("comment"))
            )
    return rows, errors


def _whole(text: str, *, minimum: int, maximum: int = 1_000_000_000) -> int | None:
    try:
        value = parse_number(text)
    except NumberError:
        return None
    if value != value.to_integral_value() or value < minimum or value > maximum:
        return None
    return int(value)


def parse_minutes(text: str) -> tuple[bool, Decimal | None]:
    """Whether the minutes per case are acceptable, and their value (None when empty: the measured
    default counts)."""
    if not text:
        return True, None
    try:
        value = parse_number(text)
    except NumberError:
        return False, None
    if value < 0 or value >= 1_000_000 or value != value.quantize(Decimal("0.01")):
        return False, None
    return True, value
