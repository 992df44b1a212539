"""Frame-adjustment pages: the three models side by side for a year (with the button that makes a
frame-adjustment run), and a run's budget-frame changes as a page and a workbook."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.frames.adjustments import adjustment_changes, frame_adjustment_create
from allocation.frames.comparison import model_meanings, models_compared
from allocation.models import FrameAdjustment
from cases import roles
from cases.selectors import administration_names

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else timezone.localdate().year


@login_required
def comparison(request: HttpRequest) -> HttpResponse:
    roles.require_reader(request)
    year = _year(request)
    compared = models_compared(year)
    return render(
        request,
        "frames/comparison.html",
        {
            "year": year,
            "compared": compared,
            "meanings": model_meanings(),
            "totals": {f: compared.total(f) for f in ("co_financing", "buy_and_sell", "frame_change")},
            "adjustments": FrameAdjustment.objects.filter(year=year).order_by("-created_at", "-id"),
            "is_finance": roles.is_finance(request.user),
        },
    )


@login_required
def adjustment_create(request: HttpRequest) -> HttpResponse:
    """POST only (finance): a frame-adjustment run of the year; a GET goes to the page with the button."""
    roles.require_finance(request)
    raw = request.POST.get("year", "") if request.method == "POST" else request.GET.get("year", "")
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else timezone.localdate().year
    back = reverse("allocation:frames:comparison") + f"?year={year}"
    if request.method != "POST":
        return HttpResponseRedirect(back)
    try:
        adjustment = frame_adjustment_create(year=year, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(back)
    messages.success(request, _("Frame adjustment #%(id)s is made.") % {"id": adjustment.pk})
    return HttpResponseRedirect(reverse("allocation:frames:adjustment", args=[adjustment.pk]))


@login_required
def adjustment_detail(request: HttpRequest, adjustment_id: int) -> HttpResponse:
    roles.require_reader(request)
    adjustment = get_object_or_404(FrameAdjustment.objects.select_related("pool", "key"), pk=adjustment_id)
    centre, changes = adjustment_changes(adjustment)
    names = administration_names()
    rows = [(code, names.get(code, ""), change) for code, change in sorted(changes.items())]
    if request.GET.get("format") == "xlsx":
        return _workbook(adjustment, centre, rows)
    return render(
        request,
        "frames/adjustment_detail.html",
        {
            "adjustment": adjustment,
            "centre": centre,
            "rows": rows,
            "total": centre + sum((c for _c, _n, c in rows), Decimal(0)),
        },
    )


def _workbook(adjustment: FrameAdjustment, centre: Decimal, rows: list[tuple[str, str, Decimal]]) -> HttpResponse:
    from openpyxl import Workbook

    from allocation.publications.workbooks import KR as KRONOR_FORMAT
    from allocation.publications.workbooks import write_sheet
    from cases.spreadsheet import workbook_bytes

    wb = Workbook()
    wb.remove(wb.active)
    # Amounts go in as the Decimals they are (openpyxl writes them as numbers, digit for digit).
    body: list[list[object]] = [[_("Contact centre"), _("Contact centre"), centre]]
    body += [[code, name, change] for code, name, change in rows]
    body.append([_("Total"), "", centre + sum((c for _c, _n, c in rows), Decimal(0))])
    write_sheet(
        wb,
        _("Frame adjustment %(year)s") % {"year": adjustment.year},
        [_("Code"), _("Administration"), _("Change of budget frame (kr)")],
        body,
        {3: KRONOR_FORMAT},
    )
    inputs = adjustment.inputs
    facts: list[list[object]] = [
        [_("Budget year"), adjustment.year],
        [_("Cost pool"), str(adjustment.pool)],
        [_("Key"), f"#{inputs.get('key')}"],
        [_("Gross cost (kr)"), Decimal(inputs.get("gross_amount", "0"))],
    ]
    facts += [
        [_("Central funding: %(label)s") % {"label": label}, Decimal(a)] for label, a in inputs.get("funding", [])
    ]
    facts += [
        [_("Net amount (kr)"), adjustment.net_amount],
        [_("Note"), _("Budget-frame changes, not internal charges: never posted to the ledger.")],
    ]
    sheet = write_sheet(wb, _("Inputs"), [_("What"), _("Value")], facts, {})
    for (cell,) in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        if isinstance(cell.value, Decimal):
            cell.number_format = KRONOR_FORMAT
    response = HttpResponse(workbook_bytes(wb, stamp=adjustment.created_at), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="ramjustering-{adjustment.year}-{adjustment.pk}.xlsx"'
    return response
