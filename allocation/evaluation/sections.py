"""What a part of the yearly evaluation is made of (pure): a title, a few generated sentences,
tables of raw values and at most one chart. The page, the PDF and the workbook render the same
sections, so a figure can never differ between them. Values stay raw (int, Decimal, str, None,
`Status`); the renderers format them with `cases.formats` by the column's kind."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

CellKind = Literal["text", "count", "kronor", "percent", "share", "minutes", "hours", "status", "month"]
Level = Literal["green", "amber", "red", "none"]


@dataclass(frozen=True)
class Status:
    """A red/amber/green judgement that never relies on colour alone: `words` says it in full,
    e.g. "Uppnått: 82,0 % mot målet 80,0 %"."""

    level: Level
    words: str


Cell = str | int | Decimal | Status | None


@dataclass(frozen=True)
class Column:
    title: str
    kind: CellKind = "text"


@dataclass(frozen=True)
class Table:
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Section:
    """One part of the evaluation. `slug` is stable (anchors); the texts are in the language active
    when the section was built. `sheet` names the workbook's sheet when the title is longer than
    Excel's 31 characters."""

    slug: str
    title: str
    summary: str
    tables: tuple[Table, ...] = ()
    chart_png: bytes | None = None
    sheet: str = ""
