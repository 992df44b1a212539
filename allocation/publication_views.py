"""Published monthly statistics: list, municipality overview, administration pages, files.

Pages read the stored snapshot only. A department head sees the overview and the pages and
files of their own administrations; finance staff and the steering group see everything.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from allocation.models import Publication, PublicationFile, PublicationRequest
from cases import roles
from cases.models import Administration
from cases.months import parse_year_month
from cases.selectors import administrations_visible_to


def may_see_administration(user: Any, code: str) -> bool:
    return roles.reads_everything(user) or administrations_visible_to(user).filter(code=code).exists()


def may_see_overview(user: Any) -> bool:
    return roles.reads_everything(user) or roles.is_department_head(user)


def publication_for(month: str, version: str | None, *, with_figures: bool = True) -> Publication:
    first = parse_year_month(month)
    if first is None:
        raise Http404
    qs = Publication.objects.filter(month=first)
    if not with_figures:
        qs = qs.defer("figures")
    if version is not None and not (version.isdigit() and len(version) < 10):
        raise Http404(_("No such version."))
    if version:
        return get_object_or_404(qs, version=version)
    publication = qs.order_by("-version").first()
    if publication is None:
        raise Http404(_("The month is not published."))
    return publication


@login_required
def publication_list(request: HttpRequest) -> HttpResponse:
    if not may_see_overview(request.user):
        raise PermissionDenied
    publications = Publication.objects.order_by("-month", "-version")
    # Work in progress, and failures of the last two weeks, so nobody wonders where a month is.
    outstanding = list(
        PublicationRequest.objects.filter(
            status__in=[PublicationRequest.Status.PENDING, PublicationRequest.Status.RUNNING]
        ).order_by("month")
    ) + list(
        PublicationRequest.objects.filter(
            status=PublicationRequest.Status.FAILED, requested_at__gte=timezone.now() - timedelta(days=14)
        ).order_by("month")
    )
    return render(
        request,
        "statistics/list.html",
        {
            "publications": publications,
            "administrations": administrations_visible_to(request.user),
            "outstanding": outstanding,
            "working": any(r.status != PublicationRequest.Status.FAILED for r in outstanding),
            # Technical failure text is for finance staff; others get a plain sentence.
            "is_finance": roles.is_finance(request.user),
        },
    )


@login_required
def overview(request: HttpRequest, month: str) -> HttpResponse:
    if not may_see_overview(request.user):
        raise PermissionDenied
    publication = publication_for(month, request.GET.get("version"), with_figures=False)
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
        },
    )


def _figures(pk: int) -> dict[str, Any]:
    return Publication.objects.values_list("figures", flat=True).get(pk=pk)  # type: ignore[return-value]


@login_required
def administration_page(request: HttpRequest, month: str, code: str) -> HttpResponse:
    if not may_see_administration(request.user, code):
        raise PermissionDenied
    publication = publication_for(month, request.GET.get("version"), with_figures=False)
    figures = SimpleLazyObject(lambda: _figures(publication.pk))
    if not Administration.objects.filter(code=code).exists():
        raise Http404

    def admin_doc() -> dict[str, Any]:
        doc = figures["administrations"].get(code)
        if doc is None:  # an administration created after this publication
            raise Http404(_("The administration is not in this publication."))
        return doc  # type: ignore[no-any-return]

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
    if not may_see_overview(request.user):  # before the lookup: a 404 would tell what exists
        raise PermissionDenied
    publication = publication_for(month, str(version))
    f = get_object_or_404(PublicationFile.objects.select_related("administration"), publication=publication, name=name)
    allowed = (
        may_see_administration(request.user, f.administration.code)
        if f.administration
        else may_see_overview(request.user)
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
