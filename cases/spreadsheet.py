"""Writing text that came from uploaded files into CSV and Excel without it becoming a formula."""

from __future__ import annotations

from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Prefix text a spreadsheet would evaluate (=, +, -, @, tab, CR) with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
