"""Checking case-log rows a column at a time (pyarrow compute, in C): the rows that are plainly
valid come out as columns ready for COPY; every other row goes to CaseRowValidator, which is the
definition of a valid row and the only place a row error is worded.

The column check accepts a row only where the row validator would accept it with the same values
(a subset of its fast path: exact shapes, known codes, no surrounding whitespace), so the two can
never disagree; `tests/imports/test_columnar.py` compares them row by row on generated files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from imports.parsing.columns import CHANNEL_SYNONYMS, FALSE_WORDS, TRUE_WORDS, normalise_header
from imports.parsing.headers import Header, ProfiledHeader
from imports.parsing.rows import References
from imports.parsing.values import NULL, OUTCOMES

# Every character str.strip() removes (those whose str.isspace() is true): a cell starting or
# ending with one is left to the row validator, which strips it (the column check never strips).
SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_SPACE_SET = pa.array(list(SPACES), pa.string())
# A case id's first character that makes it a formula, or needs the row validator's look.
_SUSPECT_FIRST = pa.array(sorted(set(SPACES) | set("=+-@")), pa.string())
# Characters COPY's text format would need escaped: such a case id takes the row validator's tuple.
_COPY_ESCAPED = ("\\", "\t", "\n", "\r")
_DIRECTIVE_WIDTH = {"Y": 4, "y": 2, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}
STAMP = "%Y-%m-%d %H:%M:%S"
_DAYS = pa.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], pa.int64())


@dataclass
class ColumnBatch:
    """Rows of a file as columns of text (every row as wide as the header), their row numbers
    in the file, and the rows of another width, which only the row validator reads."""

    row_nos: np.ndarray
    columns: list[pa.Array]
    stray: list[tuple[int, list[str]]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.row_nos)

    def rows(self, indices: np.ndarray) -> Iterator[tuple[int, list[str]]]:
        """(row number, cells) of the rows at `indices`, as the row validator reads them."""
        if not len(indices):
            return iter(())
        taken = pa.array(indices)
        cells = [c.take(taken).to_pylist() for c in self.columns]
        return zip(self.row_nos[indices].tolist(), (list(r) for r in zip(*cells, strict=True)), strict=True)


@dataclass
class Checked:
    """One batch after the column check: the valid rows' output columns (COPY text), the rows
    the profile skips (header=value → count) and the rows the row validator must read."""

    out: dict[str, pa.Array]
    row_nos: np.ndarray
    skipped: dict[str, int]
    to_row_validator: np.ndarray
    months: dict[str, int]

    @property
    def valid(self) -> int:
        return len(self.row_nos)


def _repeat(value: str, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), n)


def _lookup(values: pa.Array, table: dict[str, str]) -> pa.Array:
    """`values` translated through `table` (null where a value is not in it)."""
    if not table:
        return pa.nulls(len(values), pa.string())
    keys = pa.array(list(table), pa.string())
    return pc.take(pa.array(list(table.values()), pa.string()), pc.index_in(values, value_set=keys))


def _ascii(values: pa.Array) -> bool:
    return bool(pc.all(pc.string_is_ascii(values)).as_py()) if len(values) else True


def _slice(values: pa.Array, start: int, stop: int, ascii: bool) -> pa.Array:
    """Characters start..stop; by bytes (several times faster) where every text is ASCII."""
    if ascii:
        return pc.binary_slice(values.view(pa.binary()), start, stop).view(pa.string())
    return pc.utf8_slice_codeunits(values, start, stop)


def _unpadded(values: pa.Array) -> pa.Array:
    """True where the text neither starts nor ends with whitespace (an empty text is unpadded)."""
    ascii = _ascii(values)
    first = pc.is_in(_slice(values, 0, 1, ascii), value_set=_SPACE_SET)
    last = pc.is_in(_slice(values, -1, 2**31 - 1, ascii), value_set=_SPACE_SET)
    return pc.invert(pc.or_(first, last))


def _digits(values: pa.Array) -> pa.Array:
    return pc.fill_null(pc.ascii_is_decimal(values), False)


def _fixed_time(
    text: pa.Array, fmt: str, stamp: bool = True, padded: bool = False
) -> tuple[pa.Array, pa.Array, pa.Array | None, pa.Array]:
    """Times written in `fmt` (%Y %y %m %d %H %M %S and literal characters):
    (plain, year, 'YYYY-MM-DD HH:MM:SS', 'YYYY-MM-01'). Plain means the fields are found as
    Python's strptime finds them, with ASCII digits, and the time exists (no 30 February, no
    24:00); it then reads as strptime reads it. `padded`: every field at its full width too."""
    from _strptime import _TimeRE_cache

    # strptime's own expression, with its first match (RE2 and Python's re both prefer the first
    # alternative), which must cover the whole text as strptime requires.
    found = pc.extract_regex(text, f"(?i)^(?P<all>{_TimeRE_cache.pattern(fmt)})")
    ok = pc.and_(pc.is_valid(found), pc.string_is_ascii(text))
    ok = pc.and_(ok, pc.equal(pc.binary_length(pc.struct_field(found, "all")), pc.binary_length(text)))
    fields: dict[str, pa.Array] = {}
    for name in sorted(set(re.findall(r"%([YymdHMS])", fmt))):
        part = pc.fill_null(pc.struct_field(found, name), "")
        ok = pc.and_(ok, _digits(part))
        if padded:
            ok = pc.and_(ok, pc.equal(pc.binary_length(part), _DIRECTIVE_WIDTH[name]))
        fields[name] = pc.utf8_lpad(part, _DIRECTIVE_WIDTH[name], "0")
    ok = pc.fill_null(ok, False)
    n = len(text)
    if "Y" in fields:
        year_text = fields["Y"]
    elif "y" in fields:  # strptime's POSIX pivot: 69–99 are 1969–1999, 00–68 are 2000–2068
        century = pc.if_else(pc.greater_equal(fields["y"], "69"), "19", "20")
        year_text = pc.binary_join_element_wise(century, fields["y"], "")
    else:
        year_text = _repeat("1900", n)
    texts = {k: fields.get(k, _repeat(default, n)) for k, default in (("m", "01"), ("d", "01"))}
    texts.update({k: fields.get(k, _repeat("00", n)) for k in "HMS"})
    # Cast only digits: where a row is not plain its fields are read as 1 (it is refused anyway).
    shaped = bool(pc.all(ok).as_py()) or not len(text)
    safe = {
        k: pc.cast(v if shaped else pc.if_else(ok, v, "1"), pa.int64()) for k, v in {"Y": year_text, **texts}.items()
    }
    year, month, day = safe["Y"], safe["m"], safe["d"]
    leap = pc.and_(
        pc.equal(pc.multiply(pc.divide(year, 4), 4), year),
        pc.or_(
            pc.not_equal(pc.multiply(pc.divide(year, 100), 100), year),
            pc.equal(pc.multiply(pc.divide(year, 400), 400), year),
        ),
    )
    in_range = pc.and_(pc.greater_equal(month, 1), pc.less_equal(month, 12))
    days = pc.add(
        pc.take(_DAYS, pc.subtract(pc.if_else(in_range, month, 1), 1)),
        pc.cast(pc.and_(leap, pc.equal(month, 2)), pa.int64()),
    )
    for check in (
        in_range,
        pc.greater_equal(day, 1),
        pc.less_equal(day, days),
        pc.less_equal(safe["H"], 23),
        pc.less_equal(safe["M"], 59),
        pc.less_equal(safe["S"], 59),
    ):
        ok = pc.and_(ok, check)
    month_text = pc.binary_join_element_wise(year_text, texts["m"], "01", "-")
    if not stamp:
        return ok, year, None, month_text
    written = pc.binary_join_element_wise(
        pc.binary_join_element_wise(year_text, texts["m"], texts["d"], "-"),
        pc.binary_join_element_wise(texts["H"], texts["M"], texts["S"], ":"),
        " ",
    )
    return ok, year, written, month_text


class ColumnChecker:
    """The column twin of CaseRowValidator's fast path, for one file's header (or profile)."""

    def __init__(
        self,
        *,
        header: Header | ProfiledHeader,
        refs: References,
        declared_month: date | None = None,
        date_format: str = "",
        duration_unit: str = "seconds",
    ) -> None:
        self.header = header
        self.declared = f"{declared_month:%Y-%m}" if declared_month else None
        self.date_format = date_format
        self.duration_unit = duration_unit
        directives = set(re.findall(r"%(.)", date_format))
        self.column_dates = not date_format or directives <= set(_DIRECTIVE_WIDTH)
        self.groupings = {code: str(i) for code, i in refs.groupings.items()}
        self.administrations = {code: str(i) for code, i in refs.administrations.items()}
        self.channel_ids = {
            alias: str(refs.channels[code]) for alias, code in CHANNEL_SYNONYMS.items() if code in refs.channels
        }
        flags = {"": NULL, **dict.fromkeys(TRUE_WORDS, "t"), **dict.fromkeys(FALSE_WORDS, "f")}
        self.flags = flags
        self.outcomes = {"": "handled", **OUTCOMES}

    # --- the canonical columns of a batch, and where they are plain -----------------------

    def _canonical(self, batch: ColumnBatch, ok: list[pa.Array]) -> dict[str, pa.Array]:
        n = len(batch)
        cols = batch.columns
        if isinstance(self.header, Header):
            return {c: cols[i] for c, i in self.header.index.items()}
        out: dict[str, pa.Array] = {}
        for canonical, constant, indices, joiner, mapping in self.header.plan:
            if constant is not None:
                value = _repeat(constant, n)
            elif len(indices) == 1:
                value = cols[indices[0]]
                ok.append(_unpadded(value))
            else:
                parts = [cols[i] for i in indices]
                for part in parts:
                    ok.append(pc.and_(_unpadded(part), pc.not_equal(part, "")))
                value = pc.binary_join_element_wise(*parts, joiner)
            if mapping is not None:
                empty = pc.equal(value, "")
                mapped = _lookup(value, mapping)
                ok.append(pc.or_(empty, pc.is_valid(mapped)))
                value = pc.if_else(empty, value, mapped)
            out[canonical] = value
        return out

    def _skips(self, batch: ColumnBatch, ok: list[pa.Array]) -> tuple[pa.Array | None, dict[str, int]]:
        """The rows the profile skips (a cell exactly one of the values), in the profile's order."""
        if isinstance(self.header, Header) or not self.header.skip:
            return None, {}
        counts: dict[str, int] = {}
        skipped: pa.Array | None = None
        for index, name, values in self.header.skip:
            cell = batch.columns[index]
            ok.append(_unpadded(cell))  # " PHANTOM" is skipped too: the row validator strips it
            hit = pc.is_in(cell, value_set=pa.array(sorted(values), pa.string()))
            if skipped is not None:
                hit = pc.and_(hit, pc.invert(skipped))
            for value, count in _value_counts(pc.filter(cell, hit)).items():
                key = f"{name}={value}"
                counts[key] = counts.get(key, 0) + count
            skipped = hit if skipped is None else pc.or_(skipped, hit)
        return skipped, counts

    def _opened(self, text: pa.Array, ok: list[pa.Array]) -> tuple[pa.Array, pa.Array]:
        """(opened_at as COPY text, month 'YYYY-MM-01'); rows not plainly valid marked in `ok`."""
        n = len(text)
        if not self.column_dates:
            ok.append(pa.repeat(pa.scalar(False), n))
            return pa.nulls(n, pa.string()), pa.nulls(n, pa.string())
        if self.date_format:
            plain, year, out, month = _fixed_time(text, self.date_format)
            ok.append(pc.and_(plain, pc.and_(pc.greater_equal(year, 1990), pc.less_equal(year, 2100))))
        else:
            # 'YYYY-MM-DD HH:MM[:SS]' with a space or a T, copied as written (PostgreSQL reads both).
            length = pc.utf8_length(text)
            short = pc.equal(length, 16)
            shaped = pc.or_(short, pc.equal(length, 19))
            seconds = text
            if pc.any(short).as_py():
                seconds = pc.if_else(short, pc.binary_join_element_wise(text, ":00", ""), text)
            separator = _slice(seconds, 10, 11, _ascii(seconds))
            ok.append(pc.and_(shaped, pc.or_(pc.equal(separator, " "), pc.equal(separator, "T"))))
            plain, year, _none, month = _fixed_time(
                pc.utf8_replace_slice(seconds, 10, 11, " "), STAMP, stamp=False, padded=True
            )
            ok.append(pc.and_(plain, pc.and_(pc.greater_equal(year, 2000), pc.less_equal(year, 2100))))
            out = text
        if self.declared is not None:
            ok.append(pc.fill_null(pc.equal(pc.utf8_slice_codeunits(month, 0, 7), self.declared), False))  # few
        return out, month

    def _duration(self, values: pa.Array, ok: list[pa.Array]) -> pa.Array:
        empty = pc.equal(values, "")
        if self.duration_unit == "minutes":
            digits = pc.and_(_digits(values), pc.less_equal(pc.binary_length(values), 7))
            ok.append(pc.or_(empty, digits))
            safe = pc.if_else(digits, values, "0")
            seconds = pc.cast(pc.multiply(pc.cast(safe, pa.int64()), 60), pa.string())
            return pc.if_else(empty, NULL, seconds)
        ok.append(pc.or_(empty, pc.and_(_digits(values), pc.less_equal(pc.binary_length(values), 9))))
        return pc.if_else(empty, NULL, values) if pc.any(empty).as_py() else values

    def _code(self, values: pa.Array, table: dict[str, str], ok: list[pa.Array], optional: bool) -> pa.Array:
        ids = _lookup(values, table)
        if not optional:
            ok.append(pc.and_(pc.is_valid(ids), _unpadded(values)))
            return ids
        empty = pc.equal(values, "")
        ok.append(pc.or_(empty, pc.and_(pc.is_valid(ids), _unpadded(values))))
        return pc.if_else(empty, NULL, ids)

    def _channel(self, values: pa.Array, ok: list[pa.Array]) -> pa.Array:
        spellings = pc.unique(values).to_pylist()
        table = {s: self.channel_ids[normalise_header(s)] for s in spellings if normalise_header(s) in self.channel_ids}
        ids = _lookup(values, table)
        ok.append(pc.is_valid(ids))
        return ids

    def _mapped(self, values: pa.Array | None, table: dict[str, str], ok: list[pa.Array], n: int) -> pa.Array:
        """A column read through a table of its exact spellings; NULL where the file lacks it."""
        if values is None:
            return _repeat(NULL, n)
        mapped = _lookup(values, table)
        ok.append(pc.is_valid(mapped))
        return mapped

    # --- one batch ----------------------------------------------------------------------------

    def check(self, batch: ColumnBatch) -> Checked:
        n = len(batch)
        ok: list[pa.Array] = []
        skipped, skip_counts = self._skips(batch, ok)
        cols = self._canonical(batch, ok)
        case_id = cols["case_id"]
        length = pc.utf8_length(case_id)
        ok.append(pc.and_(pc.greater(length, 0), pc.less_equal(length, 100)))
        ok.append(pc.invert(pc.is_in(_slice(case_id, 0, 1, _ascii(case_id)), value_set=_SUSPECT_FIRST)))
        ok.append(_unpadded(case_id))
        for escaped in _COPY_ESCAPED:
            ok.append(pc.invert(pc.match_substring(case_id, escaped)))
        opened, month = self._opened(cols["opened_at"], ok)
        out = {
            "case_id": case_id,
            "opened_at": opened,
            "month": month,
            "channel_id": self._channel(cols["channel"], ok),
            "grouping_id": self._code(cols["grouping"], self.groupings, ok, optional=False),
        }
        for name in ("handle_seconds", "wait_seconds"):
            out[name] = self._duration(cols[name], ok) if name in cols else _repeat(NULL, n)
        out["resolved"] = self._mapped(cols.get("resolved_first_contact"), self.flags, ok, n)
        if "forwarded_to" in cols:
            out["forwarded_to_id"] = self._code(cols["forwarded_to"], self.administrations, ok, optional=True)
        else:
            out["forwarded_to_id"] = _repeat(NULL, n)
        out["outcome"] = self._mapped(cols.get("outcome"), self.outcomes, ok, n)
        valid = pa.repeat(pa.scalar(True), n)
        for part in ok:
            valid = pc.and_(valid, pc.fill_null(part, False))
        rest = pc.invert(valid)
        if skipped is not None:
            valid = pc.and_(valid, pc.invert(skipped))
            rest = pc.and_(rest, pc.invert(skipped))
        mask = valid.to_numpy(zero_copy_only=False)
        kept = {name: pc.filter(column, valid) for name, column in out.items()}
        return Checked(
            out=kept,
            row_nos=batch.row_nos[mask],
            skipped=skip_counts,
            to_row_validator=np.flatnonzero(rest.to_numpy(zero_copy_only=False)),
            months=_value_counts(kept["month"]),
        )


def _value_counts(values: pa.Array) -> dict[str, int]:
    counts = pc.value_counts(values)
    return dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True))


def as_tuples(checked: Checked) -> list[tuple[Any, ...]]:
    """The valid rows as CaseRowValidator's tuples (for the staging table and SQLite)."""
    out = checked.out

    def number(values: pa.Array) -> list[int | None]:
        return [None if v == NULL else int(v) for v in values.to_pylist()]

    flags: dict[str, bool | None] = {"t": True, "f": False, NULL: None}
    return list(
        zip(
            checked.row_nos.tolist(),
            out["case_id"].to_pylist(),
            out["opened_at"].to_pylist(),
            out["month"].to_pylist(),
            [int(v) for v in out["channel_id"].to_pylist()],
            [int(v) for v in out["grouping_id"].to_pylist()],
            number(out["handle_seconds"]),
            number(out["wait_seconds"]),
            [flags[v] for v in out["resolved"].to_pylist()],
            number(out["forwarded_to_id"]),
            [None if v == NULL else v for v in out["outcome"].to_pylist()],
            strict=True,
        )
    )
