"""What a case and a minute cost in a month: the centre's cost and capacity against the minutes
and cases measured, per grouping too, and beside buying the service (allocation.ledger.capacity)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from allocation.calculation import round_kronor
from allocation.ledger.capacity import capacity
from allocation.models import CentreCost
from cases import roles
from cases.models import Grouping, MonthlyAggregate
from cases.months import parse_year_month
from cases.services import audited_save

COST_FIELDS = [
    "staff",
    "hours_per_person",
    "utilisation",
    "staff_cost",
    "recruitment",
    "training",
    "overhead",
    "price_per_minute",
    "price_per_case",
]


class CentreCostForm(forms.ModelForm):
    class Meta:
        model = CentreCost
        fields = COST_FIELDS


def _measured(month: Any) -> tuple[Decimal, int, list[tuple[str, str, int, Decimal]]]:
    """Minutes used (measured handle time) and handled cases of the month, and per grouping."""
    rows = (
        MonthlyAggregate.objects.filter(month=month, source__is_reference=False)
        .values("grouping__code")
        .annotate(cases=Sum("cases"), seconds=Sum("handle_seconds"), known=Sum("handle_known"))
        .order_by("-cases")
    )
    names = dict(Grouping.objects.values_list("code", "name"))
    minutes = Decimal(0)
    cases = 0
    per_grouping = []
    for r in rows:
        minutes += Decimal(r["seconds"] or 0) / 60
        cases += r["cases"] or 0
        average = (Decimal(r["seconds"]) / r["known"] / 60) if r["known"] else Decimal(0)
        per_grouping.append((r["grouping__code"], names.get(r["grouping__code"], ""), r["cases"], average))
    return minutes, cases, per_grouping


@login_required
def centre_cost(request: HttpRequest) -> HttpResponse:
    if not roles.reads_everything(request.user):
        raise PermissionDenied
    latest = MonthlyAggregate.objects.filter(source__is_reference=False).order_by("-month").first()
    month = parse_year_month(request.GET.get("month", "")) or (latest.month if latest else None)
    if month is None:
        return render(request, "allocation/centre_cost.html", {"empty": True})
    stored = CentreCost.objects.filter(month=month).first()
    form = None
    if roles.is_finance(request.user):
        form = CentreCostForm(request.POST or None, instance=stored or CentreCost(month=month))
        if request.method == "POST" and form.is_valid():
            audited_save(
                form.instance,
                fields=["month", *COST_FIELDS],
                user=request.user,
                action="centre_cost",
                obj_type="centre_cost",
            )
            messages.success(request, _("The cost for %(month)s is saved.") % {"month": f"{month:%Y-%m}"})
            return HttpResponseRedirect(reverse("allocation:centre-cost") + f"?month={month:%Y-%m}")
    elif request.method == "POST":
        raise PermissionDenied
    minutes, cases, per_grouping = _measured(month)
    figures = None
    if stored is not None:
        figures = capacity(
            staff=stored.staff,
            hours_per_person=stored.hours_per_person,
            utilisation=stored.utilisation,
            monthly_cost=stored.total,
            minutes_used=minutes,
            cases=cases,
            minutes_per_case=(minutes / cases) if cases else None,
            price_per_minute=stored.price_per_minute,
            price_per_case=stored.price_per_case,
        )
    groupings = []
    if figures is not None and figures.cost_per_used_minute is not None:
        groupings = [
            (code, name, n, average, round_kronor(average * figures.cost_per_used_minute))
            for code, name, n, average in per_grouping[:40]
        ]
    return render(
        request,
        "allocation/centre_cost.html",
        {
            "month": month,
            "form": form,
            "stored": stored,
            "figures": figures,
            "groupings": groupings,
            "minutes": minutes,
            "cases": cases,
        },
    )
