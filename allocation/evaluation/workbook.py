"""The yearly evaluation as an Excel workbook: a first sheet with the year's text (who wrote it and
when), then one sheet per section, named by its title, with its summary, each table under its
caption and the chart. Figures stay numbers with a number format by the column's kind
(`cells.EXCEL_FORMATS`); text is formula-safe."""

from __future__ import annotations

import io
import re
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from allocation.evaluation.cells import EXCEL_FORMATS, excel_value
from allocation.evaluation.report import Report
from allocation.evaluation.sections import Section
from allocation.publications.workbooks import HEADER_FILL
from cases.spreadsheet import safe_cell, workbook_bytes

# Excel refuses these in a sheet's name and allows at most 31 characters.
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str, taken: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub(" ", title).strip()
    if len(base) > 31:  # cut at a word, not inside one ("Överföringar och nyttorealiseri")
        base = base[:32].rsplit(" ", 1)[0].rstrip(" ,–-:;") if " " in base[:32] else base[:31]
    base = base or "–"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" {n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _text_sheet(wb: Workbook, report: Report) -> None:
    ws = wb.active
    ws.title = sheet_name(_("Text"), set())
    ws.append([safe_cell(_("The evaluation of the contact centre %(year)s") % {"year": report.year})])
    ws["A1"].font = Font(bold=True, size=14)
    if report.text.is_draft:
        ws.append([_("Draft generated from the data; not yet edited by finance staff.")])
    else:
        ws.append([safe_cell(_("Written by %(who)s") % {"who": report.text.edited_by})])
        if report.text.edited_at is not None:
            ws.cell(
                row=2, column=2, value=timezone.localtime(report.text.edited_at).replace(tzinfo=None)
            ).number_format = "yyyy-mm-dd hh:mm"
    ws.append([])
    for paragraph in report.text.text.splitlines():
        ws.append([safe_cell(paragraph)])
        ws.cell(row=ws.max_row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 110


def _section_sheet(wb: Workbook, section: Section, taken: set[str]) -> None:
    ws = wb.create_sheet(sheet_name(section.sheet or section.title, taken))
    ws.append([safe_cell(section.title)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([safe_cell(section.summary)])
    ws.cell(row=2, column=1).alignment = Alignment(wrap_text=False)
    widths: dict[int, int] = {}
    for table in section.tables:
        ws.append([])
        ws.append([safe_cell(table.caption)])
        ws.cell(row=ws.max_row, column=1).font = Font(italic=True)
        ws.append([safe_cell(c.title) for c in table.columns])
        for i, cell in enumerate(ws[ws.max_row], start=1):
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            widths[i] = max(widths.get(i, 0), len(str(cell.value or "")))
        for row in table.rows:
            ws.append([safe_cell(excel_value(v, c.kind)) for v, c in zip(row, table.columns, strict=True)])
            for i, column in enumerate(table.columns, start=1):
                cell = ws.cell(row=ws.max_row, column=i)
                if column.kind in EXCEL_FORMATS:
                    cell.number_format = EXCEL_FORMATS[column.kind]
                widths[i] = max(widths.get(i, 0), min(len(str(cell.value or "")), 50))
    for i, width in widths.items():
        ws.column_dimensions[get_column_letter(i)].width = max(width + 3, 12)
    if section.chart_png:
        from openpyxl.drawing.image import Image

        ws.add_image(Image(io.BytesIO(section.chart_png)), f"A{ws.max_row + 3}")


def report_workbook(report: Report, *, stamp: datetime) -> bytes:
    """The report's workbook; the same report and stamp give the same bytes."""
    wb = Workbook()
    _text_sheet(wb, report)
    taken = {wb.active.title.lower()}
    for section in report.sections:
        _section_sheet(wb, section, taken)
    return workbook_bytes(wb, stamp=stamp)
