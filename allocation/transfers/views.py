"""The transfer register (finance staff edit; the steering group reads; a department head reads
their own administrations' rows) and "What does the administration get for its money?" for the
municipality and for one administration."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.models import GroupingTransfer
from allocation.transfers.files import MAX_BYTES
from allocation.transfers.forms import HourCostForm, TransferFileForm, TransferForm
from allocation.transfers.register import (
    TransferImportRefused,
    grouping_transfer_delete,
    grouping_transfer_save,
    hour_cost_save,
    transfers_import,
)
from allocation.transfers.selectors import hour_costs_listed, transfer_lines, year_benefit
from cases import formats, roles
from cases.models import Administration
from cases.selectors import administrations_visible_to


def _year(request: HttpRequest) -> int:
    text = str(request.GET.get("year", ""))
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else timezone.localdate().year


@login_required
def transfer_register(request: HttpRequest) -> HttpResponse:
    if not roles.may_see_overview(request.user):
        raise PermissionDenied
    restricted = None if roles.reads_everything(request.user) else request.user
    return render(
        request,
        "allocation/transfers/register.html",
        {
            "lines": transfer_lines(user=restricted),
            "hour_costs": hour_costs_listed(user=restricted),
            "is_finance": roles.is_finance(request.user),
            "today": timezone.localdate(),
        },
    )


def _transfer_form_page(request: HttpRequest, transfer: GroupingTransfer) -> HttpResponse:
    roles.require_finance(request)
    form = TransferForm(request.POST or None, instance=transfer)
    if request.method == "POST" and form.is_valid():
        try:
            grouping_transfer_save(transfer=form.instance, user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("The transfer of %(grouping)s is saved.") % {"grouping": transfer.grouping.code}
            )
            return redirect("allocation:transfer-register")
    return render(request, "allocation/transfers/transfer_form.html", {"form": form, "transfer": transfer})


@login_required
def transfer_new(request: HttpRequest) -> HttpResponse:
    return _transfer_form_page(request, GroupingTransfer())


@login_required
def transfer_edit(request: HttpRequest, transfer_id: int) -> HttpResponse:
    roles.require_finance(request)
    return _transfer_form_page(request, get_object_or_404(GroupingTransfer, pk=transfer_id))


@login_required
def transfer_delete(request: HttpRequest, transfer_id: int) -> HttpResponse:
    """POST only (the button is on the transfer's page, where a GET goes)."""
    roles.require_finance(request)
    transfer = get_object_or_404(GroupingTransfer.objects.select_related("grouping"), pk=transfer_id)
    if request.method != "POST":
        return redirect("allocation:transfer-edit", transfer_id=transfer.pk)
    code = transfer.grouping.code
    grouping_transfer_delete(transfer=transfer, user=request.user)
    messages.success(request, _("The transfer of %(grouping)s is deleted.") % {"grouping": code})
    return redirect("allocation:transfer-register")


@login_required
def transfer_import(request: HttpRequest) -> HttpResponse:
    roles.require_finance(request)
    form = TransferFileForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            # One byte past the bound is enough for the reader to refuse a file that is too large.
            data = form.cleaned_data["file"].read(MAX_BYTES + 1)
            result = transfers_import(data=data, user=request.user)
        except TransferImportRefused as refused:
            errors = refused.errors
        else:
            messages.success(
                request,
                _("The file is loaded: %(created)s new, %(changed)s changed and %(unchanged)s unchanged transfers.")
                % {"created": result.created, "changed": result.changed, "unchanged": result.unchanged},
            )
            return redirect("allocation:transfer-register")
    return render(
        request, "allocation/transfers/import.html", {"form": form, "errors": errors[:200], "count": len(errors)}
    )


@login_required
def hour_cost_edit(request: HttpRequest) -> HttpResponse:
    roles.require_finance(request)
    initial: dict[str, Any] = {"year": _year(request)}
    code = str(request.GET.get("administration", ""))
    administration = Administration.objects.filter(code=code).first()
    if administration is not None:
        initial["administration"] = administration
        stored = administration.hour_costs.filter(year=initial["year"]).first()
        if stored is not None:
            initial.update(cost_per_hour=formats.number(stored.cost_per_hour, 2), comment=stored.comment)
    form = HourCostForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            hour_cost_save(
                administration=data["administration"],
                year=data["year"],
                cost_per_hour=data["cost_per_hour"],
                comment=data["comment"],
                user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("The hour cost of %(code)s for %(year)s is saved.")
                % {"code": data["administration"].code, "year": data["year"]},
            )
            return redirect("allocation:transfer-register")
    return render(request, "allocation/transfers/hour_cost.html", {"form": form})


def _benefit_context(request: HttpRequest, year: int, codes: list[str]) -> dict[str, Any]:
    benefit = year_benefit(year=year, codes=codes)
    return {
        "year": year,
        "years": range(timezone.localdate().year + 1, 2019, -1),
        "benefit": benefit,
        "reads_everything": roles.reads_everything(request.user),
        "is_finance": roles.is_finance(request.user),
    }


@login_required
def benefit_overview(request: HttpRequest) -> HttpResponse:
    """The municipality's benefit by administration; a department head sees the municipality's
    total and their own administrations' rows."""
    if not roles.may_see_overview(request.user):
        raise PermissionDenied
    year = _year(request)
    every = list(Administration.objects.order_by("code").values_list("code", "name"))
    visible = set(administrations_visible_to(request.user).values_list("code", flat=True))
    context = _benefit_context(request, year, [code for code, _name in every])
    benefit = context["benefit"]
    context["administrations"] = [
        (code, name, benefit.total(code), benefit.hour_costs.get(code)) for code, name in every if code in visible
    ]
    context["municipality"] = benefit.total()
    context["by_month"] = [(m, benefit.month_total(m)) for m in benefit.months]
    return render(request, "allocation/transfers/benefit_overview.html", context)


@login_required
def benefit_administration(request: HttpRequest, code: str) -> HttpResponse:
    if not roles.may_see_administration(request.user, code):
        raise PermissionDenied
    administration = get_object_or_404(Administration, code=code)
    year = _year(request)
    context = _benefit_context(request, year, [code])
    benefit = context["benefit"]
    context.update(
        administration=administration,
        rows=benefit.of(code),
        total=benefit.total(code),
        hour_cost=benefit.hour_costs.get(code),
        transfers=[line for line in transfer_lines() if line.transfer.administration_id == administration.pk],
        first_of_year=date(year, 1, 1),
    )
    return render(request, "allocation/transfers/benefit_administration.html", context)
