"""The column check and the block reader never disagree with the row validator and the csv module.

Pure tests (no database): generated rows are checked both ways; every row the column check passes
must come out of CaseRowValidator as the very same tuple, and every skipped row must be one the
profile skips. Generated files are read both by the block reader and by the csv module alone.
"""

from __future__ import annotations

import io
import struct
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.source_profiles import profile_from_json
from imports.parsing import (
    CASE_COLUMNS,
    CASE_REQUIRED,
    CaseRowValidator,
    References,
    RowError,
    Skipped,
    is_blank,
    locate_profiled_header,
    open_table,
    profile_row,
)
from imports.parsing.binary import copy_binary
from imports.parsing.blocks import CsvBlocks, header_end, row_batches
from imports.parsing.columnar import ColumnChecker, as_tuples
from imports.parsing.files import CsvLimits, csv_table

REFS = References(
    groupings={"UF-01": 1, "SOC-2": 2, "BANK-PS": 3},
    channels={"phone": 1, "email": 2, "visit": 3},
    administrations={"UF": 9, "SOC": 10},
)
CANONICAL = ["case_id", "opened_at", "channel", "grouping", "handle_seconds", "wait_seconds"]
CANONICAL += ["resolved_first_contact", "forwarded_to", "outcome"]


def mostly(valid: list[str], odd: list[str]) -> st.SearchStrategy[str]:
    """A cell that is usually valid (so that whole rows often are) and sometimes odd."""
    return st.integers(0, 5).flatmap(lambda k: st.sampled_from(odd if k == 0 else valid))


case_ids = mostly(["A1", "B-2", "Å7", 'A"8'], [" A3", "A4 ", "=A5", "-7", "A\\6", "x" * 101, "", "A8\xa0"])
times = mostly(
    ["2026-03-01 10:00", "2026-03-31 23:59:59", "2026-03-01T10:00:00", "2026-02-28 10:00", "2024-02-29 10:00"],
    [
        "2026-02-30 10:00",
        "2025-02-29 10:00",
        "2026-03-01 24:00",
        "2026-03-01",
        "2026-04-01 00:00",
        "1999-03-01 10:00",
        "2026-03-01 10:00+01:00",
        " 2026-03-01 10:00",
        "2026-3-1 10:00",
        "2026-3-01  10:00:00",
        "2026-03-01T1:00:00Z",
        "2026-13-01 10:00",
        "2026-03-01 10:60",
        "",
    ],
)
channels = mostly(["phone", "Telefon", " e-post ", "mejl", "PHONE"], ["fax", ""])
groupings = mostly(["UF-01", "SOC-2"], [" UF-01", "NOPE", ""])
durations = mostly(["", "12", "0", "007"], ["1234567890", "12,5", "5:12", " 3", "-1", "١٢"])
flags = mostly(["", "1", "0", "ja", "true"], ["Nej", "x"])
admins = mostly(["", "UF", "SOC"], ["XX", " UF"])
outcomes = mostly(["", "handled", "abandoned", "avbruten"], ["Besvarad", "hung"])
rows = st.lists(
    st.tuples(case_ids, times, channels, groupings, durations, durations, flags, admins, outcomes),
    min_size=1,
    max_size=40,
)


def _both_ways(checker, validate, batch):
    """The column check's result beside the row validator's for every row of `batch`."""
    checked = checker.check(batch)
    by_row = {t[0]: t for t in as_tuples(checked)}
    for row_no, cells in batch.rows(list(range(len(batch)))):
        if row_no in by_row:
            assert validate(row_no, cells) == by_row[row_no], cells
    return checked


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows, st.sampled_from([None, date(2026, 3, 1)]), st.sampled_from(["seconds", "minutes"]))
def test_a_row_the_column_check_passes_is_the_row_validators_own(cells, declared, unit):
    from imports.parsing import Header

    header = Header(row=1, index={c: i for i, c in enumerate(CANONICAL)}, width=len(CANONICAL))
    validate = CaseRowValidator(header=header, refs=REFS, declared_month=declared, duration_unit=unit)
    checker = ColumnChecker(header=header, refs=REFS, declared_month=declared, duration_unit=unit)
    batch = next(row_batches(((i + 2, list(r)) for i, r in enumerate(cells)), len(CANONICAL)))
    checked = _both_ways(checker, validate, batch)
    assert checked.valid + len(checked.to_row_validator) == len(cells)


BANK = profile_from_json(
    {
        "columns": {
            "case_id": ["vru+line", "call_id"],
            "opened_at": ["date", "vru_entry"],
            "grouping": "type",
            "handle_seconds": "ser_time",
            "outcome": "outcome",
        },
        "date_format": "%y%m%d %H:%M:%S",
        "constants": {"channel": "phone"},
        "values": {"outcome": {"AGENT": "handled", "HANG": "abandoned"}, "grouping": {"PS": "BANK-PS"}},
        "skip": {"outcome": ["PHANTOM"]},
    }
)
bank_rows = st.lists(
    st.tuples(
        mostly(["AA0101"], ["", " AA0102"]),
        mostly(["33116", "7"], ["x y"]),
        mostly(["PS"], ["NE", "", " PS"]),
        mostly(["990201", "000229", "690101"], ["990230", "990229", "99011", "991301"]),
        mostly(["0:00:31", "10:05:07", "7:05:07", "7:5:7"], ["", "24:00:00", "7:05:60", "07:05:07 "]),
        mostly(["AGENT", "HANG", "PHANTOM"], [" PHANTOM", "other", ""]),
        mostly(["0", "123", ""], ["1.5"]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bank_rows)
def test_a_profiled_row_the_column_check_passes_or_skips_is_what_the_profile_makes_of_it(cells):
    text = "vru+line\tcall_id\ttype\tdate\tvru_entry\toutcome\tser_time\n"
    text += "".join("\t".join(r) + "\n" for r in cells)
    table = open_table(io.BytesIO(text.encode()), size=len(text), max_xlsx_bytes=1)
    profiled = locate_profiled_header(table, profile=BANK, synonyms=CASE_COLUMNS, required=CASE_REQUIRED)
    validate_row = CaseRowValidator(header=profiled.canonical, refs=REFS, date_format=BANK.date_format)

    def validate(row_no, file_cells):
        shaped = profile_row(profiled, row_no, file_cells, "\t")
        if isinstance(shaped, Skipped) or (shaped and isinstance(shaped[0], RowError)):
            return shaped
        return validate_row(row_no, shaped)

    checker = ColumnChecker(header=profiled, refs=REFS, date_format=BANK.date_format)
    batch = next(row_batches(table.rows, profiled.width))
    checked = _both_ways(checker, validate, batch)
    skipped_by_rows = sum(
        isinstance(validate(n, c), Skipped) for n, c in batch.rows(list(range(len(batch)))) if not is_blank(c)
    )
    rest_skipped = sum(isinstance(validate(n, c), Skipped) for n, c in batch.rows(checked.to_row_validator))
    assert sum(checked.skipped.values()) + rest_skipped == skipped_by_rows


def _field(kind: str, value: object) -> bytes:
    """One field of COPY's binary format: its length and its value (NULL: length -1, no value)."""
    if value is None:
        return struct.pack(">i", -1)
    data = value.encode() if kind == "text" else struct.pack(kind, value)  # type: ignore[union-attr]
    return struct.pack(">i", len(data)) + data


def _binary_row(case_id, opened_utc, month, handle, wait, resolved, forwarded, outcome):  # type: ignore[no-untyped-def]
    since_2000 = opened_utc - datetime(2000, 1, 1, tzinfo=UTC)
    return struct.pack(">h", 12) + b"".join(
        [
            _field(">q", 5),
            _field(">q", 7),
            _field("text", case_id),
            _field(">q", since_2000 // timedelta(microseconds=1)),
            _field(">i", (month - date(2000, 1, 1)).days),
            _field(">q", 1),
            _field(">q", 1),
            _field(">i", handle),
            _field(">i", wait),
            _field(">?", resolved),
            _field(">q", forwarded),
            _field("text", outcome),
        ]
    )


def test_the_binary_copy_is_one_tuple_a_row_with_nulls_written_as_copy_reads_them():
    from imports.parsing import Header

    header = Header(row=1, index={c: i for i, c in enumerate(CANONICAL)}, width=len(CANONICAL))
    checker = ColumnChecker(header=header, refs=REFS)
    cells = [["A1", "2026-03-01 10:00", "phone", "UF-01", "12", "", "ja", "", ""]]
    checked = checker.check(next(row_batches(iter([(2, cells[0])]), len(CANONICAL))))
    # 10:00 in Stockholm in March (CET) is 09:00 UTC.
    opened = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    expected = _binary_row("A1", opened, date(2026, 3, 1), 12, None, True, None, "handled")
    assert bytes(copy_binary(checked.out, source_id=5, batch_id=7)) == expected


lines = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["A1", "Å2", "", " ", "a b"]), st.sampled_from(["x", "", "y;z"])).map(
            lambda t: f"{t[0]};{t[1]};3"
        ),
        st.sampled_from(["", "   ", "only", "1;2", "1;2;3;4", '"q;1";2;3', "é;\x81;3", "a;b;c\r"]),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines, st.sampled_from(["\n", "\r\n"]), st.sampled_from(["utf-8", "cp1252"]), st.booleans())
def test_the_block_reader_reads_the_rows_the_csv_module_reads(body, newline, encoding, last_newline):
    text = "h1;h2;h3" + newline
    text += newline.join(body) + (newline if last_newline else "")
    data = text.encode(encoding, errors="replace")
    limits = CsvLimits()
    expected_error = None
    try:
        plain = csv_table(io.BytesIO(data), size=len(data), limits=limits, encoding=encoding, delimiter=";")
        expected = [(n, c) for n, c in plain.rows if n > 1 and not is_blank(c)]
    except Exception as exc:  # the same file-level refusal must come both ways
        expected_error = str(exc)
    stream = io.BytesIO(data)
    table = csv_table(stream, size=len(data), limits=limits, encoding=encoding, delimiter=";")
    start = header_end(stream, 1)
    assert start is not None
    blocks = CsvBlocks(stream, table, start=start, first_row=2, width=3, size=len(data), limits=limits)
    try:
        got = []
        for batch in blocks:
            got += [r for r in batch.rows(list(range(len(batch)))) if not is_blank(r[1])]
            got += [r for r in batch.stray if not is_blank(r[1])]
        got.sort()
    except Exception as exc:
        assert str(exc) == expected_error
        return
    assert expected_error is None
    assert got == expected


def test_lines_all_wider_than_the_header_are_read_as_the_csv_module_reads_them():
    """pandas, given fewer names than cells, would make the first cells an index and shift the
    columns: such a block goes to the csv module, and the rows to the row validator whole."""
    data = b"h1;h2;h3\nA;B;C;D\nE;F;G;H\n"
    stream = io.BytesIO(data)
    table = csv_table(stream, size=len(data), limits=CsvLimits(), encoding="utf-8", delimiter=";")
    start = header_end(stream, 1)
    blocks = CsvBlocks(stream, table, start=start or 0, first_row=2, width=3, size=len(data), limits=CsvLimits())
    got = []
    for batch in blocks:
        got += list(batch.rows(list(range(len(batch))))) + batch.stray
    assert got == [(2, ["A", "B", "C", "D"]), (3, ["E", "F", "G", "H"])]


def test_a_header_row_after_quoted_lines_sends_the_file_to_the_csv_module():
    stream = io.BytesIO(b'"a title\nover two lines"\ncase_id,opened_at\n')
    assert header_end(stream, 2) is None
    assert header_end(io.BytesIO(b"a title\ncase_id,opened_at\n"), 2) == len(b"a title\ncase_id,opened_at\n")


def test_a_case_id_with_a_quotation_mark_is_copied_as_written():
    from imports.parsing import Header

    header = Header(row=1, index={c: i for i, c in enumerate(CANONICAL)}, width=len(CANONICAL))
    checker = ColumnChecker(header=header, refs=REFS)
    row = ['A"1', "2026-07-01T10:00", "phone", "UF-01", "", "", "", "UF", "avbruten"]
    checked = checker.check(next(row_batches(iter([(2, row)]), len(CANONICAL))))
    # 10:00 in Stockholm in July (CEST) is 08:00 UTC.
    opened = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    expected = _binary_row('A"1', opened, date(2026, 7, 1), None, None, None, 9, "abandoned")
    assert bytes(copy_binary(checked.out, source_id=5, batch_id=7)) == expected
