"""The forecast page (finance staff and the steering group read; finance staff set the
digitalisation assumptions). Labelled as a forecast everywhere: it is never charged."""

from __future__ import annotations

import base64
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allocation.forecast.assumptions import digitalisation_assumption_delete, digitalisation_assumption_save
from allocation.forecast.chart import forecast_chart
from allocation.forecast.explain import caveats, method_words, range_words
from allocation.forecast.inputs import default_year, forecast_for_year
from allocation.models import DigitalisationAssumption
from cases import roles
from cases.models import Grouping

FIRST_YEAR, LAST_YEAR = 2000, 2100


class AssumptionForm(forms.Form):
    grouping = forms.ModelChoiceField(queryset=Grouping.objects.order_by("code"), label=gettext_lazy("Grouping"))
    percent = forms.DecimalField(
        label=gettext_lazy("Share moving to self-service (%)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
    )
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


@login_required
def forecast_default(request: HttpRequest) -> HttpResponse:
    roles.require_reader(request)
    return HttpResponseRedirect(reverse("allocation:forecast", args=[default_year()]))


@login_required
def forecast_page(request: HttpRequest, year: int) -> HttpResponse:
    roles.require_reader(request)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return HttpResponseRedirect(reverse("allocation:forecast-default"))
    context = forecast_for_year(year=year)
    forecast = context.forecast
    chart = forecast_chart(forecast)
    rows = [
        {
            "code": a.code,
            "name": context.names.get(a.code, ""),
            "percent": a.percent,
            "low": a.share_low,
            "high": a.share_high,
            "amount": a.amount,
            "amount_low": a.amount_low,
            "amount_high": a.amount_high,
        }
        for a in forecast.administrations
    ]
    is_finance = roles.is_finance(request.user)
    return render(
        request,
        "allocation/forecast.html",
        {
            "year": year,
            "forecast": forecast,
            "rows": rows,
            "pool": context.pool if context.amount_refusal is None else None,
            "amount_refusal": context.amount_refusal,
            "pool_is_this_years": context.pool_is_this_years,
            "method": method_words(forecast),
            "range": range_words(),
            "caveats": caveats(forecast, from_reference=context.transfers_from_reference),
            "chart": ("data:image/png;base64," + base64.b64encode(chart).decode()) if chart else None,
            "assumptions": DigitalisationAssumption.objects.filter(year=year).select_related("grouping"),
            "form": AssumptionForm() if is_finance else None,
            "is_finance": is_finance,
        },
    )


@login_required
def forecast_assumption(request: HttpRequest, year: int) -> HttpResponse:
    """POST only (finance staff): set or remove a digitalisation assumption of the year."""
    roles.require_finance(request)
    page = reverse("allocation:forecast", args=[year])
    if request.method != "POST":
        return HttpResponseRedirect(page)
    if request.POST.get("delete"):
        wanted = request.POST["delete"]
        if not (wanted.isdigit() and len(wanted) < 12):  # an id, never a 500 for a bad one
            raise Http404
        assumption = get_object_or_404(DigitalisationAssumption, pk=int(wanted), year=year)
        digitalisation_assumption_delete(assumption=assumption, user=request.user)
        messages.success(request, _("The assumption is removed."))
        return HttpResponseRedirect(page)
    form = AssumptionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return HttpResponseRedirect(page)
    digitalisation_assumption_save(
        grouping=form.cleaned_data["grouping"],
        year=year,
        percent=form.cleaned_data["percent"],
        comment=form.cleaned_data["comment"],
        user=request.user,
    )
    messages.success(request, _("The assumption is saved; the forecast below counts it."))
    return HttpResponseRedirect(page)
