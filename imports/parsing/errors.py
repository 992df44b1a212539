"""What goes wrong in a file, told as a finance officer reads it: row, column, value, reason."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy


class FileRejected(Exception):
    """The file as a whole cannot be read; the message says why in Swedish."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    reason: str


def describe_error(row: int, column: str, value: str, reason: str) -> str:
    """One error as a finance officer reads it: row, column (Swedish name and file name), value, reason."""
    parts = [_("row %(row)s") % {"row": row}]
    if column:
        label = str(COLUMN_LABELS.get(column, column))
        parts.append(
            _("column %(label)s (%(column)s)") % {"label": label, "column": column}
            if label != column
            else _("column %(column)s") % {"column": column}
        )
    if value:
        shown = value if len(value) <= 40 else value[:37] + "..."
        parts.append(_("value ”%(value)s”") % {"value": shown})
    else:
        parts.append(_("empty value"))
    return ", ".join(parts) + f": {reason}"


# The columns' names in the reader's language (the file's own name is shown beside them).
COLUMN_LABELS = {
    "case_id": pgettext_lazy("column", "case id"),
    "opened_at": pgettext_lazy("column", "opened at"),
    "channel": pgettext_lazy("column", "channel"),
    "grouping": pgettext_lazy("column", "grouping"),
    "handle_seconds": pgettext_lazy("column", "handle time"),
    "wait_seconds": pgettext_lazy("column", "wait time"),
    "resolved_first_contact": pgettext_lazy("column", "resolved at first contact"),
    "forwarded_to": pgettext_lazy("column", "forwarded to"),
    "outcome": pgettext_lazy("column", "outcome"),
    "ended": pgettext_lazy("column", "ended"),
    "month": pgettext_lazy("column", "month"),
    "cases": pgettext_lazy("column", "cases"),
    "administration": pgettext_lazy("column", "administration"),
    "fraction": pgettext_lazy("column", "fraction"),
    "central": pgettext_lazy("column", "central"),
    "valid_from": pgettext_lazy("column", "valid from"),
    "code": pgettext_lazy("column", "code"),
    "name": pgettext_lazy("column", "name"),
}


def columns_phrase(n: int) -> str:
    return _("1 column") if n == 1 else _("%(n)s columns") % {"n": n}


def too_few_columns(n: int, width: int) -> str:
    return _("the row has %(columns)s but the header row has %(width)s; check delimiters and quotation marks") % {
        "columns": columns_phrase(n),
        "width": width,
    }
