"""The rows the column check passed as COPY's binary format, written from the columns.

PostgreSQL reads binary COPY without parsing text (about a tenth of the server's time for a case
log); every field is its length (4 bytes) and its value, big-endian. The values are the column
check's own: a naive time is Stockholm time and is turned into an instant here exactly as
PostgreSQL turns the same text into one (`tests/imports/test_binary_copy.py` loads generated rows
both ways and compares them): a time that occurs twice when the clocks go back is the later
instant (standard time), and a time the clocks skip when they go forward is read with the offset
in force before the change.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from imports.parsing.values import NULL

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # the signature, no flags, no header extension
TRAILER = b"\xff\xff"
ZONE = "Europe/Stockholm"
_NULL_FIELD = pa.scalar(b"\xff\xff\xff\xff", pa.binary())
_TRUE_FIELD = pa.scalar(b"\x00\x00\x00\x01\x01", pa.binary())
_FALSE_FIELD = pa.scalar(b"\x00\x00\x00\x01\x00", pa.binary())
_US_1970_TO_2000 = 946_684_800_000_000
_DAYS_1970_TO_2000 = 10_957
_SHIFT = 3 * 3600 * 1_000_000  # back from a skipped hour to a time whose offset is the one before
COLUMNS = (
    "source_id, batch_id, case_id, opened_at, month, channel_id, grouping_id, "
    "handle_seconds, wait_seconds, resolved_first_contact, forwarded_to_id, outcome"
)


def _fixed(values: np.ndarray, dtype: str) -> pa.Array:
    """Each number as a field: its width and itself, big-endian."""
    record = np.empty(len(values), dtype=[("length", ">i4"), ("value", dtype)])
    record["length"] = np.dtype(dtype).itemsize
    record["value"] = values
    width = record.dtype.itemsize
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(width), len(values), [None, pa.py_buffer(record.tobytes())]
    ).cast(pa.binary())


def _numbers(text: pa.Array, dtype: str) -> pa.Array:
    """COPY-text digits (or the NULL marker) as fields of `dtype`, NULL where missing."""
    missing = pc.equal(text, NULL)
    values = pc.cast(pc.if_else(missing, "0", text), pa.int64()).to_numpy(zero_copy_only=False)
    return pc.if_else(missing, _NULL_FIELD, _fixed(values, dtype))


def _text(text: pa.Array) -> pa.Array:
    """Texts (or the NULL marker) as fields: their length in bytes and their UTF-8 bytes."""
    lengths = pc.binary_length(text).to_numpy(zero_copy_only=False).astype(">i4")
    prefix = pa.FixedSizeBinaryArray.from_buffers(pa.binary(4), len(text), [None, pa.py_buffer(lengths.tobytes())])
    fields = pc.binary_join_element_wise(prefix.cast(pa.binary()), text.cast(pa.binary()), b"")
    return pc.if_else(pc.equal(text, NULL), _NULL_FIELD, fields)


def instants(opened: pa.Array) -> np.ndarray:
    """'YYYY-MM-DD HH:MM[:SS]' (a space or a T) in Stockholm time as microseconds since
    2000-01-01 UTC, read as PostgreSQL reads them with its time zone set to Stockholm."""
    long = pc.equal(pc.binary_length(opened), 19)
    written = pc.if_else(long, opened, pc.binary_join_element_wise(opened, ":00", ""))
    written = pc.utf8_replace_slice(written, 10, 11, " ")
    local = pc.strptime(written, "%Y-%m-%d %H:%M:%S", unit="us")
    instant = pc.assume_timezone(local, ZONE, ambiguous="latest", nonexistent="latest")
    skipped = pc.not_equal(pc.local_timestamp(instant), local)
    micros = instant.cast(pa.int64())
    if pc.any(skipped).as_py():
        earlier = pc.assume_timezone(
            pc.subtract(local, pa.scalar(_SHIFT, pa.duration("us"))), ZONE, ambiguous="latest", nonexistent="latest"
        )
        micros = pc.if_else(skipped, pc.add(earlier.cast(pa.int64()), _SHIFT), micros)
    return micros.to_numpy(zero_copy_only=False) - _US_1970_TO_2000


def _days(month: pa.Array) -> np.ndarray:
    days = pc.strptime(month, "%Y-%m-%d", unit="s").cast(pa.date32()).cast(pa.int32())
    return days.to_numpy(zero_copy_only=False) - _DAYS_1970_TO_2000


def copy_binary(out: dict[str, pa.Array], *, source_id: int, batch_id: int) -> memoryview:
    """The column check's valid rows (`Checked.out`) as binary COPY tuples for COLUMNS, in one
    buffer, without the signature and the trailer (the COPY writes those once)."""
    n = len(out["case_id"])
    if not n:
        return memoryview(b"")
    resolved = out["resolved"]
    flags = pc.if_else(
        pc.equal(resolved, NULL), _NULL_FIELD, pc.if_else(pc.equal(resolved, "t"), _TRUE_FIELD, _FALSE_FIELD)
    )
    fields = [
        pa.repeat(pa.scalar(b"\x00\x0c", pa.binary()), n),  # twelve fields
        _fixed(np.full(n, source_id, dtype=np.int64), ">i8"),
        _fixed(np.full(n, batch_id, dtype=np.int64), ">i8"),
        _text(out["case_id"]),
        _fixed(instants(out["opened_at"]), ">i8"),
        _fixed(_days(out["month"]), ">i4"),
        _numbers(out["channel_id"], ">i8"),
        _numbers(out["grouping_id"], ">i8"),
        _numbers(out["handle_seconds"], ">i4"),
        _numbers(out["wait_seconds"], ">i4"),
        flags,
        _numbers(out["forwarded_to_id"], ">i8"),
        _text(out["outcome"]),
    ]
    rows = pc.binary_join_element_wise(*fields, b"")
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)[rows.offset : rows.offset + n + 1]
    return memoryview(rows.buffers()[2])[int(offsets[0]) : int(offsets[-1])]
