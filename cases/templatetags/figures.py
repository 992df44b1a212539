"""Template filters for numbers and months; the formats themselves live in `cases.formats`."""

from __future__ import annotations

from django import template

from cases import formats

register = template.Library()

for _name in ("percent", "number", "kronor", "duration", "cases", "share", "decimal", "month"):
    register.filter(_name, getattr(formats, _name))
