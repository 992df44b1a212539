"""Opening an uploaded file by its content (CSV in any common encoding and delimiter, or XLSX),
streaming its rows, and refusing what cannot be read safely (zip bombs, hostile XML, binaries)."""

from __future__ import annotations

import codecs
import csv
import io
import re
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
class CsvLimits:
    """Bounds on one CSV row: the csv module reads a whole line and makes a string per field
    (a 200 MB header of commas: 46 s and 1.7 GB), so both are bounded as the bytes arrive."""

    line_bytes: int = 1024 * 1024
    fields: int = 1000


@dataclass(frozen=True)
class XlsxLimits:
    """Bounds on what an XLSX may make the reader do before its first row: openpyxl reads the
    whole shared-strings part into memory first (5 million strings: 2 minutes, 843 MiB)."""

    shared_strings: int = 2_000_000
    shared_strings_bytes: int = 128 * 1024 * 1024


def open_table(
    stream: IO[bytes],
    *,
    size: int,
    max_xlsx_bytes: int,
    xlsx_limits: XlsxLimits = XlsxLimits(),
    sheet: str = "",
    csv_limits: CsvLimits = CsvLimits(),
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
    return _open_csv(stream, size=size, limits=csv_limits)


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


_LINE_BREAK = re.compile(rb"[\r\n]")


class _CountingReader(io.RawIOBase):
    """Wraps a binary stream and counts bytes read, for progress; refuses a line longer than
    `max_line` bytes as its bytes arrive, before any decoder or csv reader holds it whole."""

    def __init__(self, raw: IO[bytes], max_line: int = 0) -> None:
        self.raw = raw
        self.count = 0
        self.max_line = max_line
        self.lines = 0  # "\n" read so far: the line number, whatever ends lines ("\r\n", "\r")
        self.open_line = 0  # bytes since the last line break

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.raw.read(len(b))
        n = len(data)
        b[:n] = data
        self.count += n
        if self.max_line:
            self._bound_lines(data)
        return n

    def _bound_lines(self, data: bytes) -> None:
        if self.open_line + len(data) <= self.max_line:  # no line in here can be too long
            last = max(data.rfind(b"\n"), data.rfind(b"\r"))
            self.lines += data.count(b"\n")
            self.open_line = self.open_line + len(data) if last < 0 else len(data) - last - 1
            return
        start = 0
        for found in _LINE_BREAK.finditer(data):
            self._check(self.open_line + found.start() - start)
            self.lines += found.group() == b"\n"
            self.open_line, start = 0, found.end()
        self.open_line += len(data) - start
        self._check(self.open_line)

    def _check(self, length: int) -> None:
        if length > self.max_line:
            raise FileRejected(
                _(
                    "Line %(line)s is longer than %(limit)s bytes (a row of a case log is a few hundred); "
                    "the file is not read. Check that it is a CSV file with one row per line."
                )
                % {"line": formats.number(self.lines + 1), "limit": formats.number(self.max_line)}
            )


def _open_csv(stream: IO[bytes], *, size: int, limits: CsvLimits = CsvLimits()) -> Table:
    sample = stream.read(1 << 20)
    stream.seek(0)
    encoding = _detect_encoding(sample)
    first_line = sample.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()[0]
    return csv_table(stream, size=size, limits=limits, encoding=encoding, delimiter=_detect_delimiter(first_line))


def csv_table(
    stream: IO[bytes],
    *,
    size: int,
    limits: CsvLimits,
    encoding: str,
    delimiter: str,
    start: int = 0,
    first_row: int = 1,
) -> Table:
    """The file's rows from byte `start` on (a line's beginning, outside any quoted cell, which is
    row `first_row` and line `first_row`), read by the csv module with every limit and message."""
    stream.seek(start)
    decoding = "utf-8" if start and encoding == "utf-8-sig" else encoding  # the byte-order mark lies behind
    counter = _CountingReader(stream, max_line=limits.line_bytes)
    counter.count = start
    counter.lines = first_row - 1
    text = io.TextIOWrapper(
        io.BufferedReader(counter, buffer_size=1 << 16), encoding=decoding, errors="strict", newline=""
    )
    reader = csv.reader(text, delimiter=delimiter, strict=False)

    def rows() -> Iterator[tuple[int, list[str]]]:
        row_no = first_row - 1
        try:
            for row_no, cells in enumerate(reader, start=first_row):
                if len(cells) > limits.fields:
                    raise FileRejected(
                        _("Row %(row)s has %(count)s fields; at most %(limit)s are read. Check the delimiter.")
                        % {
                            "row": formats.number(row_no),
                            "count": formats.number(len(cells)),
                            "limit": formats.number(limits.fields),
                        }
                    )
                yield row_no, cells
        except UnicodeDecodeError as exc:
            # The decoder reads ahead in blocks, so the row being parsed is not where the bad
            # bytes are: find them in the file itself (this path runs once, on a refused file).
            line, value = first_undecodable(stream, encoding)
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


def first_undecodable(stream: IO[bytes], encoding: str) -> tuple[int, str]:
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
    """Refuse zip bombs before any XML is parsed: total size and compression ratio bounded, and
    every part the reader will take as shared strings bounded by bytes and by count, counted as
    it streams by (elements by local name: "<x:si>" is an "si" too)."""
    try:
        with zipfile.ZipFile(stream) as zf:
            infos = zf.infolist()
            _check_sizes(infos, max_bytes)
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names:
                raise FileRejected(_("The file is a zip archive but not an Excel workbook (xlsx)."))
            for name in sorted(_shared_strings_parts(zf, names)):
                _check_shared_strings(zf, zf.getinfo(name), limits)
    except zipfile.BadZipFile as exc:
        raise FileRejected(_("The file is not a valid Excel file (xlsx): the zip archive is damaged.")) from exc
    finally:
        stream.seek(0)


def _check_sizes(infos: list[zipfile.ZipInfo], max_bytes: int) -> None:
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


# What openpyxl reads as shared strings: the part [Content_Types].xml declares with this type;
# Excel also names it in the workbook's relationships. Both are followed, whatever the part's name.
_SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SHARED_STRINGS_RELATION = "/sharedStrings"
_WORKBOOK_TYPES = ("sheet.main+xml", "template.main+xml", "sheet.macroEnabled.main+xml", "addin.macroEnabled.main+xml")
_PACKAGE_PART_BYTES = 4 * 1024 * 1024  # [Content_Types].xml and relationship parts are a few kB


def _small_xml(zf: zipfile.ZipFile, name: str) -> Any:
    """A package part (content types, relationships) parsed with defusedxml, bounded in bytes."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    with zf.open(name) as part:
        data = part.read(_PACKAGE_PART_BYTES + 1)
    if len(data) > _PACKAGE_PART_BYTES:
        raise FileRejected(
            _("The Excel file's part %(name)s is larger than such a part ever is; the file is not read.")
            % {"name": name}
        )
    try:
        return fromstring(data)
    except (ParseError, DefusedXmlException) as exc:
        raise FileRejected(_xlsx_unreadable(exc)) from exc


def _local(tag: str) -> str:
    return tag.rpartition("}")[2].rpartition(":")[2]


def _content_types(zf: zipfile.ZipFile, names: set[str]) -> list[tuple[str, str]]:
    """(part name without the leading '/', content type) of every Override."""
    if "[Content_Types].xml" not in names:
        return []
    root = _small_xml(zf, "[Content_Types].xml")
    return [
        (str(e.get("PartName", "")).lstrip("/"), str(e.get("ContentType", "")))
        for e in root.iter()
        if _local(e.tag) == "Override"
    ]


def _workbook_parts(zf: zipfile.ZipFile, names: set[str]) -> set[str]:
    return {name for name, kind in _content_types(zf, names) if kind.endswith(_WORKBOOK_TYPES) and name in names}


def _shared_strings_parts(zf: zipfile.ZipFile, names: set[str]) -> set[str]:
    """Every part that may be read as shared strings, by content type, by relationship or by name."""
    import posixpath

    lowered = {n.lower(): n for n in names}
    found = {n for n in names if n.lower() == "xl/sharedstrings.xml"}
    found |= {name for name, kind in _content_types(zf, names) if kind == _SHARED_STRINGS_TYPE}
    for workbook in _workbook_parts(zf, names) | ({"xl/workbook.xml"} & names):
        folder, base = posixpath.split(workbook)
        rels = posixpath.join(folder, "_rels", base + ".rels")
        if rels not in names:
            continue
        for e in _small_xml(zf, rels).iter():
            if _local(e.tag) == "Relationship" and str(e.get("Type", "")).endswith(_SHARED_STRINGS_RELATION):
                target = str(e.get("Target", ""))
                path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
                found.add(posixpath.normpath(path))
    return {lowered[n.lower()] for n in found if n.lower() in lowered}


def _check_shared_strings(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: XlsxLimits) -> None:
    import xml.parsers.expat

    too_large = _(
        "The Excel file's shared strings take %(size)s MB, more than the %(limit)s MB allowed. "
        "Save the file as CSV and upload that instead."
    )
    too_many = _(
        "The Excel file has more than %(limit)s shared strings. Save the file as CSV and upload that instead."
    ) % {"limit": formats.number(limits.shared_strings)}
    if info.file_size > limits.shared_strings_bytes:
        raise FileRejected(
            too_large
            % {
                "size": formats.number(info.file_size // (1024 * 1024)),
                "limit": formats.number(limits.shared_strings_bytes // (1024 * 1024)),
            }
        )
    count = 0

    def start(name: str, attributes: Any) -> None:
        nonlocal count
        if name.rpartition(":")[2] == "si":  # whatever prefix the namespace is given
            count += 1

    def hostile(*args: Any) -> None:
        raise FileRejected(_xlsx_unreadable(_HostileXml()))

    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = hostile
    parser.EntityDeclHandler = hostile
    read = 0
    try:
        with zf.open(info) as part:  # the declared size can lie: the stream is what counts
            while chunk := part.read(1 << 20):
                read += len(chunk)
                if read > limits.shared_strings_bytes:
                    raise FileRejected(
                        too_large
                        % {
                            "size": formats.number(read // (1024 * 1024)),
                            "limit": formats.number(limits.shared_strings_bytes // (1024 * 1024)),
                        }
                    )
                parser.Parse(chunk, False)
                if count > limits.shared_strings:
                    raise FileRejected(too_many)
            parser.Parse(b"", True)
    except xml.parsers.expat.ExpatError as exc:
        raise FileRejected(_xlsx_unreadable(exc)) from exc
    if count > limits.shared_strings:
        raise FileRejected(too_many)


class _HostileXml(Exception):
    """A DTD or an entity declaration in a part: what defusedxml refuses, named the same way."""


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
        if isinstance(seen, DefusedXmlException | _HostileXml):
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
