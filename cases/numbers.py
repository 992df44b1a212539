"""Numbers people type that are not amounts (fractions of a grouping, a driver key's quantities):
one bounded parser, as allocation.amounts is for kronor, so no value can make Decimal arithmetic
slow ("1e-999999" took 50 s) or undefined ("sNaN", "Infinity"). Pure: no database."""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.translation import gettext as _

# Digits with an optional decimal comma or point; no exponent, no NaN, no thousands separator
# other than spaces (removed before matching). 13 digits hold 10^12, the largest amount too.
INTEGER_DIGITS = 13
DECIMALS = 6
_NUMBER = re.compile(rf"^(-?)(\d{{1,{INTEGER_DIGITS}}})(?:[.,](\d{{1,{DECIMALS}}}))?$")
_SPACES = str.maketrans("", "", " \u00a0\u202f\t")


class NumberError(ValueError):
    """Not a plain decimal number within the bounds; the message says what to write."""


def parse_number(raw: object) -> Decimal:
    """'120', '0,4', '1 250.5', '-3' → Decimal; an exponent, NaN, Infinity, more than
    INTEGER_DIGITS digits before or DECIMALS after the decimal sign raise NumberError."""
    if isinstance(raw, Decimal):
        exponent = raw.as_tuple().exponent
        # format "f" writes every digit of 1E-999999: only a sane exponent is written out
        text = format(raw, "f") if isinstance(exponent, int) and abs(exponent) <= 2 * DECIMALS else str(raw)
    elif isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
    elif isinstance(raw, str):
        text = raw.translate(_SPACES)
    else:
        text = str(raw)
    match = _NUMBER.match(text) if len(text) <= INTEGER_DIGITS + DECIMALS + 2 else None
    if match is None:
        raise NumberError(
            _(
                "%(value)r is not a number this service accepts: write digits with at most %(decimals)s "
                "decimals and %(digits)s digits before the decimal sign, e.g. 120 or 0,25 (no exponent)."
            )
            % {"value": str(raw)[:40], "decimals": DECIMALS, "digits": INTEGER_DIGITS}
        )
    sign, whole, fraction = match.groups()
    return Decimal(f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}")
