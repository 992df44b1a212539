"""Reads of the organisation and the case volumes."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from cases.models import Administration, GroupingMapEntry, GroupingMapVersion


def grouping_map_in_force(*, on: date) -> GroupingMapVersion | None:
    """The non-draft map version whose validity has begun on `on` (the latest such)."""
    return GroupingMapVersion.objects.filter(is_draft=False, valid_from__lte=on).order_by("-valid_from").first()


def grouping_map_entries(*, version: GroupingMapVersion) -> QuerySet[GroupingMapEntry]:
    return version.entries.select_related("grouping", "administration").order_by("grouping__code")


def administrations_visible_to(user) -> QuerySet[Administration]:  # type: ignore[no-untyped-def]
    """Finance staff and the steering group see every administration; a head sees their own."""
    from cases.roles import reads_everything

    if reads_everything(user):
        return Administration.objects.all()
    return Administration.objects.filter(heads=user)
