"""A month's publication as a page or the API asks for it: by "YYYY-MM" and an optional version,
a 404 for what does not exist, and `MonthNotPublished` for a month that parses but has none."""

from __future__ import annotations

from datetime import date

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from allocation.models import Publication
from cases.months import parse_year_month


class MonthNotPublished(Http404):
    """A month that parses but has no publication: the page says so, and offers finance staff
    the action (see `unpublished_response`)."""

    def __init__(self, month: date) -> None:
        super().__init__(_("The month is not published."))
        self.month = month


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
        raise MonthNotPublished(first)
    return publication
