"""Reading and validating uploaded files. Pure: no database access.

Everything here streams: a file is read row by row and memory does not grow with
its size. Problems come back as `RowError` (row, column, value, reason in Swedish)
or, for a file that cannot be read at all, as `FileRejected`.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from cases import formats

STOCKHOLM = ZoneInfo("Europe/Stockholm")
HEADER_SEARCH_ROWS = 20
MAX_CELL_CHARS = 1000
CSV_FIELD_LIMIT = 100_000
csv.field_size_limit(CSV_FIELD_LIMIT)


class FileRejected(Exception):
    """The file as a whole cannot be read; the message says why in Swedish."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    reason: str


def describe_error(row: int, column: str, value: str, reason: str) -> str:
    """One error as a finance officer reads it: row, column (Swedish name and file name), value, reason."""
    parts = [_("row %(row)s") % {"row": row}]
    if column:
        label = str(COLUMN_LABELS.get(column, column))
        parts.append(
            _("column %(label)s (%(column)s)") % {"label": label, "column": column}
            if label != column
            else _("column %(column)s") % {"column": column}
        )
    if value:
        shown = value if len(value) <= 40 else value[:37] + "..."
        parts.append(_("value ”%(value)s”") % {"value": shown})
    else:
        parts.append(_("empty value"))
    return ", ".join(parts) + f": {reason}"


# --- Column names --------------------------------------------------------------------------


def normalise_header(text: Any) -> str:
    value = "" if text is None else str(text)
    value = value.replace("\ufeff", "").strip().lower()
    for ch in (" ", "-", "."):
        value = value.replace(ch, "_")
    while "__" in value:
        value = value.replace("__", "_")
    return value.strip("_")


def _synonyms(table: dict[str, list[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for canonical, names in table.items():
        for name in [canonical, *names]:
            out[normalise_header(name)] = canonical
    return out


CASE_COLUMNS = _synonyms(
    {
        "case_id": ["ärende_id", "ärendeid", "ärendenummer", "ärendenr", "id"],
        "opened_at": ["öppnad", "skapad", "registrerad", "datum", "tidpunkt", "starttid"],
        "channel": ["kanal", "kontaktväg"],
        "grouping": ["ärendegruppering", "gruppering", "kategori", "ärendetyp"],
        "handle_seconds": ["hanteringstid", "handläggningstid", "samtalstid", "hanteringstid_s"],
        "wait_seconds": ["väntetid", "kötid", "väntetid_s"],
        "resolved_first_contact": ["löst_vid_första_kontakt", "löst_direkt", "fcr", "löst_första_kontakt"],
        "forwarded_to": ["vidarebefordrad_till", "kopplad_till", "överlämnad_till"],
        "outcome": ["utfall", "resultat"],
    }
)
CASE_REQUIRED = ("case_id", "opened_at", "channel", "grouping")

AGGREGATE_COLUMNS = _synonyms(
    {
        "month": ["månad", "period"],
        "grouping": ["ärendegruppering", "gruppering", "kategori"],
        "cases": ["antal", "ärenden", "antal_ärenden"],
        "channel": ["kanal"],
        "handle_seconds": ["hanteringstid", "handläggningstid"],
    }
)
AGGREGATE_REQUIRED = ("month", "grouping", "cases")

MAP_COLUMNS = _synonyms(
    {
        "grouping": ["ärendegruppering", "gruppering"],
        "name": ["namn", "benämning"],
        "administration": ["förvaltning"],
        "fraction": ["andel"],
        "central": ["centralt", "centralt_finansierad"],
        "ended": ["upphör", "avslutad"],
        "valid_from": ["giltig_från", "gäller_från"],
    }
)
MAP_REQUIRED = ("grouping", "administration", "valid_from")

ADMIN_COLUMNS = _synonyms(
    {
        "code": ["kod", "förvaltningskod"],
        "name": ["namn"],
        "cost_centre": ["kostnadsställe", "ansvar"],
        "valid_from": ["giltig_från"],
        "valid_to": ["giltig_till"],
    }
)
ADMIN_REQUIRED = ("code", "name")

# The columns' names in the reader's language (the file's own name is shown beside them).
COLUMN_LABELS = {
    "case_id": pgettext_lazy("column", "case id"),
    "opened_at": pgettext_lazy("column", "opened at"),
    "channel": pgettext_lazy("column", "channel"),
    "grouping": pgettext_lazy("column", "grouping"),
    "handle_seconds": pgettext_lazy("column", "handle time"),
    "wait_seconds": pgettext_lazy("column", "wait time"),
    "resolved_first_contact": pgettext_lazy("column", "resolved at first contact"),
    "forwarded_to": pgettext_lazy("column", "forwarded to"),
    "outcome": pgettext_lazy("column", "outcome"),
    "ended": pgettext_lazy("column", "ended"),
    "month": pgettext_lazy("column", "month"),
    "cases": pgettext_lazy("column", "cases"),
    "administration": pgettext_lazy("column", "administration"),
    "fraction": pgettext_lazy("column", "fraction"),
    "central": pgettext_lazy("column", "central"),
    "valid_from": pgettext_lazy("column", "valid from"),
    "code": pgettext_lazy("column", "code"),
    "name": pgettext_lazy("column", "name"),
}

CHANNEL_SYNONYMS = {
    "phone": "phone",
    "telefon": "phone",
    "tel": "phone",
    "samtal": "phone",
    "email": "email",
    "e_mail": "email",
    "e_post": "email",
    "epost": "email",
    "mejl": "email",
    "mail": "email",
    "chat": "chat",
    "chatt": "chat",
    "visit": "visit",
    "besök": "visit",
    "fysiskt_besök": "visit",
    "eservice": "eservice",
    "e_service": "eservice",
    "e_tjänst": "eservice",
    "etjänst": "eservice",
    "social": "social",
    "sociala_medier": "social",
    "letter": "letter",
    "brev": "letter",
    "unspecified": "unspecified",
    "ospecificerad": "unspecified",
}

_TRUE = {"1", "true", "ja", "j", "yes", "y", "sant"}
_FALSE = {"0", "false", "nej", "n", "no", "falskt"}


def channel_code(text: str) -> str | None:
    return CHANNEL_SYNONYMS.get(normalise_header(text))


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


# --- Header -------------------------------------------------------------------------------


@dataclass
class Header:
    row: int
    index: dict[str, int]
    width: int


def locate_header(
    table: Table,
    *,
    synonyms: dict[str, str],
    required: Iterable[str],
    renames: dict[str, str] | None = None,
) -> Header:
    """Find the header row (a title may stand above it) and map its cells to canonical names."""
    lookup = dict(synonyms)
    for file_name, target in (renames or {}).items():
        lookup[normalise_header(file_name)] = target
    required = tuple(required)
    best: tuple[int, list[str], dict[str, int]] | None = None
    for row_no, cells in table.rows:
        index: dict[str, int] = {}
        duplicates: list[str] = []
        for i, text in enumerate(cells):
            canonical = lookup.get(normalise_header(text))
            if canonical is None:
                continue
            if canonical in index:
                duplicates.append(str(text))
            index[canonical] = i
        if all(c in index for c in required):
            if duplicates:
                raise FileRejected(
                    _("Row %(row)s: the column %(column)r appears more than once in the header row.")
                    % {"row": row_no, "column": duplicates[0]}
                )
            return Header(row=row_no, index=index, width=len(cells))
        if best is None or len(index) > len(best[2]):
            best = (row_no, cells, index)
        if row_no >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise FileRejected(_("The file contains no rows."))
    row_no, cells, index = best
    missing = [f"{c} ({COLUMN_LABELS.get(c, c)})" for c in required if c not in index]
    found = ", ".join(repr(c) for c in cells if str(c).strip()) or _("none")
    raise FileRejected(
        _(
            "The header row lacks required columns: %(missing)s. "
            "The nearest to a header row was row %(row)s with %(found)s."
        )
        % {"missing": ", ".join(missing), "row": row_no, "found": found}
    )


# --- Reading through a source profile (DESIGN.md §6) ----------------------------------------


@dataclass(frozen=True)
class Skipped:
    """A row the profile's `skip` sets aside: counted and named in the batch summary."""

    header: str
    value: str


@dataclass
class ProfiledHeader:
    """Where the profile's columns are in the file, and the canonical header the validator sees."""

    row: int
    width: int
    sources: dict[str, tuple[int, ...]]
    profile: Any
    skip: list[tuple[int, str, frozenset[str]]]
    canonical: Header
    order: tuple[str, ...]
    # Worked out once for the hot loop (about a million rows): how many cells a row needs, and
    # per output column its constant or file indices, joiner and value map.
    needed: int = 0
    plan: list[tuple[str, str | None, tuple[int, ...], str, dict[str, str] | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        from cases.source_profiles import JOINERS

        used = [i for indices in self.sources.values() for i in indices] + [i for i, _h, _v in self.skip]
        self.needed = max(used) + 1 if used else 0
        self.plan = [
            (
                c,
                self.profile.constants.get(c),
                self.sources.get(c, ()),
                JOINERS.get(c, " "),
                self.profile.values.get(c),
            )
            for c in self.order
        ]


def locate_profiled_header(
    table: Table, *, profile: Any, synonyms: dict[str, str], required: Iterable[str]
) -> ProfiledHeader:
    """Find the header row holding every header the profile names (and the required columns
    it does not map or set as constants), case- and space-insensitively. A header the profile
    names but the file lacks is refused, naming it and the headers the file has."""
    from cases.source_profiles import CANONICAL_COLUMNS

    named = {normalise_header(h) for headers in profile.columns.values() for h in headers} | {
        normalise_header(h) for h in profile.skip
    }
    required = tuple(c for c in required if c not in profile.columns and c not in profile.constants)
    best: tuple[int, list[str]] | None = None
    for row_no, cells in table.rows:
        positions = {normalise_header(text): i for i, text in enumerate(cells) if str(text).strip()}
        by_synonym: dict[str, int] = {}
        for text, i in positions.items():
            canonical = synonyms.get(text)
            if canonical is not None and canonical not in profile.columns and canonical not in by_synonym:
                by_synonym[canonical] = i
        if named <= set(positions) and all(c in by_synonym for c in required):
            sources: dict[str, tuple[int, ...]] = {
                c: tuple(positions[normalise_header(h)] for h in headers) for c, headers in profile.columns.items()
            }
            for canonical, i in by_synonym.items():
                sources.setdefault(canonical, (i,))
            order = tuple(c for c in CANONICAL_COLUMNS if c in sources or c in profile.constants)
            return ProfiledHeader(
                row=row_no,
                width=len(cells),
                sources=sources,
                profile=profile,
                skip=[(positions[normalise_header(h)], h, v) for h, v in profile.skip.items()],
                canonical=Header(row=row_no, index={c: i for i, c in enumerate(order)}, width=len(order)),
                order=order,
            )
        if best is None or len(named & set(positions)) > len(named & {normalise_header(c) for c in best[1]}):
            best = (row_no, cells)
        if row_no >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise FileRejected(_("The file contains no rows."))
    row_no, cells = best
    have = {normalise_header(c) for c in cells}
    missing = [h for headers in profile.columns.values() for h in headers if normalise_header(h) not in have]
    missing += [h for h in profile.skip if normalise_header(h) not in have]
    found = ", ".join(repr(c) for c in cells if str(c).strip()) or _("none")
    if missing:
        raise FileRejected(
            _(
                "The source's profile names headers the file lacks: %(missing)s. "
                "The file's headers (row %(row)s): %(found)s. Correct the profile or choose the right source."
            )
            % {"missing": ", ".join(repr(h) for h in missing), "row": row_no, "found": found}
        )
    absent = [f"{c} ({COLUMN_LABELS.get(c, c)})" for c in required]
    raise FileRejected(
        _(
            "The header row lacks required columns: %(missing)s. "
            "The nearest to a header row was row %(row)s with %(found)s."
        )
        % {"missing": ", ".join(absent), "row": row_no, "found": found}
    )


def profile_row(ph: ProfiledHeader, row_no: int, cells: list[str], separator: str = ",") -> Any:
    """A file row as the canonical cells the validator reads, a Skipped mark, or row errors."""

    if len(cells) < ph.needed:
        return [
            RowError(
                row_no,
                "",
                _clip(separator.join(cells)),
                _too_few_columns(len(cells), ph.width),
            )
        ]
    for index, header, values in ph.skip:
        if cells[index].strip() in values:
            return Skipped(header, cells[index].strip())
    out: list[str] = []
    errors: list[RowError] | None = None
    for canonical, constant, indices, joiner, mapping in ph.plan:
        if constant is not None:
            value = constant
        elif len(indices) == 1:
            value = cells[indices[0]].strip()
        else:
            parts = [cells[i].strip() for i in indices]
            if all(parts) or not any(parts):
                value = joiner.join(parts) if any(parts) else ""
            else:
                empty = [ph.profile.columns[canonical][k] for k, part in enumerate(parts) if not part]
                errors = errors or []
                errors.append(
                    RowError(
                        row_no,
                        canonical,
                        _clip(joiner.join(parts)),
                        _("a part of the joined column is missing (header %(headers)s)")
                        % {"headers": ", ".join(empty)},
                    )
                )
                value = ""
        if mapping is not None and value:
            mapped = mapping.get(value)
            if mapped is None:
                errors = errors or []
                errors.append(
                    RowError(
                        row_no,
                        canonical,
                        _clip(value),
                        _(
                            "the value is not in the source's profile (values); "
                            "add it to the profile or correct the file"
                        ),
                    )
                )
            else:
                value = mapped
        out.append(value)
    return errors if errors else out


# --- Case rows -----------------------------------------------------------------------------


@dataclass
class References:
    """Codes the file may name, mapped to database ids (passed in: this module reads no tables)."""

    groupings: dict[str, int]
    channels: dict[str, int]
    administrations: dict[str, int]


def _columns(n: int) -> str:
    return _("1 column") if n == 1 else _("%(n)s columns") % {"n": n}


def _too_few_columns(n: int, width: int) -> str:
    return _("the row has %(columns)s but the header row has %(width)s; check delimiters and quotation marks") % {
        "columns": _columns(n),
        "width": width,
    }


@dataclass
class CaseRowValidator:
    """Validates one case-log row and returns the values to stage, or the row's errors.

    The output tuple is (row, case_id, opened_at, month, channel_id, grouping_id,
    handle_seconds, wait_seconds, resolved_first_contact, forwarded_to_id), where
    opened_at is an ISO-8601 text (naive means Europe/Stockholm) and month is 'YYYY-MM-01'.
    """

    header: Header
    refs: References
    declared_month: date | None = None
    date_format: str = ""
    # When set, a clean row comes back as a ready PostgreSQL COPY text line starting with
    # this prefix (the loader's source and batch columns) instead of a tuple; its month is
    # then recorded in `line_months`. Rows needing the full check still come back as tuples.
    copy_prefix: str | None = None
    # How a row's cells are shown back in an error about the row's shape: as in the file.
    cell_separator: str = ","
    # "minutes" when the source exports durations in minutes (DESIGN.md §6 duration_unit).
    duration_unit: str = "seconds"
    line_months: set[str] = field(default_factory=set)
    _months: dict[tuple[int, int], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        idx = self.header.index
        self._i_case = idx["case_id"]
        self._i_open = idx["opened_at"]
        self._i_chan = idx["channel"]
        self._i_grp = idx["grouping"]
        self._i_handle = idx.get("handle_seconds")
        self._i_wait = idx.get("wait_seconds")
        self._i_res = idx.get("resolved_first_contact")
        self._i_fwd = idx.get("forwarded_to")
        self._i_out = idx.get("outcome")
        self._needed = max(idx.values()) + 1
        self._channel_ids = {
            alias: self.refs.channels[code] for alias, code in CHANNEL_SYNONYMS.items() if code in self.refs.channels
        }
        # Caches for the fast path: exports repeat a handful of channel spellings a million times.
        self._raw_channels: dict[str, int] = {}
        self._month_text: dict[str, str] = {}
        self._declared_ym = f"{self.declared_month:%Y-%m}" if self.declared_month else None
        self._flags: dict[str, bool | None] = {"": None, **dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}
        self._parse_date = date_parser(self.date_format) if self.date_format else datetime.fromisoformat

    def _fast(self, row_no: int, cells: list[str]) -> tuple[Any, ...] | str | None:
        """The common case of a clean row, checked with cheap tests; None sends it to the full check.

        Anything unusual (whitespace, other date shapes, unknown codes) takes the slow path,
        which gives the same result for a valid row and the row's errors for a bad one.
        """
        if len(cells) != self.header.width or self.duration_unit != "seconds":
            return None
        case_id = cells[self._i_case]
        if not case_id or len(case_id) > 100 or case_id[0] in _SUSPECT_START or case_id[-1] == " ":
            return None
        text = cells[self._i_open]
        if self.date_format:
            # A source's own date format (through its profile): parsed by the compiled parser.
            try:
                moment = self._parse_date(text)
            except ValueError:
                return None
            if not 1990 <= moment.year <= 2100:
                return None
            year_month = f"{moment.year:04d}-{moment.month:02d}"
            text = moment.isoformat(sep=" ")
        else:
            if len(text) not in (16, 19) or text[4] != "-" or text[10] not in " T" or not "2000" <= text[:4] <= "2100":
                return None
            year_month = text[:7]
            try:
                datetime.fromisoformat(text)
            except ValueError:
                return None
        if self._declared_ym is not None and year_month != self._declared_ym:
            return None
        outcome: str | None = None
        if self._i_out is not None:
            raw_outcome = cells[self._i_out]
            outcome = OUTCOMES.get(raw_outcome) if raw_outcome else "handled"
            if outcome is None:
                return None
        month = self._month_text.get(year_month)
        if month is None:
            month = self._month_text.setdefault(year_month, year_month + "-01")
        raw_channel = cells[self._i_chan]
        channel_id = self._raw_channels.get(raw_channel)
        if channel_id is None:
            channel_id = self._channel_ids.get(normalise_header(raw_channel))
            if channel_id is None:
                return None
            self._raw_channels[raw_channel] = channel_id
        grouping_id = self.refs.groupings.get(cells[self._i_grp])
        if grouping_id is None:
            return None
        if self.copy_prefix is not None:
            return self._fast_line(cells, case_id, text, month, channel_id, grouping_id, outcome)
        handle = wait = forwarded = None
        resolved: bool | None = None
        if self._i_handle is not None:
            raw = cells[self._i_handle]
            if raw:
                if not (raw.isdigit() and len(raw) <= 9):
                    return None
                handle = int(raw)
        if self._i_wait is not None:
            raw = cells[self._i_wait]
            if raw:
                if not (raw.isdigit() and len(raw) <= 9):
                    return None
                wait = int(raw)
        if self._i_res is not None:
            raw = cells[self._i_res]
            if raw not in self._flags:
                return None
            resolved = self._flags[raw]
        if self._i_fwd is not None:
            raw = cells[self._i_fwd]
            if raw:
                forwarded = self.refs.administrations.get(raw)
                if forwarded is None:
                    return None
        return (row_no, case_id, text, month, channel_id, grouping_id, handle, wait, resolved, forwarded, outcome)

    def _month(self, year: int, month: int) -> str:
        key = (year, month)
        text = self._months.get(key)
        if text is None:
            text = f"{year:04d}-{month:02d}-01"
            self._months[key] = text
        return text

    def _timestamp(self, raw: str) -> tuple[str, str] | str:
        """(opened_at text, month text), or a reason."""
        text = raw.strip()
        try:
            if self.date_format:
                dt = self._parse_date(text)
                out = dt.isoformat(sep=" ")
            else:
                dt = datetime.fromisoformat(text)
                # Only the plain shapes pass through verbatim; anything else is rewritten
                # so the database parses exactly what Python validated.
                plain = len(text) in (16, 19) and text[4] == "-" and text[10] in " T"
                out = text if plain else dt.isoformat(sep=" ")
        except ValueError:
            fmt = self.date_format or _("YYYY-MM-DD HH:MM[:SS] or ISO 8601")
            return _("the time cannot be read; expected format %(format)s") % {"format": fmt}
        if len(text) == 10 and not self.date_format:
            return _("the time has no time of day; expected YYYY-MM-DD HH:MM")
        if dt.tzinfo is not None:
            local = dt.astimezone(STOCKHOLM)
            year, month = local.year, local.month
            out = dt.isoformat(sep=" ")
        else:
            year, month = dt.year, dt.month
        if not 1990 <= year <= 2100:
            return _("the year %(year)s is implausible") % {"year": year}
        month_text = self._month(year, month)
        if self.declared_month is not None and (year, month) != (
            self.declared_month.year,
            self.declared_month.month,
        ):
            return _("the time lies outside the file's month %(month)s") % {"month": f"{self.declared_month:%Y-%m}"}
        return out, month_text

    def _fast_line(
        self,
        cells: list[str],
        case_id: str,
        text: str,
        month: str,
        channel_id: int,
        grouping_id: int,
        outcome: str | None = None,
    ) -> str | None:
        if "\\" in case_id or "\t" in case_id or "\n" in case_id or "\r" in case_id:
            return None  # needs COPY escaping: the tuple path does it
        handle = wait = forwarded = "\\N"
        resolved = "\\N"
        if self._i_handle is not None:
            raw = cells[self._i_handle]
            if raw:
                if not (raw.isdigit() and len(raw) <= 9):
                    return None
                handle = raw
        if self._i_wait is not None:
            raw = cells[self._i_wait]
            if raw:
                if not (raw.isdigit() and len(raw) <= 9):
                    return None
                wait = raw
        if self._i_res is not None:
            raw = cells[self._i_res]
            if raw not in self._flags:
                return None
            flag = self._flags[raw]
            if flag is not None:
                resolved = "t" if flag else "f"
        if self._i_fwd is not None:
            raw = cells[self._i_fwd]
            if raw:
                admin_id = self.refs.administrations.get(raw)
                if admin_id is None:
                    return None
                forwarded = str(admin_id)
        self.line_months.add(month)
        return (
            f"{self.copy_prefix}{case_id}\t{text}\t{month}\t{channel_id}\t{grouping_id}\t"
            f"{handle}\t{wait}\t{resolved}\t{forwarded}\t{outcome or NULL}\n"
        )

    def __call__(self, row_no: int, cells: list[str]) -> tuple[Any, ...] | str | list[RowError]:
        fast = self._fast(row_no, cells)
        if fast is not None:
            return fast
        return self._full(row_no, cells)

    def _full(self, row_no: int, cells: list[str]) -> tuple[Any, ...] | list[RowError]:
        if len(cells) < self._needed:
            return [
                RowError(
                    row_no,
                    "",
                    _clip(self.cell_separator.join(cells)),
                    _too_few_columns(len(cells), self.header.width),
                )
            ]
        if len(cells) > self.header.width and any(c.strip() for c in cells[self.header.width :]):
            return [
                RowError(
                    row_no,
                    "",
                    _clip(self.cell_separator.join(cells)),
                    _("the row has %(columns)s but the header row has %(width)s")
                    % {"columns": _columns(len(cells)), "width": self.header.width},
                )
            ]
        errors: list[RowError] = []
        case_id = cells[self._i_case].strip()
        if not case_id:
            errors.append(RowError(row_no, "case_id", "", _("case id missing")))
        elif len(case_id) > 100:
            errors.append(RowError(row_no, "case_id", _clip(case_id), _("case id longer than 100 characters")))
        elif case_id[0] in "=+-@\t\r" and not case_id[1:].replace("-", "").isalnum():
            errors.append(RowError(row_no, "case_id", _clip(case_id), _("case id looks like a formula")))
        opened = cells[self._i_open]
        stamp = self._timestamp(opened) if opened.strip() else _("time missing")
        if isinstance(stamp, str):
            errors.append(RowError(row_no, "opened_at", _clip(opened), stamp))
        raw_channel = cells[self._i_chan]
        channel_id = self._raw_channels.get(raw_channel)
        if channel_id is None:
            channel_id = self._channel_ids.get(normalise_header(raw_channel))
            if channel_id is not None:
                self._raw_channels[raw_channel] = channel_id
        if channel_id is None:
            reason = (
                _("channel missing")
                if not raw_channel.strip()
                else _("unknown channel; allowed: %(channels)s") % {"channels": ", ".join(sorted(self.refs.channels))}
            )
            errors.append(RowError(row_no, "channel", _clip(raw_channel), reason))
        raw_grouping = cells[self._i_grp].strip()
        grouping_id = self.refs.groupings.get(raw_grouping)
        if grouping_id is None:
            reason = _("grouping missing") if not raw_grouping else _("unknown grouping code")
            errors.append(RowError(row_no, "grouping", _clip(raw_grouping), reason))
        handle = duration_cell(cells, self._i_handle, row_no, "handle_seconds", errors, self.duration_unit)
        wait = duration_cell(cells, self._i_wait, row_no, "wait_seconds", errors, self.duration_unit)
        resolved: bool | None = None
        if self._i_res is not None:
            raw = cells[self._i_res].strip().lower()
            if raw in _TRUE:
                resolved = True
            elif raw in _FALSE:
                resolved = False
            elif raw:
                errors.append(
                    RowError(row_no, "resolved_first_contact", _clip(raw), _("expected 1/0, ja/nej or true/false"))
                )
        forwarded: int | None = None
        if self._i_fwd is not None:
            raw = cells[self._i_fwd].strip()
            if raw:
                forwarded = self.refs.administrations.get(raw)
                if forwarded is None:
                    errors.append(RowError(row_no, "forwarded_to", _clip(raw), _("unknown administration code")))
        outcome: str | None = None
        if self._i_out is not None:
            raw = cells[self._i_out].strip()
            outcome = OUTCOMES.get(raw.lower()) if raw else "handled"
            if outcome is None:
                errors.append(
                    RowError(
                        row_no,
                        "outcome",
                        _clip(raw),
                        _("unknown outcome; allowed: handled (besvarad) or abandoned (avbruten)"),
                    )
                )
        if errors:
            return errors
        assert not isinstance(stamp, str)
        return (
            row_no,
            case_id,
            stamp[0],
            stamp[1],
            channel_id,
            grouping_id,
            handle,
            wait,
            resolved,
            forwarded,
            outcome,
        )


_SUSPECT_START = frozenset("=+-@\t\r ")
NULL = "\\N"  # COPY's text format for a missing value


def _clip(value: str) -> str:
    return value if len(value) <= 200 else value[:197] + "…"


OUTCOMES = {
    "handled": "handled",
    "besvarad": "handled",
    "besvarat": "handled",
    "hanterad": "handled",
    "answered": "handled",
    "abandoned": "abandoned",
    "avbruten": "abandoned",
    "avbrutet": "abandoned",
    "tappad": "abandoned",
}
_MAX_SECONDS = 10**9  # about 31 years: anything above is a mistake, not a duration


def parse_duration(raw: str, unit: str = "seconds") -> int | str:
    """Seconds from a duration as people and systems write it: whole seconds (312), a decimal
    with a point or a comma (312.5, 312,5 → rounded half up), h:mm:ss or mm:ss (0:05:12, 5:12),
    Excel's "1 day, 2:00:00". With unit "minutes" plain numbers are minutes. Returns the seconds
    or a Swedish reason."""
    from decimal import ROUND_HALF_UP

    text = raw.strip()
    if ":" in text:
        days = 0
        if "day" in text:  # str(timedelta) of an Excel duration over 24 hours
            head, _sep, text = text.partition(",")
            number = head.split()[0]
            if not (number.isascii() and number.isdigit()):
                return _("cannot be read as a time; write e.g. 312, 5:12 or 0:05:12")
            days = int(number)
            text = text.strip()
        parts = text.split(":")
        if len(parts) not in (2, 3) or not all(p.strip().isascii() and p.strip().isdigit() for p in parts[:-1]):
            return _("cannot be read as a time; write e.g. 312, 5:12 or 0:05:12")
        last = parts[-1].strip()
        try:
            seconds_part = Decimal(last)
        except InvalidOperation:
            return _("cannot be read as a time; write e.g. 312, 5:12 or 0:05:12")
        if not seconds_part.is_finite() or not (0 <= seconds_part < 60):
            return _("the seconds %(seconds)r lie outside 0–59") % {"seconds": last}
        numbers = [int(p) for p in parts[:-1]]
        if len(numbers) == 2 and numbers[1] >= 60:
            return _("the minutes %(minutes)s lie outside 0–59") % {"minutes": f"{numbers[1]:02d}"}
        hours, minutes = (numbers[0], numbers[1]) if len(numbers) == 2 else (0, numbers[0])
        total = Decimal(days * 86400 + hours * 3600 + minutes * 60) + seconds_part
        return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if text.startswith("-"):
        return _("must not be negative")
    number_text = text.replace(",", ".", 1) if text.count(",") == 1 and "." not in text else text
    if not (number_text.isascii() and number_text.replace(".", "", 1).isdigit()):
        return _("must be seconds (e.g. 312 or 312,5) or a time (5:12, 0:05:12)")
    value = Decimal(number_text)
    if unit == "minutes":
        value *= 60
    if value > _MAX_SECONDS:
        return _("implausibly large value")
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


_SIMPLE_DIRECTIVES = {"Y", "y", "m", "d", "H", "I", "M", "S", "p"}


def date_parser(fmt: str) -> Callable[[str], datetime]:
    """A parser equal to datetime.strptime(text, fmt) but several times faster on a million
    rows: it matches with the very regular expression strptime compiles for `fmt` and builds the
    datetime itself. Formats with other directives than %Y %y %m %d %H %I %M %S %p use strptime."""
    from _strptime import _TimeRE_cache  # type: ignore[attr-defined]

    regex = _TimeRE_cache.compile(fmt)
    if not set(regex.groupindex) <= _SIMPLE_DIRECTIVES:
        return lambda text: datetime.strptime(text, fmt)
    am_pm = [value.lower() for value in _TimeRE_cache.locale_time.am_pm]

    def parse(text: str) -> datetime:
        found = regex.match(text)
        if found is None or found.end() != len(text):
            raise ValueError(f"{text!r} does not match format {fmt!r}")
        g = found.groupdict()
        if "Y" in g:
            year = int(g["Y"])
        elif "y" in g:
            short = int(g["y"])
            year = short + (1900 if short >= 69 else 2000)  # strptime's POSIX pivot
        else:
            year = 1900
        hour = int(g["H"]) if "H" in g else 0
        if "I" in g:
            hour = int(g["I"])
            if "p" in g and g["p"].lower() == am_pm[1]:
                hour = 12 if hour == 12 else hour + 12
            elif hour == 12:
                hour = 0
        return datetime(
            year, int(g.get("m") or 1), int(g.get("d") or 1), hour, int(g.get("M") or 0), int(g.get("S") or 0)
        )

    return parse


def duration_cell(
    cells: list[str], index: int | None, row_no: int, column: str, errors: list[RowError], unit: str = "seconds"
) -> int | None:
    if index is None:
        return None
    raw = cells[index].strip()
    if not raw:
        return None
    if unit == "seconds" and raw.isascii() and raw.isdigit() and len(raw) <= 9:
        return int(raw)
    parsed = parse_duration(raw, unit)
    if isinstance(parsed, str):
        errors.append(RowError(row_no, column, _clip(raw), parsed))
        return None
    if parsed > _MAX_SECONDS:
        errors.append(RowError(row_no, column, _clip(raw), _("implausibly large value")))
        return None
    return parsed


def is_blank(cells: list[str]) -> bool:
    if cells and cells[0] and not cells[0][0].isspace():
        return False  # the common case, decided by the first character
    return not any(c.strip() for c in cells)


# --- Aggregated statistics, grouping map and administrations -------------------------------


def parse_month(raw: str) -> date | None:
    text = raw.strip()
    for candidate in (text, text[:7]):
        if len(candidate) == 7 and candidate[4] == "-":
            try:
                return date(int(candidate[:4]), int(candidate[5:7]), 1)
            except ValueError:
                return None
    return None


def parse_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        return None


def parse_decimal(raw: str) -> Decimal | None:
    text = raw.strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_bool(raw: str) -> bool | None:
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE or text == "":
        return False
    return None


def cell(cells: list[str], header: Header, column: str) -> str:
    i = header.index.get(column)
    if i is None or i >= len(cells):
        return ""
    return cells[i]
