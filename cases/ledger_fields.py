"""Validators for the fields that reach a ledger file (DESIGN §7 `export_postings`): names and
texts without control characters, cost centres and accounts in the formats a ledger accepts.
The SIE writer cleans every field again whatever the database holds (allocation.ledger.postings).

Plain functions rather than RegexValidators: the API schema would otherwise publish their
patterns (Python's \\A and \\Z, an inverted match) as if they were JSON Schema patterns."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Control characters (CR, LF, tab, …) would let a name start a record of its own in a ledger file.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
COST_CENTRE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,39}")
ACCOUNT = re.compile(r"[0-9]{4,6}")
SERIES = re.compile(r"[0-9A-Za-z]{1,10}")


def no_control_characters(value: str) -> None:
    if CONTROL.search(value):
        raise ValidationError(
            _("Line breaks, tabs and other control characters are not allowed here."), code="control_characters"
        )


def cost_centre_format(value: str) -> None:
    if value and not COST_CENTRE.fullmatch(value):
        raise ValidationError(
            _("A cost centre is letters and digits (and . _ -), without spaces, e.g. 3100."), code="cost_centre"
        )


def account_format(value: str) -> None:
    if not ACCOUNT.fullmatch(value):
        raise ValidationError(_("An account is 4–6 digits, e.g. 7691."), code="account")


def series_format(value: str) -> None:
    if not SERIES.fullmatch(value):
        raise ValidationError(_("A voucher series is letters and digits, e.g. I."), code="series")
