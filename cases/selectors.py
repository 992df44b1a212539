"""Reads of the organisation and the case volumes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from cases.models import Administration, AuditEntry, GroupingMapEntry, GroupingMapVersion


def grouping_map_in_force(*, on: date) -> GroupingMapVersion | None:
    """The non-draft map version whose validity has begun on `on` (the latest such)."""
    return GroupingMapVersion.objects.filter(is_draft=False, valid_from__lte=on).order_by("-valid_from").first()


def grouping_map_entries(*, version: GroupingMapVersion) -> QuerySet[GroupingMapEntry]:
    return version.entries.select_related("grouping", "administration").order_by("grouping__code")


@dataclass(frozen=True)
class MapLine:
    """One owner of a grouping in the map in force: an administration's fraction, or central."""

    administration: str | None
    fraction: Decimal
    central: bool
    since: date


def grouping_map_on(*, on: date, draft: GroupingMapVersion | None = None) -> dict[str, list[MapLine]]:
    """The map in force on `on`: for every grouping its newest non-draft rows with valid_from on
    or before that date (per-grouping effective dating, DESIGN.md §4). Ended groupings are left
    out. A draft's rows, if given, are laid over it (a what-if, or a change being previewed)."""
    rows = (
        GroupingMapEntry.objects.filter(version__is_draft=False, version__valid_from__lte=on)
        .order_by("version__valid_from", "id")
        .values_list(
            "grouping__code", "administration__code", "fraction", "is_central", "is_ended", "version__valid_from"
        )
    )
    newest: dict[str, tuple[date, list[tuple[str | None, Decimal, bool, bool]]]] = {}
    for grouping, admin, fraction, central, ended, since in rows:
        if grouping not in newest or newest[grouping][0] != since:
            newest[grouping] = (since, [])
        newest[grouping][1].append((admin, fraction, central, ended))
    if draft is not None:
        overlay: dict[str, list[tuple[str | None, Decimal, bool, bool]]] = {}
        for grouping, admin, fraction, central, ended in draft.entries.values_list(
            "grouping__code", "administration__code", "fraction", "is_central", "is_ended"
        ):
            overlay.setdefault(grouping, []).append((admin, fraction, central, ended))
        for grouping, lines in overlay.items():
            newest[grouping] = (draft.valid_from, lines)
    return {
        grouping: [MapLine(None if c else a, f, c, since) for a, f, c, _e in lines]
        for grouping, (since, lines) in sorted(newest.items())
        if not any(e for *_rest, e in lines)
    }


def grouping_map_history(*, grouping_code: str) -> list[tuple[GroupingMapVersion, list[GroupingMapEntry]]]:
    """Every dated change of one grouping, oldest first (drafts left out)."""
    out: dict[int, tuple[GroupingMapVersion, list[GroupingMapEntry]]] = {}
    for entry in (
        GroupingMapEntry.objects.filter(grouping__code=grouping_code, version__is_draft=False)
        .select_related("version", "administration")
        .order_by("version__valid_from", "id")
    ):
        out.setdefault(entry.version_id, (entry.version, []))[1].append(entry)
    return list(out.values())


def administration_names() -> dict[str, str]:
    """Every administration's name by its code."""
    return dict(Administration.objects.values_list("code", "name"))


def administrations_visible_to(user) -> QuerySet[Administration]:
    """Finance staff and the steering group see every administration; a head sees their own."""
    from cases.roles import reads_everything

    if reads_everything(user):
        return Administration.objects.all()
    return Administration.objects.filter(heads=user)


def audit_entries(
    *,
    who: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEntry]:
    """The audit log, newest first, filtered by who (name contains), what (action starts with),
    which object (type, id) and period (dates inclusive, Stockholm time)."""
    qs = AuditEntry.objects.select_related("user").order_by("-at", "-id")
    if who:
        qs = qs.filter(actor__icontains=who)
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    return qs


def audit_changes(before: Any, after: Any) -> list[tuple[str, str, str, bool]]:
    """Before and after side by side: (field, before, after, changed) for every field of either.
    Values that are not objects are shown as one row named "–"."""
    if not isinstance(before, dict) and not isinstance(after, dict):
        if before is None and after is None:
            return []
        return [("–", _shown(before), _shown(after), before != after)]
    b = before if isinstance(before, dict) else {}
    a = after if isinstance(after, dict) else {}
    return [(key, _shown(b.get(key)), _shown(a.get(key)), b.get(key) != a.get(key)) for key in sorted(set(b) | set(a))]


def _shown(value: Any) -> str:
    import json

    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
