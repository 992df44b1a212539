"""Excel workbooks of a key and of a run: one sheet per view, formatted, figures as on the page."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from allocation.calculation import percentages
from allocation.models import AllocationKey, AllocationRun
from cases import formats
from cases.models import Channel
from cases.spreadsheet import safe_cell, workbook_bytes

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
KR = '#,##0.00 "kr"'
PERCENT = '0.00" %"'
SHARE = "0.000000000000"


def write_sheet(
    wb: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], formats: dict[int, str]
) -> Any:
    """One view as a sheet: bold header row, formula-safe text, number formats by column,
    widths that fit, frozen header and filters. Returns the sheet (for charts)."""
    ws = wb.create_sheet(title)
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    widths = [len(h) for h in header]
    count = 0
    for row in rows:
        count += 1
        values = [safe_cell(v) for v in row]
        ws.append(values)
        for i, v in enumerate(values):
            widths[i] = max(widths[i], min(len(str(v)), 60))
    for col, fmt in formats.items():
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = fmt
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w + 3
    ws.freeze_panes = "A2"
    if count:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"
    return ws


def key_workbook(key: AllocationKey) -> bytes:
    """Shares, loads per grouping and channel, and the inputs needed to reproduce the key."""
    wb = Workbook()
    wb.remove(wb.active)
    shares = list(key.shares.select_related("administration").order_by("administration__code"))
    percent = percentages({s.administration.code: s.load for s in shares}) if any(s.load for s in shares) else {}
    write_sheet(
        wb,
        _("Shares"),
        [_("Administration"), _("Name"), _("Load"), _("Share"), _("Percent")],
        [
            [s.administration.code, s.administration.name, s.load, s.share, percent.get(s.administration.code)]
            for s in shares
        ],
        {3: "#,##0.00", 4: SHARE, 5: PERCENT},
    )
    lines = key.lines.select_related("grouping", "administration").order_by("grouping__code", "channel")
    channel_names = dict(Channel.objects.values_list("code", "name"))  # "Telefon", not the code "phone"
    write_sheet(
        wb,
        _("Load by grouping"),
        [_("Grouping"), _("Name"), _("Channel"), _("Administration"), _("Cases"), _("Load")],
        [
            [
                line.grouping.code,
                line.grouping.name,
                channel_names.get(line.channel, line.channel),
                line.administration.code if line.administration else _("central"),
                line.cases,
                line.load,
            ]
            for line in lines
        ],
        {5: "#,##0.00", 6: "#,##0.00"},
    )
    inputs: list[list[Any]] = [
        [_("Key"), f"#{key.pk} {key.name}"],
        [_("Kind"), key.get_kind_display()],
        [_("Basis"), key.get_basis_display() if key.basis else "–"],
        [
            _("Period"),
            f"{formats.month(key.window_from)}–{formats.month(key.window_to)}"
            if key.window_from and key.window_to
            else "–",
        ],
        [_("Valid from"), key.valid_from.isoformat()],
        [_("Grouping map"), str(key.map_version) if key.map_version else "–"],
        [_("Sources"), ", ".join(key.sources)],
        [
            _("Channel weights"),
            ", ".join(f"{channel_names.get(k, k)} {formats.decimal(v)}" for k, v in key.channel_weights.items()) or "–",
        ],
        [_("Central load (not co-financed)"), key.central_load],
        [_("Status"), key.get_status_display()],
        *[[_("Warning"), w] for w in key.warnings],
    ]
    write_sheet(wb, _("Inputs"), [_("Item"), _("Value")], inputs, {})
    robust = key.robustness or {}
    if robust.get("leave_one_out"):
        months = sorted(robust["leave_one_out"])
        codes = sorted(robust.get("range", {}))
        unusual = set(robust.get("unusual_months", []))
        write_sheet(
            wb,
            _("Robustness"),
            [_("Month left out"), _("Unusual"), *codes],
            [
                [m, _("yes") if m in unusual else "", *[Decimal(robust["leave_one_out"][m].get(c, "0")) for c in codes]]
                for m in months
            ],
            dict.fromkeys(range(3, 3 + len(codes)), SHARE),
        )
    return workbook_bytes(wb, stamp=key.decided_at or key.created_at)


def run_workbook(run: AllocationRun) -> bytes:
    """The year per administration, the 12 months, and the run's recorded inputs."""
    wb = Workbook()
    wb.remove(wb.active)
    amounts = list(run.amounts.select_related("administration").order_by("administration__code", "month"))
    annual = [a for a in amounts if a.month is None]
    write_sheet(
        wb,
        _("Annual amounts"),
        [_("Administration"), _("Name"), _("Cost centre"), _("Amount")],
        [[a.administration.code, a.administration.name, a.administration.cost_centre, a.amount] for a in annual]
        + [[_("Total"), "", "", sum((a.amount for a in annual), Decimal(0))]],
        {4: KR},
    )
    by_admin: dict[str, dict[int, Decimal]] = {}
    for a in amounts:
        if a.month is not None:
            by_admin.setdefault(a.administration.code, {})[a.month] = a.amount
    write_sheet(
        wb,
        _("Months"),
        [_("Administration"), *[f"{m:02d}" for m in range(1, 13)], _("Year")],
        [
            [code, *[months[m] for m in range(1, 13)], sum(months.values(), Decimal(0))]
            for code, months in by_admin.items()
        ],
        dict.fromkeys(range(2, 15), KR),
    )
    write_sheet(
        wb,
        _("Inputs"),
        [_("Item"), _("Value")],
        [
            [_("Run"), f"#{run.pk}"],
            [
                _("Key"),
                f"#{run.key_id} {run.key.name}"
                if run.key
                else _("price: %(pricing)s %(price)s kr")
                % {"pricing": run.inputs.get("pricing"), "price": run.inputs.get("price")},
            ],
            [_("Pool"), str(run.pool) if run.pool else "–"],
            [_("Gross cost"), Decimal(run.inputs.get("gross_amount", run.net_amount))],
            *[
                [_("Central funding: %(label)s") % {"label": label}, Decimal(amount)]
                for label, amount in run.inputs.get("funding", [])
            ],
            [_("Net amount"), run.net_amount],
            [_("Rounding"), run.get_unit_display()],
            [_("Supersedes run"), f"#{run.supersedes_id}" if run.supersedes_id else "–"],
        ],
        {2: KR},
    )
    return workbook_bytes(wb, stamp=run.created_at)
