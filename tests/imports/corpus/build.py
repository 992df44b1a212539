"""Write the bad-input corpus: one file per case, and expected.json saying what each must give.

The files in this folder are the corpus (committed, so a reviewer can open each one); this
script is how they were made and how a new case is added:

    .venv/bin/python tests/imports/corpus/build.py

expected.json maps a file name to
  expect          the column of the first row error, or a fragment of the file-level message
  why             what the file is
  declared_month  (optional) the month the upload is declared to hold, YYYY-MM
  kind            (optional) "aggregated" for the aggregated-statistics format
  profile         (optional) the source profile (DESIGN.md §6) the file is read with
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
HEADER = "case_id,opened_at,channel,grouping,handle_seconds,wait_seconds,resolved_first_contact,forwarded_to"
AGG_HEADER = "month,grouping,channel,cases,handle_seconds"


def row(**changes: str) -> str:
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


def csv(*rows: str, header: str = HEADER, encoding: str = "utf-8", newline: str = "\n") -> bytes:
    return (newline.join([header, *rows]) + newline).encode(encoding)


def good(n: int) -> list[str]:
    return [row(case_id=f"G{i}", opened_at=f"2026-03-{(i % 27) + 1:02d} 09:{i % 60:02d}") for i in range(n)]


def xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_rows(*rows: str) -> bytes:
    return xlsx([HEADER.split(","), *[r.split(",") for r in rows]])


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    return out.getvalue()


def replace_sheet(sheet_xml: bytes) -> bytes:
    good_book = io.BytesIO(xlsx_rows(row()))
    out = io.BytesIO()
    with zipfile.ZipFile(good_book) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = sheet_xml if item.filename == "xl/worksheets/sheet1.xml" else src.read(item.filename)
            dst.writestr(item, data)
    return out.getvalue()


NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def entity_bomb() -> bytes:
    return replace_sheet(
        (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
            '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
            f'<worksheet xmlns="{NS}"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>'
        ).encode()
    )


def external_entity() -> bytes:
    return replace_sheet(
        (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            f'<worksheet xmlns="{NS}"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>'
        ).encode()
    )


def truncated(data: bytes, keep: float) -> bytes:
    return data[: int(len(data) * keep)]


# name -> (bytes, expectation, why, extra)
Case = tuple[Callable[[], bytes], str, str, dict[str, str]]
CASES: dict[str, Case] = {
    # --- Not a case log at all ---------------------------------------------------------
    "empty.csv": (lambda: b"", "tom", "zero bytes", {}),
    "only-blank-lines.csv": (lambda: b"\n\n  \n\r\n", "tom", "only whitespace", {}),
    "header-only.csv": (lambda: csv(), "inga ärenderader", "a header and no rows", {}),
    "header-only-bom-crlf.csv": (
        lambda: b"\xef\xbb\xbf" + csv(newline="\r\n") + b"\r\n\r\n",
        "inga ärenderader",
        "a header with a byte-order mark, CRLF and trailing blank lines",
        {},
    ),
    "pdf-renamed.csv": (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>>\nendobj\n", "PDF", "a PDF named .csv", {}),
    "pdf-renamed.xlsx": (lambda: b"%PDF-1.4\n%binary\n" + bytes(range(256)), "PDF", "a PDF named .xlsx", {}),
    "old-excel.xls": (
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504,
        "xls",
        "an Excel 97-2003 (OLE) workbook",
        {},
    ),
    "old-excel-renamed.xlsx": (
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504,
        "xls",
        "an Excel 97-2003 workbook named .xlsx",
        {},
    ),
    "png-renamed.csv": (
        lambda: b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)),
        "binär",
        "a PNG picture named .csv",
        {},
    ),
    "gzip-renamed.csv": (lambda: gzip.compress(csv(*good(50)), mtime=0), "binär", "a gzipped CSV named .csv", {}),
    "random-bytes.csv": (lambda: bytes(range(256)) * 4, "binär", "binary noise", {}),
    "html-export.csv": (
        lambda: b"<html><body><table><tr><td>case_id</td><td>opened_at</td></tr></table></body></html>\n",
        "saknar obligatoriska",
        "an HTML page saved as a spreadsheet export",
        {},
    ),
    "wrong-columns.csv": (
        lambda: b"namn,adress\nKalle,Storgatan 1\n",
        "saknar obligatoriska",
        "someone else's spreadsheet",
        {},
    ),
    "single-column.csv": (
        lambda: b"case_id\nB1\nB2\n",
        "saknar obligatoriska",
        "a list of ids only",
        {},
    ),
    "missing-grouping-column.csv": (
        lambda: b"case_id,opened_at,channel\nA1,2026-03-01 10:00,phone\n",
        "ärendegruppering",
        "the grouping column is missing",
        {},
    ),
    "duplicate-header.csv": (
        lambda: csv(row() + ",phone", header=HEADER + ",kanal"),
        "mer än en gång",
        "channel given twice in the header (English and Swedish name)",
        {},
    ),
    # --- Encodings -----------------------------------------------------------------------
    "utf16-le-bom.csv": (lambda: csv(row(), encoding="utf-16"), "UTF-16", "UTF-16 with a byte-order mark", {}),
    "utf16-be-bom.csv": (
        lambda: b"\xfe\xff" + csv(row(), encoding="utf-16-be"),
        "UTF-16",
        "UTF-16 big-endian with a byte-order mark",
        {},
    ),
    "utf16-le-no-bom.csv": (lambda: csv(row(), encoding="utf-16-le"), "binär", "UTF-16 without a byte-order mark", {}),
    "truncated-utf8.csv": (
        lambda: csv(row(case_id="ÅÅÅ"))[:-12] + "Å".encode()[:1],
        "Rad 2: ett avklippt tecken i slutet av filen kan inte läsas som UTF-8",
        "cut in the middle of a two-byte UTF-8 character",
        {},
    ),
    "invalid-cp1252-bytes.csv": (
        lambda: csv(*good(3), row()).replace(b"B1", b"B\x81\x8d"),
        "Rad 5: tecknet med bytekod 0x81 kan inte läsas som Windows-1252",
        "bytes that are neither UTF-8 nor Windows-1252",
        {},
    ),
    "cp1252-unknown-grouping.csv": (
        lambda: csv(row(grouping="Förskola–ansökan"), encoding="cp1252"),
        "grouping",
        "Windows-1252 is read, but the grouping is a name, not a code",
        {},
    ),
    # --- Structure -----------------------------------------------------------------------
    "short-row.csv": (lambda: csv("B1,2026-03-02 09:00,phone"), "kolumner", "a row with three cells", {}),
    "long-row.csv": (lambda: csv(row() + ",extra,more"), "kolumner", "a row with two cells too many", {}),
    "mixed-delimiters.csv": (
        lambda: csv(row(case_id="B0"), "B1;2026-03-02 09:00;phone;UF-01;60;5;1;"),
        "men rubrikraden har 8",
        "a semicolon row among comma rows",
        {},
    ),
    "semicolon-rows-comma-header.csv": (
        lambda: csv("B1;2026-03-02 09:00;phone;UF-01;60;5;1;", "B2;2026-03-02 09:05;phone;UF-01;60;5;1;"),
        "men rubrikraden har 8",
        "a comma header over semicolon rows",
        {},
    ),
    "tab-rows-comma-header.csv": (
        lambda: csv("B1\t2026-03-02 09:00\tphone\tUF-01\t60\t5\t1\t"),
        "men rubrikraden har 8",
        "a comma header over tab-separated rows",
        {},
    ),
    "unclosed-quote.csv": (
        lambda: (HEADER + '\n"B1,2026-03-02 09:00,phone,UF-01,60,5,1,\n').encode(),
        "men rubrikraden har 8",
        "a quote that never closes",
        {},
    ),
    "truncated-mid-row.csv": (
        lambda: csv(*good(20)).rstrip(b"\n")[:-30],
        "men rubrikraden har 8",
        "a download cut off in the middle of the last row",
        {},
    ),
    "cell-over-csv-limit.csv": (
        lambda: csv(row(grouping="G" * 200_000)),
        "en cell är längre än 100 000 tecken",
        "one cell of 200,000 characters",
        {},
    ),
    # --- Case ids --------------------------------------------------------------------------
    "missing-case-id.csv": (lambda: csv(row(case_id="")), "case_id", "an empty case id", {}),
    "case-id-101-chars.csv": (lambda: csv(row(case_id="X" * 101)), "case_id", "a case id over 100 characters", {}),
    "case-id-10000-chars.csv": (lambda: csv(row(case_id="X" * 10_000)), "case_id", "a 10,000-character case id", {}),
    "formula-hyperlink.csv": (
        lambda: csv(row(case_id='"=HYPERLINK(""http://x"")"')),
        "case_id",
        "a formula in the case id",
        {},
    ),
    "formula-at-sign.csv": (lambda: csv(row(case_id="@SUM(A1:A2)")), "case_id", "an @-formula in the case id", {}),
    "formula-plus-dde.csv": (
        lambda: csv(row(case_id="+cmd|' /C calc'!A0")),
        "case_id",
        "a DDE payload in the case id",
        {},
    ),
    "duplicate-case-ids.csv": (
        lambda: csv(row(), row(opened_at="2026-03-03 10:00")),
        "case_id",
        "the same case id twice",
        {},
    ),
    "duplicate-case-ids-far-apart.csv": (
        lambda: csv(*good(300), row(case_id="G7", opened_at="2026-03-20 10:00")),
        "case_id",
        "row 302 repeats the case id of row 9",
        {},
    ),
    # --- Dates -----------------------------------------------------------------------------
    "date-unparseable.csv": (lambda: csv(row(opened_at="igår")), "opened_at", "a date in words", {}),
    "date-day-first.csv": (lambda: csv(row(opened_at="02/03/2026 09:00")), "opened_at", "day/month/year", {}),
    "date-without-time.csv": (lambda: csv(row(opened_at="2026-03-02")), "opened_at", "a date without a time", {}),
    "date-impossible.csv": (lambda: csv(row(opened_at="2026-02-30 09:00")), "opened_at", "30 February", {}),
    "date-year-1900.csv": (lambda: csv(row(opened_at="1900-03-02 09:00")), "opened_at", "the year 1900", {}),
    "date-year-2999.csv": (lambda: csv(row(opened_at="2999-03-02 09:00")), "opened_at", "the year 2999", {}),
    "date-missing.csv": (lambda: csv(row(opened_at="")), "opened_at", "no date", {}),
    "date-after-declared-month.csv": (
        lambda: csv(row(), row(case_id="B2", opened_at="2026-04-01 00:00")),
        "opened_at",
        "a case of 1 April in a file declared as March",
        {"declared_month": "2026-03"},
    ),
    "date-before-declared-month.csv": (
        lambda: csv(row(opened_at="2026-02-28 23:59")),
        "opened_at",
        "a case of 28 February in a file declared as March",
        {"declared_month": "2026-03"},
    ),
    # --- Channels, groupings, administrations ----------------------------------------------
    "unknown-grouping.csv": (lambda: csv(row(grouping="XX-99")), "grouping", "a grouping code nobody knows", {}),
    "empty-grouping.csv": (lambda: csv(row(grouping="")), "grouping", "no grouping", {}),
    "grouping-10000-chars.csv": (
        lambda: csv(row(grouping="G" * 10_000)),
        "grouping",
        "a 10,000-character grouping",
        {},
    ),
    "formula-grouping.csv": (lambda: csv(row(grouping="=1+1")), "grouping", "a formula as grouping", {}),
    "unknown-channel.csv": (lambda: csv(row(channel="fax")), "channel", "fax is no channel here", {}),
    "empty-channel.csv": (lambda: csv(row(channel="")), "channel", "no channel", {}),
    "channel-10000-chars.csv": (lambda: csv(row(channel="c" * 10_000)), "channel", "a 10,000-character channel", {}),
    "unknown-channel-in-1000-rows.csv": (
        lambda: csv(*[row(case_id=f"F{i}", channel="fax") for i in range(1000)]),
        "channel",
        "a thousand rows with an unknown channel",
        {},
    ),
    "unknown-forwarded-to.csv": (lambda: csv(row(forwarded_to="XYZ")), "forwarded_to", "an unknown administration", {}),
    "formula-forwarded-to.csv": (
        lambda: csv(row(forwarded_to="=cmd|'/C calc'!A0")),
        "forwarded_to",
        "a DDE payload as administration",
        {},
    ),
    # --- Durations and flags ---------------------------------------------------------------
    "negative-handle.csv": (lambda: csv(row(handle_seconds="-10")), "handle_seconds", "a negative handle time", {}),
    "negative-wait.csv": (lambda: csv(row(wait_seconds="-1")), "wait_seconds", "a negative wait", {}),
    "duration-75-minutes.csv": (
        lambda: csv(row(handle_seconds="1:75:00")),
        "handle_seconds",
        "a clock time with 75 minutes",
        {},
    ),
    "duration-dashes.csv": (lambda: csv(row(handle_seconds="--:--")), "handle_seconds", "an empty clock", {}),
    "duration-61-seconds.csv": (lambda: csv(row(wait_seconds="0:61")), "wait_seconds", "61 seconds", {}),
    "outcome-unknown.csv": (
        lambda: csv(row() + ",maybe", header=HEADER + ",outcome"),
        "outcome",
        "an outcome that is neither handled nor abandoned",
        {},
    ),
    # --- Through a source profile ----------------------------------------------------------
    "profile-unmapped-value.csv": (
        lambda: b"id\tdate\ttime\ttype\toutcome\n1\t990201\t7:02:47\tPS\tAGENT\n2\t990201\t7:05:00\tXX\tAGENT\n",
        "grouping",
        "a values map that leaves a value unmapped",
        {
            "profile": {
                "columns": {"case_id": "id", "opened_at": ["date", "time"], "grouping": "type", "outcome": "outcome"},
                "date_format": "%y%m%d %H:%M:%S",
                "constants": {"channel": "phone"},
                "values": {"grouping": {"PS": "UF-01"}, "outcome": {"AGENT": "handled", "HANG": "abandoned"}},
            }
        },
    ),
    "profile-joined-part-empty.csv": (
        lambda: b"id\tdate\ttime\ttype\n1\t990201\t\tUF-01\n",
        "opened_at",
        "a joined opened_at with one part empty",
        {
            "profile": {
                "columns": {"case_id": "id", "opened_at": ["date", "time"], "grouping": "type"},
                "date_format": "%y%m%d %H:%M:%S",
                "constants": {"channel": "phone"},
            }
        },
    ),
    "profile-missing-header.csv": (
        lambda: csv(row()),
        "saknar: 'call_id'",
        "a header the profile names is not in the file",
        {"profile": {"columns": {"case_id": "call_id"}}},
    ),
    "profile-missing-sheet.xlsx": (
        lambda: xlsx([HEADER.split(","), row().split(",")]),
        "saknar bladet 'Ärenden'",
        "an XLSX whose named sheet is missing",
        {"profile": {"sheet": "Ärenden"}},
    ),
    "profile-minutes-negative.csv": (
        lambda: csv(row(handle_seconds="-2,5")),
        "handle_seconds",
        "a negative duration in minutes",
        {"profile": {"duration_unit": "minutes"}},
    ),
    "text-handle.csv": (lambda: csv(row(handle_seconds="tio")), "handle_seconds", "a number in words", {}),
    "nan-handle.csv": (lambda: csv(row(handle_seconds="NaN")), "handle_seconds", "NaN", {}),
    "infinite-wait.csv": (lambda: csv(row(wait_seconds="inf")), "wait_seconds", "infinity", {}),
    "exponent-handle.csv": (lambda: csv(row(handle_seconds="1e3")), "handle_seconds", "scientific notation", {}),
    "huge-handle.csv": (lambda: csv(row(handle_seconds="99999999999")), "handle_seconds", "3,000 years", {}),
    "text-wait.csv": (lambda: csv(row(wait_seconds="snabbt")), "wait_seconds", "a wait in words", {}),
    "bad-flag.csv": (
        lambda: csv(row(resolved_first_contact="kanske")),
        "resolved_first_contact",
        "maybe is neither yes nor no",
        {},
    ),
    # --- Excel ---------------------------------------------------------------------------
    "zip-not-xlsx.xlsx": (lambda: b"PK\x03\x04" + b"\0" * 200, "zip", "a broken zip header", {}),
    "zip-without-workbook.xlsx": (
        lambda: _plain_zip({"readme.txt": b"hej"}),
        "ingen Excel-arbetsbok",
        "a zip archive of something else",
        {},
    ),
    "zip-bomb.xlsx": (zip_bomb, "zip-bomb", "60 MB of zeros packed into a workbook", {}),
    "xml-entity-bomb.xlsx": (entity_bomb, "XML-definitioner", "billion laughs in the sheet XML", {}),
    "xml-external-entity.xlsx": (
        external_entity,
        "XML-definitioner",
        "an external entity pointing at /etc/passwd",
        {},
    ),
    "truncated.xlsx": (lambda: truncated(xlsx_rows(*good(200)), 0.6), "zip", "a workbook cut off at 60 %", {}),
    "xlsx-wrong-header.xlsx": (
        lambda: xlsx([["hej", "då"], [1, 2]]),
        "saknar obligatoriska",
        "a workbook without the log's columns",
        {},
    ),
    "xlsx-header-only.xlsx": (lambda: xlsx([HEADER.split(",")]), "inga ärenderader", "a header and no rows", {}),
    "xlsx-empty-sheet.xlsx": (lambda: xlsx([]), "inga rader", "a workbook with an empty sheet", {}),
    "xlsx-unknown-channel.xlsx": (
        lambda: xlsx([HEADER.split(","), ["X1", "2026-03-02 09:00", "fax", "UF-01"]]),
        "channel",
        "an unknown channel in a workbook",
        {},
    ),
    "xlsx-formula-case-id.xlsx": (
        lambda: xlsx([HEADER.split(","), ["=1+1", "2026-03-02 09:00", "phone", "UF-01", 60, 5, 1, None]]),
        "case_id",
        "a formula cell with no computed value (written by a program, not by Excel)",
        {},
    ),
    "xlsx-negative-handle.xlsx": (
        lambda: xlsx([HEADER.split(","), ["X1", "2026-03-02 09:00", "phone", "UF-01", -30, 5, 1, None]]),
        "handle_seconds",
        "a negative number cell",
        {},
    ),
    "xlsx-date-outside-month.xlsx": (
        lambda: xlsx_rows(row(opened_at="2026-05-02 09:00")),
        "opened_at",
        "May in a workbook declared as March",
        {"declared_month": "2026-03"},
    ),
    # --- Aggregated statistics -------------------------------------------------------------
    "aggregated-negative-cases.csv": (
        lambda: csv("2026-03,UF-01,phone,-5,100", header=AGG_HEADER),
        "cases",
        "a negative count",
        {"kind": "aggregated"},
    ),
    "aggregated-unknown-grouping.csv": (
        lambda: csv("2026-03,XX-99,phone,5,100", header=AGG_HEADER),
        "grouping",
        "an unknown grouping in aggregated figures",
        {"kind": "aggregated"},
    ),
    "aggregated-bad-month.csv": (
        lambda: csv("mars,UF-01,phone,5,100", header=AGG_HEADER),
        "month",
        "a month in words",
        {"kind": "aggregated"},
    ),
    "aggregated-missing-cases-column.csv": (
        lambda: b"month,grouping\n2026-03,UF-01\n",
        "saknar obligatoriska",
        "no count column",
        {"kind": "aggregated"},
    ),
}


def _plain_zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def build() -> None:
    expected = {}
    for old in HERE.iterdir():
        if old.name not in {"build.py", "__init__.py"}:
            old.unlink()
    for name, (make, expect, why, extra) in CASES.items():
        (HERE / name).write_bytes(make())
        expected[name] = {"expect": expect, "why": why, **extra}
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(CASES)} files in {HERE}")


if __name__ == "__main__":
    build()
