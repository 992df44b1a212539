"""A section's raw values as the reader reads them (pure): the page and the PDF write each cell
with `cases.formats` by its column's kind, the workbook keeps the number and gives it an Excel
number format by the same kind. One table of kinds, so the three renderings cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from allocation.evaluation.sections import Cell, CellKind, Section, Status, Table
from cases import formats

# Excel number formats by kind; Excel shows the decimal comma and month names in the reader's locale.
EXCEL_FORMATS: dict[str, str] = {
    "count": "#,##0",
    "kronor": '#,##0.00 "kr"',
    "percent": "0.0%",
    "share": '0.00" %"',
    "minutes": "#,##0.0",
    "hours": "#,##0.0",
    "month": "mmmm yyyy",
}
NUMERIC_KINDS = frozenset(EXCEL_FORMATS) - {"month"}

# Designsystemet's tag colours for a status; the words always say the same in full.
STATUS_COLOURS = {"green": "success", "amber": "warning", "red": "danger", "none": "neutral"}


def cell_text(value: Cell, kind: CellKind) -> str:
    """A cell as it is written on the page and in the PDF: 1 444 751,93 kr, 8,3 %, 4,62 %,
    oktober 2026, a status's words; a dash for a figure that does not exist."""
    if value is None:
        return formats.DASH
    if isinstance(value, Status):
        return value.words
    if kind == "text" or (isinstance(value, str) and kind != "month"):
        return str(value)
    if kind == "count":
        return formats.cases(value)
    if kind == "kronor":
        return formats.kronor(value)
    if kind == "percent":
        return formats.percent(value)
    if kind == "share":
        return formats.share(value)
    if kind == "minutes":
        return formats.cases(value)  # whole minutes as they are, an average with one decimal
    if kind == "hours":
        return formats.number(value, 1)
    if kind == "month":
        return formats.month(value if isinstance(value, date | str) else None)
    return str(value)


def excel_value(value: Cell, kind: CellKind) -> object:
    """A cell for the workbook: numbers stay numbers (Decimal), a month a date, a status its words."""
    if isinstance(value, Status):
        return value.words
    if kind == "month" and isinstance(value, str):
        from cases.months import parse_year_month

        return parse_year_month(value) or value
    if kind in NUMERIC_KINDS and isinstance(value, int | Decimal):
        return value
    return value


@dataclass(frozen=True)
class ShownCell:
    text: str
    numeric: bool
    level: str | None  # a status's level (green, amber, red, none), None for every other cell

    @property
    def colour(self) -> str | None:
        """The Designsystemet tag colour of a status on the page."""
        return STATUS_COLOURS.get(self.level, "neutral") if self.level is not None else None


@dataclass(frozen=True)
class ShownTable:
    caption: str
    headers: tuple[tuple[str, bool], ...]  # (title, numeric)
    rows: tuple[tuple[ShownCell, ...], ...]


@dataclass(frozen=True)
class ShownSection:
    slug: str
    title: str
    summary: str
    tables: tuple[ShownTable, ...]
    chart_png: bytes | None

    @property
    def chart_data_uri(self) -> str:
        import base64

        return "data:image/png;base64," + base64.b64encode(self.chart_png).decode() if self.chart_png else ""


def shown_table(table: Table) -> ShownTable:
    kinds = [c.kind for c in table.columns]
    return ShownTable(
        caption=table.caption,
        headers=tuple((c.title, c.kind in NUMERIC_KINDS) for c in table.columns),
        rows=tuple(
            tuple(
                ShownCell(
                    text=cell_text(value, kind),
                    numeric=kind in NUMERIC_KINDS,
                    level=value.level if isinstance(value, Status) else None,
                )
                for value, kind in zip(row, kinds, strict=True)
            )
            for row in table.rows
        ),
    )


def shown_section(section: Section) -> ShownSection:
    return ShownSection(
        slug=section.slug,
        title=section.title,
        summary=section.summary,
        tables=tuple(shown_table(t) for t in section.tables),
        chart_png=section.chart_png,
    )
