"""The administration workbook's sheet "What do we get for our money?", from a publication's
stored figures alone (pure), so the same figures always give the same bytes."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _


def _num(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def benefit_sheet(wb: Any, benefit: dict[str, Any] | None, *, write: Callable[..., Any]) -> None:
    """Month by month of the year up to the published month, the year so far, and in words how
    each figure is computed and what is missing (no transfer, no hour cost). `write` is the
    workbook builder's sheet writer (header, formats, widths)."""
    if not benefit:
        return
    rows = [
        [
            row["month"] or _("The year so far"),
            _num(row["cases"]),
            _num(row["resolved_first"]),
            _num(row["forwarded"]),
            _num(row["hours"]),
            _num(row["kronor"]),
            _num(row["paid"]),
        ]
        for row in [*benefit["months"], benefit["year_to_date"]]
    ]
    ws = write(
        wb,
        _("Benefit"),
        [
            _("Month"),
            _("Cases handled"),
            _("Solved in the first contact"),
            _("Forwarded"),
            _("Relieved hours"),
            _("Relieved (kr)"),
            _("Paid (kr)"),
        ],
        rows,
        {2: "#,##0.0", 3: "#,##0.0", 4: "#,##0.0", 5: "#,##0.0", 6: '#,##0.00 "kr"', 7: '#,##0.00 "kr"'},
    )
    ws.append([])
    ws.append([_("What does the administration get for its money?")])
    if benefit["hour_cost"] is None:
        ws.append([_("No cost per case-officer hour is stated for the year: relieved time is in hours only.")])
    else:
        ws.append([_("Cost per case-officer hour (kr)"), _num(benefit["hour_cost"])])
    if not benefit["transfers"]:
        ws.append(
            [_("No grouping of the administration is registered as transferred: no time is counted as relieved.")]
        )
    else:
        ws.append([_("Transferred groupings counted"), benefit["transfers"]])
    for text in (
        _("Cases: the cases the contact centre handled in the administration's groupings (shared groupings by part)."),
        _(
            "Relieved hours: cases solved in the first contact in groupings transferred in or before the month × the "
            "minutes per case before the transfer ÷ 60."
        ),
        _("Relieved (kr): relieved hours × the cost per hour, rounded to the öre per month; paid: the charging runs."),
    ):
        ws.append([text])
