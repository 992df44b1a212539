"""The pure parser: encodings, delimiters, headers, and a fuzz test that it never crashes."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imports.parsing import (
    CASE_COLUMNS,
    CASE_REQUIRED,
    CaseRowValidator,
    FileRejected,
    References,
    RowError,
    channel_code,
    is_blank,
    locate_header,
    open_table,
)

REFS = References(groupings={"UF-01": 1}, channels={"phone": 1, "email": 2, "visit": 3}, administrations={"UF": 9})


def _read(data: bytes) -> tuple[list[tuple[int, list[str]]], object]:
    table = open_table(io.BytesIO(data), size=len(data), max_xlsx_bytes=10_000_000)
    header = locate_header(table, synonyms=CASE_COLUMNS, required=CASE_REQUIRED)
    return list(table.rows), header


@pytest.mark.parametrize(
    ("text", "encoding", "delimiter"),
    [
        ("case_id,opened_at,channel,grouping\nÅ1,2026-03-01 10:00,phone,UF-01\n", "utf-8", ","),
        ("\ufeffcase_id;opened_at;channel;grouping\nÅ1;2026-03-01 10:00;phone;UF-01\n", "utf-8", ";"),
        ("case_id\topened_at\tchannel\tgrouping\nÅ1\t2026-03-01 10:00\tphone\tUF-01\n", "cp1252", "\t"),
    ],
)
def test_encodings_and_delimiters_are_detected_and_aao_survive(text, encoding, delimiter):
    data = text.encode(encoding)
    table = open_table(io.BytesIO(data), size=len(data), max_xlsx_bytes=1)
    assert table.delimiter == delimiter
    header = locate_header(table, synonyms=CASE_COLUMNS, required=CASE_REQUIRED)
    rows = list(table.rows)
    assert rows[0][1][header.index["case_id"]] == "Å1"


def test_swedish_headers_in_any_order_map_to_the_canonical_columns():
    _rows, header = _read("Kanal;Ärendegruppering;Ärende-ID;Öppnad\ntelefon;UF-01;A1;2026-03-01 10:00\n".encode())
    assert header.index == {"channel": 0, "grouping": 1, "case_id": 2, "opened_at": 3}


def test_a_missing_column_is_named_in_swedish_and_english():
    with pytest.raises(FileRejected) as excinfo:
        _read(b"case_id,opened_at,channel\n")
    assert "grouping (ärendegruppering)" in str(excinfo.value)


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("Telefon", "phone"),
        ("e-post", "email"),
        ("E-post", "email"),
        ("BESÖK", "visit"),
        ("e-tjänst", "eservice"),
        ("chatt", "chat"),
        ("Sociala medier", "social"),
        ("brev", "letter"),
        ("fax", None),
    ],
)
def test_swedish_channel_labels_are_accepted(label, code):
    assert channel_code(label) == code


def _validator(**kwargs):  # type: ignore[no-untyped-def]
    table = open_table(
        io.BytesIO(b"case_id,opened_at,channel,grouping,handle_seconds,resolved_first_contact,forwarded_to\n"),
        size=10,
        max_xlsx_bytes=1,
    )
    header = locate_header(table, synonyms=CASE_COLUMNS, required=CASE_REQUIRED)
    return CaseRowValidator(header=header, refs=REFS, **kwargs)


def test_a_valid_row_becomes_a_staging_tuple():
    result = _validator()(2, ["A1", "2026-03-01 10:00", "Telefon", "UF-01", "75", "ja", "UF"])
    assert result == (2, "A1", "2026-03-01 10:00", "2026-03-01", 1, 1, 75, None, True, 9, None)


def test_an_aware_timestamp_gets_its_stockholm_month():
    # 23:30 UTC on 31 March is 01:30 on 1 April in Stockholm (summer time).
    result = _validator()(2, ["A1", "2026-03-31T23:30:00+00:00", "phone", "UF-01", "", "", ""])
    assert not isinstance(result, list)
    assert result[3] == "2026-04-01"


def test_every_problem_in_a_row_is_reported_with_its_column():
    result = _validator()(7, ["", "x", "fax", "NO", "-1", "kanske", "XX"])
    assert isinstance(result, list)
    assert [e.column for e in result] == [
        "case_id",
        "opened_at",
        "channel",
        "grouping",
        "handle_seconds",
        "resolved_first_contact",
        "forwarded_to",
    ]
    assert all(isinstance(e, RowError) and e.row == 7 for e in result)


def test_the_declared_month_bounds_the_rows():
    result = _validator(declared_month=date(2026, 3, 1))(3, ["A", "2026-04-01 00:00", "phone", "UF-01", "", "", ""])
    assert isinstance(result, list)
    assert "utanför filens månad 2026-03" in result[0].reason


def test_blank_rows_are_recognised():
    assert is_blank(["", "  ", "\t"])
    assert not is_blank(["", "x"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_the_parser_never_crashes_on_arbitrary_bytes(data):
    try:
        table = open_table(io.BytesIO(data), size=len(data), max_xlsx_bytes=1_000_000)
        header = locate_header(table, synonyms=CASE_COLUMNS, required=CASE_REQUIRED)
        validate = CaseRowValidator(header=header, refs=REFS)
        for row_no, cells in table.rows:
            validate(row_no, cells)
    except FileRejected as exc:
        assert str(exc)


csv_text = st.lists(
    st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30), min_size=1, max_size=9),
    max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(csv_text, st.sampled_from([",", ";", "\t"]))
def test_any_csv_under_a_valid_header_gives_a_tuple_or_row_errors(rows, delimiter):
    header = delimiter.join(["case_id", "opened_at", "channel", "grouping", "handle_seconds"])
    import csv as _csv

    buffer = io.StringIO()
    writer = _csv.writer(buffer, delimiter=delimiter)
    for r in rows:
        writer.writerow(r)
    data = (header + "\n" + buffer.getvalue()).encode()
    try:
        table = open_table(io.BytesIO(data), size=len(data), max_xlsx_bytes=1)
        validate = CaseRowValidator(
            header=locate_header(table, synonyms=CASE_COLUMNS, required=CASE_REQUIRED), refs=REFS
        )
        for row_no, cells in table.rows:
            result = validate(row_no, cells)
            assert isinstance(result, (tuple, list))
            if isinstance(result, list):
                assert result and all(e.reason for e in result)
    except FileRejected as exc:
        assert str(exc)


cell_values = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "A1",
            "Å2",
            "=1+1",
            "-5",
            "12",
            "007",
            "1",
            "ja",
            "nej",
            "true",
            "UF",
            "XX",
            "UF-01",
            "phone",
            "Telefon",
            "e-post",
            "fax",
            "2026-03-01 10:00",
            "2026-03-01T10:00:00",
            "2026-02-30 10:00",
            "1999-03-01 10:00",
            "2026-03-01",
            "2026-03-01 10:00 ",
            "9999999999",
        ]
    ),
    st.text(max_size=12),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(cell_values, min_size=7, max_size=7), st.sampled_from([None, date(2026, 3, 1)]))
def test_the_fast_path_agrees_with_the_full_check(cells, declared):
    validator = _validator(declared_month=declared)
    fast = validator._fast(5, cells)
    if fast is not None:
        assert validator._full(5, cells) == fast


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2068, 12, 31)),
    fmt=st.sampled_from(["%y%m%d %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%d/%m/%Y %H:%M", "%Y-%m-%d %H.%M"]),
)
def test_the_fast_date_parser_reads_exactly_what_strptime_reads(moment, fmt):
    from imports.parsing import date_parser

    text = moment.strftime(fmt)
    assert date_parser(fmt)(text) == datetime.strptime(text, fmt)


profiled_values = st.one_of(
    st.sampled_from(
        [
            "990201 7:02:47",
            "990229 7:02:47",
            "260301 10:00:00",
            "260301 10:00",
            "handled",
            "abandoned",
            "Handled",
            "avbruten",
            "AGENT",
            "",
            "A1",
            "UF-01",
            "phone",
            "60",
            "1:05",
        ]
    ),
    st.text(max_size=10),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(profiled_values, min_size=6, max_size=6), st.sampled_from([None, date(2026, 3, 1)]))
def test_the_fast_path_agrees_with_the_full_check_for_a_profiled_source(cells, declared):
    """A source's own date format and an outcome column (as a profile gives them) on the fast path."""
    table = open_table(
        io.BytesIO(b"case_id,opened_at,channel,grouping,handle_seconds,outcome\n"), size=10, max_xlsx_bytes=1
    )
    header = locate_header(table, synonyms=CASE_COLUMNS, required=CASE_REQUIRED)
    validator = CaseRowValidator(header=header, refs=REFS, declared_month=declared, date_format="%y%m%d %H:%M:%S")
    fast = validator._fast(5, cells)
    if fast is not None:
        assert validator._full(5, cells) == fast
    line_validator = CaseRowValidator(
        header=header, refs=REFS, declared_month=declared, date_format="%y%m%d %H:%M:%S", copy_prefix="1\t2\t"
    )
    line = line_validator._fast(5, cells)
    if line is not None and fast is not None:
        assert line.endswith(f"\t{fast[10] or chr(92) + 'N'}\n")


def test_a_clean_profiled_row_takes_the_fast_path():
    table = open_table(
        io.BytesIO(b"case_id,opened_at,channel,grouping,handle_seconds,outcome\n"), size=10, max_xlsx_bytes=1
    )
    header = locate_header(table, synonyms=CASE_COLUMNS, required=CASE_REQUIRED)
    validator = CaseRowValidator(header=header, refs=REFS, date_format="%y%m%d %H:%M:%S")
    cells = ["AA-1", "990201 7:02:47", "phone", "UF-01", "60", "abandoned"]
    fast = validator._fast(2, cells)
    assert fast == (2, "AA-1", "1999-02-01 07:02:47", "1999-02-01", 1, 1, 60, None, None, None, "abandoned")
    assert validator._full(2, cells) == fast
