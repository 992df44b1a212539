"""The evaluation's cells as the reader reads them (pure, no database): every kind through
cases.formats on the page, numbers kept for the workbook, a status always in words."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import translation

from allocation.evaluation.cells import EXCEL_FORMATS, cell_text, excel_value, shown_table
from allocation.evaluation.sections import Column, Status, Table
from allocation.evaluation.workbook import sheet_name

NBSP = "\u00a0"


def test_each_kind_is_written_the_swedish_way():
    with translation.override("sv"):
        assert cell_text(Decimal("1444751.925"), "kronor") == f"1{NBSP}444{NBSP}751,93{NBSP}kr"
        assert cell_text(Decimal("0.0834"), "percent") == f"8,3{NBSP}%"
        assert cell_text(Decimal("36.37"), "share") == f"36,37{NBSP}%"
        assert cell_text(143572, "count") == f"143{NBSP}572"
        assert cell_text(Decimal("4.5633"), "minutes") == "4,6"
        assert cell_text(Decimal("12.25"), "hours") == "12,3"
        assert cell_text("2026-10", "month") == "oktober 2026"
        assert cell_text(date(2026, 10, 1), "month") == "oktober 2026"
        assert cell_text(None, "kronor") == "–"
        assert cell_text("2026", "text") == "2026"


def test_a_status_is_its_words_with_a_tag_colour_beside_them():
    status = Status("red", "Ej uppnått: 71,0 % mot målet 80,0 %")
    t = shown_table(Table("Mål", (Column("Mått"), Column("Status", "status")), (("Svarat inom 60 s", status),)))
    cell = t.rows[0][1]
    assert cell.text == "Ej uppnått: 71,0 % mot målet 80,0 %" and cell.level == "red" and cell.colour == "danger"
    assert t.rows[0][0].colour is None and t.headers == (("Mått", False), ("Status", False))
    assert excel_value(status, "status") == status.words


def test_the_workbook_keeps_numbers_and_months_as_values():
    assert excel_value(Decimal("9.52"), "kronor") == Decimal("9.52")
    assert excel_value("2026-10", "month") == date(2026, 10, 1)
    assert EXCEL_FORMATS["kronor"] == '#,##0.00 "kr"' and EXCEL_FORMATS["share"] == '0.00" %"'


def test_sheet_names_are_what_excel_accepts_and_never_repeat():
    taken: set[str] = set()
    long = "Måluppfyllelse: tillgänglighet/ärenden [per kanal] och år"
    first = sheet_name(long, taken)
    assert len(first) <= 31 and not set("[]:*?/\\") & set(first)
    second = sheet_name(long, taken)
    assert second != first and len(second) <= 31 and second.endswith(" 2")
