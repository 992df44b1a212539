"""Amounts in kronor as people and programs write them: one parser for every path (pages, API,
commands), so a value that one path accepts another cannot refuse, and no value can make the
arithmetic slow ("1e999999") or undefined (NaN, Infinity). Pure: no database."""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.translation import gettext as _

from allocation.calculation import round_kronor

# The largest amount any pool, funding line or comparison may hold: far above a municipality's
# budget, far below what makes Decimal arithmetic slow.
AMOUNT_MAX = Decimal(10) ** 12
# Digits with an optional decimal comma or point and at most two decimals (öre). No exponent,
# no sign, no thousands separator other than spaces (removed before matching).
_AMOUNT = re.compile(r"^(\d{1,13})(?:[.,](\d{1,2}))?$")
_SPACES = str.maketrans("", "", " \u00a0\u202f\t")


class AmountError(ValueError):
    """Not an amount in kronor; the message says what to write instead."""


def parse_amount(raw: object) -> Decimal:
    """'14 550 000,00', '14550000.00', '12' → Decimal; anything else raises AmountError."""
    if isinstance(raw, Decimal):
        text = format(raw, "f") if raw.is_finite() else str(raw)
    elif isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
    elif isinstance(raw, str):
        text = raw.translate(_SPACES)
    else:
        raise AmountError(_("%(value)r is not an amount; write kronor, e.g. 14 550 000,00.") % {"value": raw})
    shown = str(raw)[:40]
    match = _AMOUNT.match(text) if len(text) <= 20 else None
    if match is None:
        raise AmountError(
            _("%(value)r is not an amount: write kronor with at most two decimals, e.g. 14 550 000,00 or 14550000.00.")
            % {"value": shown}
        )
    value = Decimal(f"{match.group(1)}.{match.group(2) or '0'}")
    if value > AMOUNT_MAX:
        raise AmountError(
            _("%(value)r is greater than the largest amount allowed, 1 000 000 000 000 kr.") % {"value": shown}
        )
    # Exact already (at most two decimals): the rounding only writes the amount in öre (12 → 12.00).
    return round_kronor(value)
