"""Numbers as the reader writes them: Swedish (1 444 751,93 kr, 4,6 %, 4 min 32 s) in the Swedish
interface, English formats in the English one. One place for every page's figures."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _group(number: Decimal, places: int) -> str:
    swedish = (get_language() or "sv").startswith("sv")
    text = f"{number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,.{places}f}"
    if swedish:
        # Thousands with a (no-break) space, decimals with a comma.
        return text.replace(",", "\u00a0").replace(".", ",")
    return text


@register.filter
def percent(rate: Any, places: int = 1) -> str:
    """A rate (0.0834) as a percentage: 8,3 %."""
    number = _decimal(rate)
    if number is None:
        return "–"
    return f"{_group(number * 100, int(places))}\u00a0%"


@register.filter
def number(value: Any, places: int = 0) -> str:
    """A count or amount with grouped thousands: 14 698 or 656,6."""
    figure = _decimal(value)
    if figure is None:
        return "–"
    return _group(figure, int(places))


@register.filter
def kronor(value: Any) -> str:
    """An amount: 1 444 751,93 kr."""
    figure = _decimal(value)
    if figure is None:
        return "–"
    return f"{_group(figure, 2)}\u00a0kr"


@register.filter
def duration(seconds: Any) -> str:
    """Seconds as minutes and seconds: 4 min 32 s (under a minute: 45 s)."""
    figure = _decimal(seconds)
    if figure is None:
        return "–"
    total = int(figure.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    minutes, rest = divmod(total, 60)
    return f"{minutes}\u00a0min {rest}\u00a0s" if minutes else f"{rest}\u00a0s"


@register.filter
def cases(value: Any) -> str:
    """A case count: whole cases without decimals (14 698), a split grouping's with one (656,6)."""
    figure = _decimal(value)
    if figure is None:
        return "–"
    return _group(figure, 0 if figure == figure.to_integral_value() else 1)


@register.filter
def share(value: Any) -> str:
    """A percentage already in percent (4.62) with two decimals: 4,62 %."""
    figure = _decimal(value)
    if figure is None:
        return "–"
    return f"{_group(figure, 2)}\u00a0%"
