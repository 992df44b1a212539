"""Reading a file's rows after its header as column batches (ColumnBatch).

A CSV file is cut into blocks of whole lines. A block of plain lines (no quotation mark, no NUL, no
lone carriage return, every line as wide as the header, decodable) is split into columns by
pyarrow's CSV reader, in C; there a line is a row, as it is for the csv module. From the first
block that is not plain on, the rest of the file is read by the csv module (`files.csv_table`,
with every limit and message of the row reader) and its rows are gathered into columns the same
way an XLSX sheet's rows are.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from imports.parsing.columnar import ColumnBatch
from imports.parsing.files import CSV_FIELD_LIMIT, CsvLimits, Table, csv_table

BLOCK_BYTES = 2 << 20  # about 30,000 rows of a case log: a chunk for COPY and for progress
FIRST_BLOCK_BYTES = 256 << 10  # the first is smaller, so that PostgreSQL starts on the rows sooner
BATCH_ROWS = 50_000


def row_batches(rows: Iterator[tuple[int, list[str]]], width: int, size: int = BATCH_ROWS) -> Iterator[ColumnBatch]:
    """Rows (row number, cells) gathered into column batches; rows of another width stay rows."""
    numbers: list[int] = []
    cells: list[list[str]] = []
    stray: list[tuple[int, list[str]]] = []
    for row_no, row in rows:
        if len(row) == width:
            numbers.append(row_no)
            cells.append(row)
        else:
            stray.append((row_no, row))
        if len(numbers) + len(stray) >= size:
            yield _batch(numbers, cells, width, stray)
            numbers, cells, stray = [], [], []
    if numbers or stray:
        yield _batch(numbers, cells, width, stray)


def _batch(numbers: list[int], cells: list[list[str]], width: int, stray: list[tuple[int, list[str]]]) -> ColumnBatch:
    columns = [pa.array([row[i] for row in cells], pa.string()) for i in range(width)]
    return ColumnBatch(row_nos=np.array(numbers, dtype=np.int64), columns=columns, stray=stray)


def header_end(stream: IO[bytes], header_row: int) -> int | None:
    """The byte offset just after the header row when the rows up to it are plain lines (so that
    row n is line n), else None. Leaves the stream where it was."""
    position = stream.tell()
    stream.seek(0)
    head = stream.read(BLOCK_BYTES)
    stream.seek(position)
    end = 0
    for _ in range(header_row):
        found = head.find(b"\n", end)
        if found < 0:
            return None
        end = found + 1
    prefix = head[:end]
    if b'"' in prefix or prefix.count(b"\r") != prefix.count(b"\r\n"):
        return None
    return end


def _split(block: bytes, delimiter: str, width: int) -> list[pa.Array] | None:
    """A block of plain lines (UTF-8, no quotation mark) split into `width` columns of text by
    pyarrow's CSV reader, in C; None when a line has another width or the text is not UTF-8.
    Empty lines are passed over, as the row reader passes over them; an empty cell is an empty
    text, never a missing value. (pandas' pyarrow engine is this reader behind a DataFrame:
    `bench/reader_bench.py` measures the two side by side.)"""
    names = [f"c{i}" for i in range(width)]
    try:
        parsed = pacsv.read_csv(
            io.BytesIO(block),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False, block_size=len(block) + 1),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char=False, double_quote=False, ignore_empty_lines=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    return [column.combine_chunks() for column in parsed.columns]


class CsvBlocks:
    """A CSV file's rows after its header, as column batches; `progress` is the share read."""

    def __init__(
        self,
        stream: IO[bytes],
        table: Table,
        *,
        start: int,
        first_row: int,
        width: int,
        size: int,
        limits: CsvLimits,
    ) -> None:
        self.stream = stream
        self.table = table
        self.start = start
        self.first = start
        self.row = first_row
        self.width = width
        self.size = size
        self.limits = limits
        self.fallback: Table | None = None

    def progress(self) -> float:
        if self.fallback is not None:
            return self.fallback.progress()
        return min(self.start / self.size, 1.0) if self.size else 0.0

    def __iter__(self) -> Iterator[ColumnBatch]:
        stream = self.stream
        stream.seek(self.start)
        carry = b""
        while True:
            data = stream.read(BLOCK_BYTES if self.start > self.first else FIRST_BLOCK_BYTES)
            buffer = carry + data
            if not buffer:
                return
            cut = buffer.rfind(b"\n") + 1 if data else len(buffer)
            if cut == 0 and len(buffer) <= self.limits.line_bytes:
                carry = buffer  # a line longer than a block: read on
                continue
            block, carry = buffer[:cut], buffer[cut:]
            batch = self._plain(block) if cut else None
            if batch is None:
                yield from self._rest()
                return
            yield batch
            self.start += len(block)

    def _plain(self, block: bytes) -> ColumnBatch | None:
        """The block's rows as columns, or None when the csv module must read it."""
        if b'"' in block or b"\x00" in block or block.count(b"\r") != block.count(b"\r\n"):
            return None
        ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
        if not block.endswith(b"\n"):
            ends = np.append(ends, len(block))
        starts = np.concatenate(([0], ends[:-1] + 1))
        lengths = ends - starts
        if len(lengths) and int(lengths.max()) >= min(self.limits.line_bytes, CSV_FIELD_LIMIT):
            return None  # a line (or a cell) the row reader may refuse, with its message
        crlf = np.frombuffer(block, dtype=np.uint8)[np.maximum(ends - 1, 0)] == 13
        filled = (lengths - (crlf & (lengths > 0))) > 0
        encoding = self.table.encoding
        if encoding == "cp1252":
            try:
                block = block.decode("cp1252").encode("utf-8")
            except UnicodeDecodeError:
                return None
        columns = _split(block, self.table.delimiter, self.width)
        if columns is None:
            return None
        row_nos = self.row + np.flatnonzero(filled)
        if len(columns[0]) != len(row_nos):
            return None
        self.row += len(lengths)
        return ColumnBatch(row_nos=row_nos.astype(np.int64), columns=columns)

    def _rest(self) -> Iterator[ColumnBatch]:
        self.fallback = csv_table(
            self.stream,
            size=self.size,
            limits=self.limits,
            encoding=self.table.encoding,
            delimiter=self.table.delimiter,
            start=self.start,
            first_row=self.row,
        )
        yield from row_batches(self.fallback.rows, self.width)
