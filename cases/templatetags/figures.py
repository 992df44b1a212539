"""Template filters for numbers and months; the formats themselves live in `cases.formats`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from cases import formats

register = template.Library()

for _name in ("percent", "number", "kronor", "duration", "cases", "share", "change", "decimal", "month"):
    register.filter(_name, getattr(formats, _name))


@register.filter
def total(rows: Any, field: str) -> Decimal | None:
    """The sum of one figure over a table's rows (dicts or objects), for its total row; None when no
    row has the figure."""
    values = [row.get(field) if isinstance(row, dict) else getattr(row, field, None) for row in rows or []]
    present = [Decimal(str(v)) for v in values if v not in (None, "")]
    return sum(present, Decimal(0)) if present else None
