"""Opening an uploaded file by its content (CSV in any common encoding and delimiter, or XLSX),
streaming its rows, and refusing what cannot be read safely (zip bombs, hostile XML, binaries)."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from cases import formats
from imports.parsing.errors import FileRejected

STOCKHOLM = ZoneInfo("Europe/Stockholm")
HEADER_SEARCH_ROWS = 20
MAX_CELL_CHARS = 1000
CSV_FIELD_LIMIT = 100_000
csv.field_size_limit(CSV_FIELD_LIMIT)


# --- Opening files -------------------------------------------------------------------------


@dataclass
class Table:
    """A readable table: its rows as lists of strings with their row numbers in the file."""

    rows: Iterator[tuple[int, list[str]]]
    progress: Callable[[], float] = lambda: 0.0
    kind: str = "csv"
    encoding: str = ""
    delimiter: str = ""


@dataclass(frozen=True)
class XlsxLimits:
    """Bounds on what an XLSX may make the reader do before its first row: openpyxl reads the
    whole shared-strings part into memory first (5 million strings: 2 minutes, 843 MiB)."""

    shared_strings: int = 2_000_000
    shared_strings_bytes: int = 128 * 1024 * 1024


def open_table(
    stream: IO[bytes], *, size: int, max_xlsx_bytes: int, xlsx_limits: XlsxLimits = XlsxLimits(), sheet: str = ""
) -> Table:
    """Open a CSV or XLSX file by its content, whatever its name claims."""
    head = stream.read(4096)
    stream.seek(0)
    if not head.strip():
        raise FileRejected(_("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(stream, max_xlsx_bytes=max_xlsx_bytes, limits=xlsx_limits, sheet=sheet)
    if head.startswith(b"%PDF"):
        raise FileRejected(_("The file is a PDF. Upload the case log as CSV or Excel (xlsx)."))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRejected(_("The file is in the old Excel format (xls). Save it as xlsx or CSV."))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(_("The file is encoded as UTF-16. Save it as UTF-8 or Windows-1252 (CSV)."))
    if b"\x00" in head:
        raise FileRejected(_("The file looks binary, not a CSV text file or xlsx."))
    return _open_csv(stream, size=size)


def _detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _detect_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


class _CountingReader(io.RawIOBase):
    """Wraps a binary stream and counts bytes read, for progress."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.raw.read(len(b))
        n = len(data)
        b[:n] = data
        self.count += n
        return n


def _open_csv(stream: IO[bytes], *, size: int) -> Table:
    sample = stream.read(1 << 20)
    stream.seek(0)
    encoding = _detect_encoding(sample)
    first_line = sample.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()[0]
    delimiter = _detect_delimiter(first_line)
    counter = _CountingReader(stream)
    text = io.TextIOWrapper(
        io.BufferedReader(counter, buffer_size=1 << 16), encoding=encoding, errors="strict", newline=""
    )
    reader = csv.reader(text, delimiter=delimiter, strict=False)

    def rows() -> Iterator[tuple[int, list[str]]]:
        row_no = 0
        try:
            for row_no, cells in enumerate(reader, start=1):
                yield row_no, cells
        except UnicodeDecodeError as exc:
            # The decoder reads ahead in blocks, so the row being parsed is not where the bad
            # bytes are: find them in the file itself (this path runs once, on a refused file).
            line, value = _first_undecodable(stream, encoding)
            name = "Windows-1252" if encoding == "cp1252" else encoding.upper()
            raise FileRejected(
                _(
                    "Row %(row)s: %(value)s cannot be read as %(encoding)s. "
                    "Save the file as UTF-8 (CSV UTF-8 in Excel) and upload it again."
                )
                % {"row": line, "value": value, "encoding": name}
            ) from exc
        except csv.Error as exc:
            reason = (
                _("a cell is longer than %(limit)s characters") % {"limit": formats.number(CSV_FIELD_LIMIT)}
                if "field larger than field limit" in str(exc)
                else _("the row cannot be parsed (%(error)s)") % {"error": exc}
            )
            raise FileRejected(
                _("Row %(row)s: the file cannot be read as CSV: %(reason)s. Check quotation marks and cell sizes.")
                % {"row": row_no + 1, "reason": reason}
            ) from exc

    return Table(
        rows=rows(),
        progress=lambda: min(counter.count / size, 1.0) if size else 0.0,
        kind="csv",
        encoding=encoding,
        delimiter=delimiter,
    )


def _first_undecodable(stream: IO[bytes], encoding: str) -> tuple[int, str]:
    """The 1-based line of the first bytes the encoding cannot read, and those bytes in words."""
    import codecs

    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    while block := stream.read(1 << 16):
        try:
            decoder.decode(block)
        except UnicodeDecodeError as exc:
            bad = block[exc.start : exc.end] or block[exc.start : exc.start + 1]
            return line + block[: exc.start].count(b"\n"), _("the character with byte code %(codes)s") % {
                "codes": " ".join(f"0x{b:02X}" for b in bad)
            }
        line += block.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return line, _("a truncated character at the end of the file")
    return line, _("a character")


def check_xlsx_container(stream: IO[bytes], *, max_bytes: int, limits: XlsxLimits = XlsxLimits()) -> None:
    """Refuse zip bombs before any XML is parsed: total size and compression ratio bounded,
    and the shared strings bounded by size and by count (counted while streaming, no parse)."""
    try:
        with zipfile.ZipFile(stream) as zf:
            infos = zf.infolist()
            strings = next((i for i in infos if i.filename.lower() == "xl/sharedstrings.xml"), None)
            if strings is not None and strings.file_size <= max_bytes:
                _check_shared_strings(zf, strings, limits)
    except zipfile.BadZipFile as exc:
        raise FileRejected(_("The file is not a valid Excel file (xlsx): the zip archive is damaged.")) from exc
    finally:
        stream.seek(0)
    total = sum(i.file_size for i in infos)
    if total > max_bytes:
        raise FileRejected(
            _(
                "The Excel file unpacks to %(size)s MB, more than the %(limit)s MB allowed. "
                "Split the file or save it as CSV."
            )
            % {"size": formats.number(total // (1024 * 1024)), "limit": formats.number(max_bytes // (1024 * 1024))}
        )
    for info in infos:
        if info.file_size > 10 * 1024 * 1024 and info.file_size > 200 * max(info.compress_size, 1):
            raise FileRejected(
                _("The Excel file is suspiciously highly compressed (a possible zip bomb) and is not read.")
            )
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise FileRejected(_("The file is a zip archive but not an Excel workbook (xlsx)."))


def _check_shared_strings(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: XlsxLimits) -> None:
    if info.file_size > limits.shared_strings_bytes:
        raise FileRejected(
            _(
                "The Excel file's shared strings take %(size)s MB, more than the %(limit)s MB allowed. "
                "Save the file as CSV and upload that instead."
            )
            % {
                "size": formats.number(info.file_size // (1024 * 1024)),
                "limit": formats.number(limits.shared_strings_bytes // (1024 * 1024)),
            }
        )
    count = 0
    tail = b""
    with zf.open(info) as part:  # the declared size can lie: the stream is what counts
        while chunk := part.read(1 << 20):
            data = tail + chunk
            count += data.count(b"<si>") + data.count(b"<si ")
            # A tag split between chunks is completed by the next chunk: keep the last 3 bytes
            # (too short to hold a whole tag, so nothing is counted twice).
            tail = data[-3:]
            if count > limits.shared_strings:
                raise FileRejected(
                    _(
                        "The Excel file has more than %(limit)s shared strings. "
                        "Save the file as CSV and upload that instead."
                    )
                    % {"limit": formats.number(limits.shared_strings)}
                )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_unreadable(exc: BaseException) -> str:
    """Why a workbook cannot be read, in words: hostile XML is named as such, the rest is damage."""
    from defusedxml import DefusedXmlException

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DefusedXmlException):
            return _(
                "The Excel file contains XML definitions (DTD or entities) that Excel never writes and that "
                "are not read for security reasons. Open the file in Excel and save it as a new xlsx file."
            )
        seen = seen.__cause__ or seen.__context__
    return _("The Excel file cannot be read: it is damaged or was not saved by Excel. Save it again in Excel.")


def _open_xlsx(stream: IO[bytes], *, max_xlsx_bytes: int, limits: XlsxLimits = XlsxLimits(), sheet: str = "") -> Table:
    check_xlsx_container(stream, max_bytes=max_xlsx_bytes, limits=limits)
    import openpyxl  # imported here: only XLSX uploads pay for it

    try:
        wb = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken or hostile files
        raise FileRejected(_xlsx_unreadable(exc)) from exc
    if sheet:
        if sheet not in wb.sheetnames:
            names = ", ".join(repr(n) for n in wb.sheetnames)
            wb.close()
            raise FileRejected(
                _("The workbook has no sheet %(sheet)r, which the source's profile names; its sheets are %(names)s.")
                % {"sheet": sheet, "names": names}
            )
        ws = wb[sheet]
    else:
        ws = wb.worksheets[0]
    total = ws.max_row or 0
    state = {"row": 0}

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for row_no, values in enumerate(ws.iter_rows(values_only=True), start=1):
                state["row"] = row_no
                yield row_no, [_cell_text(v) for v in values]
        except Exception as exc:
            raise FileRejected(f"Rad {state['row'] + 1}: {_xlsx_unreadable(exc)}") from exc
        finally:
            wb.close()

    return Table(rows=rows(), progress=lambda: state["row"] / total if total else 0.0, kind="xlsx")
