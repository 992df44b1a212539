"""Every bad file we could think of: each is refused with a Swedish reason and changes nothing."""

from __future__ import annotations

import io
import zipfile

import pytest

from imports.models import StagedCase
from tests.conftest import HEADER, csv_bytes, good_rows
from tests.imports.helpers import database_state, run_import

pytestmark = pytest.mark.django_db(transaction=True)


def _xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    return out.getvalue()


def _xml_entity_bomb() -> bytes:
    good = io.BytesIO(_xlsx([HEADER.split(","), good_rows(n=1)[0].split(",")]))
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = bomb.encode() if item.filename == "xl/worksheets/sheet1.xml" else src.read(item.filename)
            dst.writestr(item, data)
    return out.getvalue()


def _row(**changes: str) -> str:
    values = {
        "case_id": "B1",
        "opened_at": "2026-03-02 09:00",
        "channel": "phone",
        "grouping": "UF-01",
        "handle_seconds": "60",
        "wait_seconds": "5",
        "resolved_first_contact": "1",
        "forwarded_to": "",
    }
    values.update(changes)
    return ",".join(values.values())


# (id, file bytes, file name, expected: column of the first error, or a fragment of the file-level message)
BAD_FILES = [
    ("empty", b"", "tom.csv", "tom"),
    ("only-whitespace", b"\n\n  \n", "blank.csv", "tom"),
    ("header-only", (HEADER + "\n").encode(), "h.csv", "inga ärenderader"),
    ("pdf-renamed-csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "logg.csv", "PDF"),
    ("pdf-renamed-xlsx", b"%PDF-1.4 binary", "logg.xlsx", "PDF"),
    ("old-xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "logg.xls", "xls"),
    ("utf16", "case_id,opened_at\n".encode("utf-16"), "u16.csv", "UTF-16"),
    ("binary-noise", bytes(range(256)) * 4, "noise.csv", "binär"),
    ("zip-not-xlsx", b"PK\x03\x04" + b"\0" * 200, "trasig.xlsx", "zip"),
    ("zip-bomb", _zip_bomb(), "bomb.xlsx", "zip-bomb"),
    ("xml-entity-bomb", _xml_entity_bomb(), "entity.xlsx", "Excel-filen kan inte läsas"),
    ("missing-grouping-column", b"case_id,opened_at,channel\nA1,2026-03-01 10:00,phone\n", "a.csv", "ärendegruppering"),
    ("wrong-columns-entirely", b"namn,adress\nKalle,Storgatan 1\n", "a.csv", "saknar obligatoriska"),
    ("duplicate-header", (HEADER + ",kanal\n" + _row() + ",phone\n").encode(), "d.csv", "mer än en gång"),
    ("unknown-grouping", csv_bytes([_row(grouping="XX-99")]), "a.csv", "grouping"),
    ("empty-grouping", csv_bytes([_row(grouping="")]), "a.csv", "grouping"),
    ("unknown-channel", csv_bytes([_row(channel="fax")]), "a.csv", "channel"),
    ("empty-channel", csv_bytes([_row(channel="")]), "a.csv", "channel"),
    ("missing-case-id", csv_bytes([_row(case_id="")]), "a.csv", "case_id"),
    ("too-long-case-id", csv_bytes([_row(case_id="X" * 101)]), "a.csv", "case_id"),
    ("formula-case-id", csv_bytes([_row(case_id='=HYPERLINK("http://x")')]), "a.csv", "case_id"),
    ("formula-case-id-cmd", csv_bytes([_row(case_id="@SUM(A1:A2)")]), "a.csv", "case_id"),
    ("date-unparseable", csv_bytes([_row(opened_at="igår")]), "a.csv", "opened_at"),
    ("date-swedish-order", csv_bytes([_row(opened_at="02/03/2026 09:00")]), "a.csv", "opened_at"),
    ("date-without-time", csv_bytes([_row(opened_at="2026-03-02")]), "a.csv", "opened_at"),
    ("date-impossible", csv_bytes([_row(opened_at="2026-02-30 09:00")]), "a.csv", "opened_at"),
    ("date-year-1900", csv_bytes([_row(opened_at="1900-03-02 09:00")]), "a.csv", "opened_at"),
    ("date-missing", csv_bytes([_row(opened_at="")]), "a.csv", "opened_at"),
    ("negative-handle", csv_bytes([_row(handle_seconds="-10")]), "a.csv", "handle_seconds"),
    ("decimal-handle", csv_bytes([_row(handle_seconds="12.5")]), "a.csv", "handle_seconds"),
    ("text-handle", csv_bytes([_row(handle_seconds="tio")]), "a.csv", "handle_seconds"),
    ("huge-handle", csv_bytes([_row(handle_seconds="99999999999")]), "a.csv", "handle_seconds"),
    ("negative-wait", csv_bytes([_row(wait_seconds="-1")]), "a.csv", "wait_seconds"),
    ("text-wait", csv_bytes([_row(wait_seconds="snabbt")]), "a.csv", "wait_seconds"),
    ("bad-flag", csv_bytes([_row(resolved_first_contact="kanske")]), "a.csv", "resolved_first_contact"),
    ("unknown-forward", csv_bytes([_row(forwarded_to="XYZ")]), "a.csv", "forwarded_to"),
    ("short-row", csv_bytes(["B1,2026-03-02 09:00,phone"]), "a.csv", "kolumner"),
    ("long-row", csv_bytes([_row() + ",extra,more"]), "a.csv", "kolumner"),
    ("mixed-delimiters", csv_bytes(["B1;2026-03-02 09:00;phone;UF-01;60;5;1;"]), "a.csv", "kolumner"),
    ("10000-char-cell", csv_bytes([_row(grouping="G" * 10_000)]), "a.csv", "grouping"),
    ("cell-over-csv-limit", csv_bytes([_row(grouping="G" * 200_000)]), "a.csv", "CSV"),
    ("duplicate-case-ids", csv_bytes([_row(), _row(opened_at="2026-03-03 10:00")]), "a.csv", "case_id"),
    (
        "truncated-utf8",
        csv_bytes([_row(case_id="Å" * 3)])[:-12] + "Å".encode()[:1],
        "a.csv",
        "teckenkodningen",
    ),
    ("invalid-cp1252-byte", csv_bytes([_row()]).replace(b"B1", b"B\x81\x8d"), "a.csv", "teckenkodningen"),
    ("unclosed-quote", (HEADER + '\n"B1,2026-03-02 09:00,phone,UF-01,60,5,1,\n').encode(), "a.csv", "kolumner"),
    ("xlsx-without-header", _xlsx([["hej", "då"], [1, 2]]), "a.xlsx", "saknar obligatoriska"),
    ("xlsx-bad-row", _xlsx([HEADER.split(","), ["X1", "2026-03-02 09:00", "fax", "UF-01"]]), "a.xlsx", "channel"),
    ("xlsx-header-only", _xlsx([HEADER.split(",")]), "a.xlsx", "inga ärenderader"),
]


COLUMNS = {
    "case_id",
    "opened_at",
    "channel",
    "grouping",
    "handle_seconds",
    "wait_seconds",
    "resolved_first_contact",
    "forwarded_to",
}


@pytest.mark.parametrize(("data", "name", "expected"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_a_bad_file_is_rejected_with_a_reason_and_changes_nothing(org, data, name, expected):
    run_import(org["source"], csv_bytes(good_rows(month="2026-02", prefix="KEEP")), name="keep.csv")
    before = database_state()
    try:
        batch = run_import(org["source"], data, name=name)
    except Exception as exc:  # refused at upload (empty file): nothing stored at all
        from django.core.exceptions import ValidationError

        assert isinstance(exc, ValidationError)
        assert expected in " ".join(exc.messages)
        assert database_state() == before
        return
    assert batch.status == "rejected", (batch.status, batch.message)
    assert database_state() == before
    assert not StagedCase.objects.exists()
    errors = list(batch.errors.all())
    if expected in COLUMNS:
        assert errors, batch.message
        assert errors[0].column == expected, (errors[0].column, batch.message)
    else:
        assert expected in batch.message, batch.message
    # Every reason a finance officer reads is in Swedish and names where the problem is.
    assert batch.message
    for e in errors:
        assert e.row_number >= 1 and e.reason


def test_the_corpus_is_large_enough():
    assert len(BAD_FILES) >= 45
