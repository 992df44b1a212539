"""Numbers and months as the reader writes them: Swedish (1 444 751,93 kr, 4,6 %, 4 min 32 s,
oktober 2026) in the Swedish interface, English formats in the English one.

The one place every page, message, e-mail and workbook takes its figures from; the template
filters in `cases.templatetags.figures` are these functions.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import formats as django_formats
from django.utils.translation import get_language

DASH = "–"
NBSP = "\u00a0"


def swedish() -> bool:
    return (get_language() or "sv").startswith("sv")


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _group(number: Decimal, places: int) -> str:
    text = f"{number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,.{places}f}"
    if swedish():
        # Thousands with a (no-break) space, decimals with a comma.
        return text.replace(",", NBSP).replace(".", ",")
    return text


def percent(rate: Any, places: int = 1) -> str:
    """A rate (0.0834) as a percentage: 8,3 %."""
    number = _decimal(rate)
    if number is None:
        return DASH
    return f"{_group(number * 100, int(places))}{NBSP}%"


def number(value: Any, places: int = 0) -> str:
    """A count or amount with grouped thousands: 14 698 or 656,6."""
    figure = _decimal(value)
    if figure is None:
        return DASH
    return _group(figure, int(places))


def kronor(value: Any) -> str:
    """An amount: 1 444 751,93 kr."""
    figure = _decimal(value)
    if figure is None:
        return DASH
    return f"{_group(figure, 2)}{NBSP}kr"


def duration(seconds: Any) -> str:
    """Seconds as minutes and seconds: 4 min 32 s (under a minute: 45 s)."""
    figure = _decimal(seconds)
    if figure is None:
        return DASH
    total = int(figure.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    minutes, rest = divmod(total, 60)
    return f"{minutes}{NBSP}min {rest}{NBSP}s" if minutes else f"{rest}{NBSP}s"


def cases(value: Any) -> str:
    """A case count: whole cases without decimals (14 698), a split grouping's with one (656,6)."""
    figure = _decimal(value)
    if figure is None:
        return DASH
    return _group(figure, 0 if figure == figure.to_integral_value() else 1)


def share(value: Any) -> str:
    """A percentage already in percent (4.62) with two decimals: 4,62 %."""
    figure = _decimal(value)
    if figure is None:
        return DASH
    return f"{_group(figure, 2)}{NBSP}%"


def change(value: Any, places: int = 2) -> str:
    """A difference with its sign always written (+1,85, −1,98, 0,00): "new − in force"."""
    figure = _decimal(value)
    if figure is None:
        return DASH
    text = _group(abs(figure), int(places))
    if text.strip("0,. " + NBSP) == "":
        return text  # rounds to zero: no sign
    return ("+" if figure > 0 else "\u2212") + text


def decimal(value: Any) -> str:
    """A decimal with the places it has (a share 0,363636363636, a load 4,0000000000)."""
    figure = _decimal(value)
    if figure is None:
        return DASH
    exponent = figure.as_tuple().exponent
    return _group(figure, max(0, -exponent) if isinstance(exponent, int) else 0)


def _month_date(value: date | str | None) -> date | str | None:
    """A month given as a date or "YYYY-MM" as a date; text that is not a month stays as it is."""
    if isinstance(value, str):
        from cases.months import parse_year_month

        return parse_year_month(value) or value
    return value


def month(value: date | str | None) -> str:
    """A month by name, as it is read: oktober 2026 (English: October 2026); "YYYY-MM" too."""
    value = _month_date(value)
    if value is None or isinstance(value, str):
        return DASH if value is None else value
    return django_formats.date_format(value, "F Y").lower() if swedish() else django_formats.date_format(value, "F Y")


def month_short(value: date | str | None) -> str:
    """A month for a chart's axis: okt. 2026 (English: Oct 2026)."""
    value = _month_date(value)
    if value is None or isinstance(value, str):
        return DASH if value is None else value
    text = django_formats.date_format(value, "M Y")
    return text.lower() if swedish() else text
