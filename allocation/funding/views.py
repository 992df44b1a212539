"""Funding pages: funding by source and year beside the co-financing (table and chart), a source
with its amounts per year (finance staff edit it), and the switchboard's extension registers with
the upload of a year's list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from allocation.funding.charts import funding_chart_png
from allocation.funding.extensions import extension_counts, extension_register_import
from allocation.funding.forms import ExtensionListForm, FundingSourceForm
from allocation.funding.sources import funding_overview, funding_source_save
from allocation.models import ExtensionRegister, FundingSource
from cases import roles
from cases.selectors import administration_names


def _save_source(request: HttpRequest, form: FundingSourceForm, source: FundingSource) -> FundingSource | None:
    data = form.cleaned_data
    source.name, source.description, source.last_year = data["name"], data["description"], data["last_year"]
    try:
        return funding_source_save(source=source, user=request.user, amounts=data["amounts"])
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return None


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Funding by source and year beside the co-financing pools' net amounts; finance staff add a source."""
    roles.require_reader(request)
    form = FundingSourceForm(request.POST or None) if roles.is_finance(request.user) else None
    if request.method == "POST":
        roles.require_finance(request)
        assert form is not None
        if form.is_valid() and (source := _save_source(request, form, FundingSource())) is not None:
            messages.success(request, _("The funding source %(name)s is registered.") % {"name": source.name})
            return HttpResponseRedirect(reverse("allocation:funding:overview"))
    data = funding_overview()
    return render(
        request,
        "funding/overview.html",
        {
            "overview": data,
            "rows": [(y, list(zip(data.sources, y.by_source, strict=True))) for y in data.years],
            "form": form,
        },
    )


@login_required
def chart(request: HttpRequest) -> HttpResponse:
    roles.require_reader(request)
    return HttpResponse(funding_chart_png(funding_overview()), content_type="image/png")


@login_required
def source_detail(request: HttpRequest, source_id: int) -> HttpResponse:
    roles.require_reader(request)
    source = get_object_or_404(FundingSource, pk=source_id)
    is_finance = roles.is_finance(request.user)
    form = FundingSourceForm(initial=FundingSourceForm.initial_for(source)) if is_finance else None
    if request.method == "POST":
        roles.require_finance(request)
        form = FundingSourceForm(request.POST)
        if form.is_valid() and _save_source(request, form, source) is not None:
            messages.success(request, _("The funding source %(name)s is saved.") % {"name": source.name})
            return HttpResponseRedirect(reverse("allocation:funding:source", args=[source.pk]))
    return render(
        request,
        "funding/source_detail.html",
        {
            "source": source,
            "amounts": source.amounts.order_by("year"),
            "lines": source.lines.select_related("pool").order_by("-pool__year", "pool__name"),
            "form": form,
        },
    )


@login_required
def extensions(request: HttpRequest) -> HttpResponse:
    """The yearly extension registers with their counts and draft keys; finance staff upload a list."""
    roles.require_reader(request)
    form = ExtensionListForm(request.POST or None, request.FILES or None) if roles.is_finance(request.user) else None
    errors: list[str] = []
    if request.method == "POST":
        roles.require_finance(request)
        assert form is not None
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                register = extension_register_import(
                    year=form.cleaned_data["year"], data=upload.read(), filename=upload.name, user=request.user
                )
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(
                    request,
                    _("The extension list for %(year)s is imported; key #%(key)s is a draft to propose.")
                    % {"year": register.year, "key": register.key_id},
                )
                return HttpResponseRedirect(reverse("allocation:funding:extensions"))
    names = administration_names()
    registers = [
        (r, [(code, names.get(code, ""), n) for code, n in extension_counts(r).items()])
        for r in ExtensionRegister.objects.select_related("key").order_by("-year")
    ]
    return render(request, "funding/extensions.html", {"registers": registers, "form": form, "errors": errors})
