"""Validators for the fields that reach a ledger file (DESIGN §7 `export_postings`): names and
texts without control characters, cost centres and accounts in the formats a ledger accepts.
The SIE writer cleans every field again whatever the database holds (allocation.ledger.postings)."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# Control characters (CR, LF, tab, …) would let a name start a record of its own in a ledger file.
no_control_characters = RegexValidator(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029]",
    inverse_match=True,
    message=_("Line breaks, tabs and other control characters are not allowed here."),
    code="control_characters",
)
cost_centre_format = RegexValidator(
    r"\A[0-9A-Za-z][0-9A-Za-z._-]{0,39}\Z",
    message=_("A cost centre is letters and digits (and . _ -), without spaces, e.g. 3100."),
    code="cost_centre",
)
account_format = RegexValidator(r"\A[0-9]{4,6}\Z", message=_("An account is 4–6 digits, e.g. 7691."), code="account")
series_format = RegexValidator(
    r"\A[0-9A-Za-z]{1,10}\Z", message=_("A voucher series is letters and digits, e.g. I."), code="series"
)
