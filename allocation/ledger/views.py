"""Finance pages of the ledger side: year-end settlements (propose, decide, vouchers) and next
year's budget frames per administration."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.amounts import AmountError, parse_amount
from allocation.frames.adjustments import co_financing_amounts
from allocation.ledger.journal import FORMATS
from allocation.ledger.settlements import (
    settlement_create,
    settlement_decide,
    settlement_decision_refusal,
    settlement_post,
    settlement_postings,
)
from allocation.models import CostPool, Settlement
from allocation.selectors import co_financing_pools, settlements_listed
from cases import roles
from cases.selectors import administration_names

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def settlement_list(request: HttpRequest) -> HttpResponse:
    roles.require_reader(request)
    error = ""
    if request.method == "POST":
        if not roles.is_finance(request.user):
            raise PermissionDenied
        pool = CostPool.objects.filter(pk=request.POST.get("pool") or 0, is_co_financing=True).first()
        try:
            raw = (request.POST.get("tolerance") or "0").strip()
            tolerance = parse_amount(raw) if raw else Decimal(0)
            if pool is None:
                raise ValidationError(_("Choose the year's co-financing pool."))
            settlement = settlement_create(
                pool=pool,
                tolerance_pp=tolerance,
                user=request.user,
                missing_months_confirmed=request.POST.get("missing_months_confirmed") == "1",
            )
        except (ValidationError, AmountError) as exc:
            error = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        else:
            messages.success(request, _("Settlement #%(id)s is computed as a draft.") % {"id": settlement.pk})
            return HttpResponseRedirect(reverse("allocation:settlement-detail", args=[settlement.pk]))
    return render(
        request,
        "allocation/settlement_list.html",
        {
            "settlements": settlements_listed(),
            "pools": co_financing_pools(),
            "is_finance": roles.is_finance(request.user),
            "error": error,
        },
    )


def _settlement_workbook(settlement: Settlement) -> bytes:
    from openpyxl import Workbook

    from allocation.publications.workbooks import write_sheet
    from cases.spreadsheet import workbook_bytes

    wb = Workbook()
    wb.remove(wb.active)
    write_sheet(
        wb,
        _("Settlement"),
        [
            _("Code"),
            _("Administration"),
            _("Charged (kr)"),
            _("By measured volume (kr)"),
            _("Share in the key (%)"),
            _("Measured share (%)"),
            _("Settlement (kr)"),
        ],
        [
            [
                line.administration.code,
                line.administration.name,
                float(line.charged),
                float(line.measured),
                float(line.key_percent),
                float(line.measured_percent),
                float(line.amount),
            ]
            for line in settlement.lines.select_related("administration")
        ],
        {3: '#,##0.00 "kr"', 4: '#,##0.00 "kr"', 5: "0.00", 6: "0.00", 7: '#,##0.00 "kr"'},
    )
    return workbook_bytes(wb, stamp=settlement.created_at)


@login_required
def settlement_detail(request: HttpRequest, settlement_id: int) -> HttpResponse:
    roles.require_reader(request)
    settlement = get_object_or_404(Settlement.objects.select_related("pool", "run"), pk=settlement_id)
    if request.method == "POST" and request.POST.get("post"):
        if not roles.is_finance(request.user):
            raise PermissionDenied
        try:
            posted = settlement_post(settlement=settlement, fmt=request.POST.get("post", ""), user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if posted.posting is None:
                messages.info(request, _("Nothing to post: the ledger already holds this settlement."))
            else:
                messages.success(
                    request,
                    _("Posting #%(posting)s: the settlement is handed to the ledger.") % {"posting": posted.posting},
                )
        return HttpResponseRedirect(reverse("allocation:settlement-detail", args=[settlement.pk]))
    if request.method == "POST":
        try:
            settlement_decide(
                settlement=settlement,
                status=request.POST.get("status", ""),
                user=request.user,
                comment=request.POST.get("comment", "")[:2000],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("allocation:settlement-detail", args=[settlement.pk]))
    fmt = request.GET.get("format", "")
    if fmt == "workbook":
        response = HttpResponse(_settlement_workbook(settlement), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="avrakning-{settlement.pk}.xlsx"'
        return response
    if fmt:
        if fmt not in FORMATS or not roles.is_finance(request.user):
            raise Http404
        try:
            posted = settlement_postings(settlement=settlement, fmt=fmt)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(reverse("allocation:settlement-detail", args=[settlement.pk]))
        response = HttpResponse(posted.content, content_type=posted.content_type)
        response["Content-Disposition"] = f'attachment; filename="{posted.filename}"'
        return response
    lines = list(settlement.lines.select_related("administration"))
    return render(
        request,
        "allocation/settlement_detail.html",
        {
            "settlement": settlement,
            "lines": lines,
            "total": sum((line.amount for line in lines), Decimal(0)),
            "decisions": settlement.decisions.order_by("at", "id"),
            "postings": settlement.postings.order_by("posted_at", "id"),
            "can_propose": settlement.status == "draft"
            and settlement_decision_refusal(settlement=settlement, status="proposed", user=request.user) is None,
            "can_decide": settlement.status == "proposed"
            and settlement_decision_refusal(settlement=settlement, status="approved", user=request.user) is None,
            "is_finance": roles.is_finance(request.user),
        },
    )


@login_required
def budget_frames(request: HttpRequest) -> HttpResponse:
    """Next year's frame (ram) per administration from its co-financing pool and approved key,
    beside this year's charge, with the change in kronor and percent, as a page and a workbook."""
    roles.require_reader(request)
    raw = request.GET.get("year", "")
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else timezone.localdate().year + 1
    # The same amounts the frame adjustment and the comparison of models read (allocation.frames).
    next_pool, next_amounts, next_note = co_financing_amounts(year)
    this_pool, this_amounts, this_note = co_financing_amounts(year - 1)
    names = administration_names()
    rows = []
    for code in sorted(set(next_amounts or {}) | set(this_amounts or {})):
        new = (next_amounts or {}).get(code)
        old = (this_amounts or {}).get(code)
        change = new - old if new is not None and old is not None else None
        percent = (change * 100 / old).quantize(Decimal("0.1")) if change is not None and old else None
        rows.append((code, names.get(code, ""), old, new, change, percent))
    if request.GET.get("format") == "xlsx":
        from openpyxl import Workbook

        from allocation.publications.workbooks import write_sheet
        from cases.spreadsheet import workbook_bytes

        wb = Workbook()
        wb.remove(wb.active)
        write_sheet(
            wb,
            _("Budget frames %(year)s") % {"year": year},
            [
                _("Code"),
                _("Administration"),
                _("Charged %(year)s (kr)") % {"year": year - 1},
                _("Frame %(year)s (kr)") % {"year": year},
                _("Change (kr)"),
                _("Change (%)"),
            ],
            [[c, n, _f(o), _f(nw), _f(ch), _f(p)] for c, n, o, nw, ch, p in rows],
            {3: '#,##0.00 "kr"', 4: '#,##0.00 "kr"', 5: '#,##0.00 "kr"', 6: "0.0"},
        )
        stamp = next_pool.created_at if next_pool is not None and hasattr(next_pool, "created_at") else timezone.now()
        response = HttpResponse(workbook_bytes(wb, stamp=stamp), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="budgetramar-{year}.xlsx"'
        return response
    return render(
        request,
        "allocation/budget_frames.html",
        {
            "year": year,
            "rows": rows,
            "next_pool": next_pool,
            "this_pool": this_pool,
            "next_note": next_note,
            "this_note": this_note,
            "total_old": sum((r[2] for r in rows if r[2] is not None), Decimal(0)),
            "total_new": sum((r[3] for r in rows if r[3] is not None), Decimal(0)),
        },
    )


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
