"""Published monthly statistics: list, municipality overview, administration pages, files.

Pages read the stored snapshot only. A department head sees the overview and the pages and
files of their own administrations; finance staff and the steering group see everything.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from allocation.models import Publication, PublicationFile, PublicationRequest
from allocation.publications.lookup import MonthNotPublished, publication_for
from allocation.publications.publishing import publication_request_create
from allocation.selectors import (
    month_has_own_data,
    months_unpublished,
    publication_requests_in_progress,
    publications_listed,
)
from cases import formats, roles
from cases.models import Administration
from cases.months import parse_year_month
from cases.selectors import administrations_visible_to

logger = logging.getLogger(__name__)


def unpublished_response(request: HttpRequest, month: date) -> HttpResponse:
    """An unpublished month's page (404): says so in the reader's language; finance staff get the
    publish button when the month has data, and the progress when it is already asked for."""
    is_finance = roles.is_finance(request.user)
    outstanding = [r for r in publication_requests_in_progress() if r.month == month]
    return render(
        request,
        "statistics/unpublished.html",
        {
            "month": month,
            "is_finance": is_finance,
            "has_data": is_finance and month_has_own_data(month),
            "outstanding": outstanding,
            "working": any(r.status != PublicationRequest.Status.FAILED for r in outstanding),
        },
        status=404,
    )


@login_required
def publication_list(request: HttpRequest) -> HttpResponse:
    if not roles.may_see_overview(request.user):
        raise PermissionDenied
    publications = publications_listed()
    outstanding = publication_requests_in_progress()
    is_finance = roles.is_finance(request.user)
    return render(
        request,
        "statistics/list.html",
        {
            "publications": publications,
            "administrations": administrations_visible_to(request.user),
            "outstanding": outstanding,
            "working": any(r.status != PublicationRequest.Status.FAILED for r in outstanding),
            # Technical failure text is for finance staff; others get a plain sentence.
            "is_finance": is_finance,
            "unpublished": months_unpublished() if is_finance else [],
        },
    )


@login_required
def publish(request: HttpRequest) -> HttpResponse:
    """Finance staff publish a month, or publish it again (a new version), from the web: the same
    publication request the schedule and `publish_month` use. The list shows its progress."""
    if not roles.is_finance(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    month = parse_year_month(str(request.POST.get("month", "")))
    if month is None:
        messages.error(request, _("Choose a month to publish (YYYY-MM)."))
        return redirect("statistics:list")
    if not month_has_own_data(month):
        messages.error(
            request,
            _("%(month)s has no imported cases: upload the month's case logs before publishing it.")
            % {"month": formats.month(month)},
        )
        return redirect("statistics:list")
    try:
        publication_request_create(month=month, user=request.user, reason=str(_("published from the web")))
    except Exception:
        logger.exception("publishing %s from the web failed", month)
    # In-process tasks (the demo, tests) have published already; with a worker the request waits.
    done = PublicationRequest.objects.filter(month=month).order_by("-pk").first()
    if done is not None and done.status == PublicationRequest.Status.DONE and done.publication is not None:
        messages.success(
            request,
            _("%(month)s is published (version %(version)s).")
            % {"month": formats.month(month), "version": done.publication.version},
        )
        return redirect("statistics:overview", month=f"{month:%Y-%m}")
    messages.info(request, _("Publishing %(month)s: the progress is shown below.") % {"month": formats.month(month)})
    return redirect(reverse("statistics:list") + "#publication-requests")


@login_required
def overview(request: HttpRequest, month: str) -> HttpResponse:
    if not roles.may_see_overview(request.user):
        raise PermissionDenied
    try:
        publication = publication_for(month, request.GET.get("version"), with_figures=False)
    except MonthNotPublished as missing:
        return unpublished_response(request, missing.month)
    # Readers of everything share one cached body; a head's body depends on their own codes.
    if roles.reads_everything(request.user):
        visible: Any = SimpleLazyObject(lambda: set(Administration.objects.values_list("code", flat=True)))
        visible_key = "*"
    else:
        visible = sorted(administrations_visible_to(request.user).values_list("code", flat=True))
        visible_key = ",".join(visible)
    # The snapshot never changes, so the rendered page body is cached (per publication, the
    # set of administrations the reader may open, and language); figures load only on a miss.
    return render(
        request,
        "statistics/overview.html",
        {
            "publication": publication,
            "doc": SimpleLazyObject(lambda: _figures(publication.pk)["overview"]),
            "visible": visible,
            "visible_key": visible_key,
            "versions": Publication.objects.filter(month=publication.month).order_by("version").only("version"),
            "is_finance": roles.is_finance(request.user),
        },
    )


def _figures(pk: int) -> dict[str, Any]:
    return Publication.objects.values_list("figures", flat=True).get(pk=pk)


@login_required
def administration_page(request: HttpRequest, month: str, code: str) -> HttpResponse:
    if not roles.may_see_administration(request.user, code):
        raise PermissionDenied
    try:
        publication = publication_for(month, request.GET.get("version"), with_figures=False)
    except MonthNotPublished as missing:
        return unpublished_response(request, missing.month)
    figures = SimpleLazyObject(lambda: _figures(publication.pk))
    if not Administration.objects.filter(code=code).exists():
        raise Http404

    def admin_doc() -> dict[str, Any]:
        doc = figures["administrations"].get(code)
        if doc is None:  # an administration created after this publication
            raise Http404(_("The administration is not in this publication."))
        return doc

    return render(
        request,
        "statistics/administration.html",
        {
            "publication": publication,
            "code": code,
            "doc": SimpleLazyObject(admin_doc),
            "municipality": SimpleLazyObject(lambda: figures["overview"]["kpis"]),
            "reads_everything": roles.reads_everything(request.user),
        },
    )


@login_required
def publication_file(request: HttpRequest, month: str, version: int, name: str) -> FileResponse:
    if not roles.may_see_overview(request.user):  # before the lookup: a 404 would tell what exists
        raise PermissionDenied
    publication = publication_for(month, str(version))
    f = get_object_or_404(PublicationFile.objects.select_related("administration"), publication=publication, name=name)
    allowed = (
        roles.may_see_administration(request.user, f.administration.code)
        if f.administration
        else roles.may_see_overview(request.user)
    )
    if not allowed:
        raise PermissionDenied
    content_type = (
        "image/svg+xml"
        if name.endswith(".svg")
        else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    response = FileResponse(
        f.file.open("rb"),
        content_type=content_type,
        as_attachment=name.endswith(".xlsx"),
        filename=f"kontaktcenter-{publication.month:%Y-%m}-v{publication.version}-{name}",
    )
    return response
