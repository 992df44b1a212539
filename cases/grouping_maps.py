"""The grouping map, dated per grouping: a file or a form states what changes from a date; rows
are checked (owners exist and add up to 1), unchanged owners make no change, and a map an
approved key is built on is never changed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases import formats
from cases.models import Administration, Grouping, GroupingMapEntry, GroupingMapVersion
from cases.services import audit_record


@dataclass(frozen=True)
class MapRow:
    """One line of a grouping map file or form (DESIGN.md §6); `row` is the file's row number."""

    row: int
    grouping: str
    name: str
    administration: str
    fraction: Decimal
    central: bool
    ended: bool = False


def _map_row_errors(rows: list[MapRow], *, valid_from: date, admins: dict[str, Administration]) -> list[str]:
    errors: list[str] = []
    by_grouping: dict[str, list[MapRow]] = defaultdict(list)
    for r in rows:
        by_grouping[r.grouping].append(r)
        if r.central or r.ended:
            continue
        admin = admins.get(r.administration)
        if admin is None:
            errors.append(
                _("Row %(row)s, column administration: unknown administration code %(code)r.")
                % {"row": r.row, "code": r.administration}
            )
        elif admin.valid_to is not None and admin.valid_to < valid_from:
            errors.append(
                _("Row %(row)s, column administration: %(code)s ended %(end)s and cannot own groupings from %(from)s.")
                % {
                    "row": r.row,
                    "code": admin.code,
                    "end": f"{admin.valid_to:%Y-%m-%d}",
                    "from": f"{valid_from:%Y-%m-%d}",
                }
            )
        elif admin.valid_from > valid_from:
            errors.append(
                _("Row %(row)s, column administration: %(code)s exists only from %(from)s.")
                % {"row": r.row, "code": admin.code, "from": f"{admin.valid_from:%Y-%m-%d}"}
            )
        if not (Decimal(0) < r.fraction <= Decimal(1)):
            errors.append(
                _("Row %(row)s, column fraction: %(value)s must be greater than 0 and at most 1.")
                % {"row": r.row, "value": r.fraction}
            )
    for code, group_rows in by_grouping.items():
        lines = ", ".join(str(r.row) for r in group_rows)
        if any(r.central or r.ended for r in group_rows):
            if len(group_rows) > 1:
                errors.append(
                    _("Grouping %(code)s (rows %(rows)s): a central or ended grouping cannot also have owners.")
                    % {"code": code, "rows": lines}
                )
            continue
        total = sum((r.fraction for r in group_rows), Decimal(0))
        if total != Decimal(1):
            errors.append(
                _("Grouping %(code)s (rows %(rows)s): the fractions add up to %(total)s, not 1.")
                % {"code": code, "rows": lines, "total": formats.decimal(total.normalize())}
            )
        owners = [r.administration for r in group_rows]
        if len(set(owners)) != len(owners):
            errors.append(_("Grouping %(code)s: the same administration appears twice.") % {"code": code})
    if not rows:
        errors.append(_("The file contains no rows."))
    return errors


def _frac(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")  # 1, 1.0 and 1.000000 are the same fraction


def _lines_of(rows: list[MapRow]) -> list[tuple[str | None, str, bool, bool]]:
    return sorted(
        (
            None if (r.central or r.ended) else r.administration,
            _frac(Decimal(1) if (r.central or r.ended) else r.fraction),
            r.central,
            r.ended,
        )
        for r in rows
    )


def _lines_in_force(grouping_lines: Any) -> list[tuple[str | None, str, bool, bool]]:
    return sorted((line.administration, _frac(line.fraction), line.central, False) for line in grouping_lines)


@transaction.atomic
def grouping_map_version_create(
    *, valid_from: date, rows: list[MapRow], name: str = "", is_draft: bool = False, user: Any = None
) -> GroupingMapVersion | None:
    """Change the grouping map from `valid_from`: the rows of each grouping named replace that
    grouping's owners from that date (per-grouping dating, DESIGN.md §4); groupings not named
    keep theirs. A row that restates the owners already in force changes nothing. Creates unknown
    groupings. Returns the version holding the date's rows (None when nothing changed).

    Refused, writing nothing, with row-level reasons (unknown or ended administration, fractions
    not adding up to exactly 1), or when an approved key's map date is on or after `valid_from`
    (its map would change; the message names the key and says to use a later date). A draft
    (what-if) keeps its rows apart and is never in force.
    """
    from cases.selectors import grouping_map_on

    admins = {a.code: a for a in Administration.objects.all()}
    errors = _map_row_errors(rows, valid_from=valid_from, admins=admins)
    if errors:
        raise ValidationError(errors)
    by_grouping: dict[str, list[MapRow]] = defaultdict(list)
    for r in rows:
        by_grouping[r.grouping].append(r)

    existing = {g.code: g for g in Grouping.objects.all()}
    for code, group_rows in by_grouping.items():
        if code not in existing:
            g = Grouping(code=code, name=group_rows[0].name or code)
            g.full_clean()
            g.save()
            existing[code] = g
        elif group_rows[0].name and existing[code].name != group_rows[0].name:
            existing[code].name = group_rows[0].name
            existing[code].save(update_fields=["name"])

    here: dict[str, list[tuple[str | None, str, bool, bool]]] = {}
    if is_draft:
        version = GroupingMapVersion.objects.create(valid_from=valid_from, name=name, is_draft=True)
        changed = by_grouping
    else:
        in_force = grouping_map_on(on=valid_from)
        dated = GroupingMapVersion.objects.filter(valid_from=valid_from, is_draft=False).first()
        here = {} if dated is None else _rows_in_version(dated)
        changed = {}
        for code, group_rows in by_grouping.items():
            now = here.get(code)
            current = now if now is not None else _lines_in_force(in_force.get(code, []))
            if now is None and code not in in_force and all(r.ended for r in group_rows):
                continue  # ending a grouping that is not in use changes nothing
            if _lines_of(group_rows) != current:
                changed[code] = group_rows
        if not changed:
            return dated
        _refuse_if_approved_keys_from(valid_from)
        if dated is None:
            version = GroupingMapVersion.objects.create(valid_from=valid_from, name=name, is_draft=False)
        else:
            version = dated
            if name and not version.name:
                version.name = name
                version.save(update_fields=["name"])
    before = {code: here.get(code) for code in changed} if not is_draft else None
    version.entries.filter(grouping__code__in=list(changed)).delete()
    GroupingMapEntry.objects.bulk_create(
        [
            GroupingMapEntry(
                version=version,
                grouping=existing[r.grouping],
                administration=None if (r.central or r.ended) else admins[r.administration],
                fraction=Decimal(1) if (r.central or r.ended) else r.fraction,
                is_central=r.central,
                is_ended=r.ended,
            )
            for code in sorted(changed)
            for r in changed[code]
        ]
    )
    audit_record(
        user=user,
        action="grouping_map.draft" if is_draft else "grouping_map.change",
        obj_type="grouping_map_version",
        obj_id=version.pk,
        before={"valid_from": valid_from.isoformat(), "groupings": before} if before else None,
        after={
            "valid_from": valid_from.isoformat(),
            "groupings": {code: _lines_of(group_rows) for code, group_rows in sorted(changed.items())},
        },
    )
    return version


def _rows_in_version(version: GroupingMapVersion) -> dict[str, list[tuple[str | None, str, bool, bool]]]:
    out: dict[str, list[tuple[str | None, str, bool, bool]]] = defaultdict(list)
    for code, admin, fraction, central, ended in version.entries.values_list(
        "grouping__code", "administration__code", "fraction", "is_central", "is_ended"
    ):
        out[code].append((admin, _frac(Decimal(1) if (central or ended) else fraction), central, ended))
    return {code: sorted(lines) for code, lines in out.items()}


def _refuse_if_approved_keys_from(valid_from: date) -> None:
    """An approved key's map (in force on its valid_from) must never change: a change dated on
    or before an approved key's date is refused. The reverse relation, not an import: cases
    does not depend on allocation."""
    keys = sorted(
        set(
            GroupingMapVersion.objects.filter(
                allocationkey__kind="measured",
                allocationkey__status__in=["approved", "superseded"],
                allocationkey__valid_from__gte=valid_from,
            ).values_list("allocationkey__pk", "allocationkey__name", "allocationkey__valid_from")
        )
    )
    if keys:
        named = ", ".join(
            _("#%(key)s %(name)s (valid from %(from)s)") % {"key": pk, "name": name, "from": f"{vf:%Y-%m-%d}"}
            for pk, name, vf in keys
        )
        raise ValidationError(
            _(
                "A change from %(from)s would change the map that approved key %(keys)s is built on. "
                "Give a valid-from date after the key's, and the change applies to later keys and statistics."
            )
            % {"from": f"{valid_from:%Y-%m-%d}", "keys": named}
        )


def _refuse_if_keys_use(version: GroupingMapVersion) -> None:
    # The reverse relation, not an import: cases does not depend on allocation.
    keys = list(version.allocationkey_set.order_by("pk").values_list("pk", "name", "status"))
    if keys:
        named = ", ".join(f"#{pk} {name} ({status})" for pk, name, status in keys)
        raise ValidationError(
            _(
                "The map valid from %(from)s is used by key %(keys)s and cannot be changed or removed. "
                "Enter the change with a later valid-from date instead."
            )
            % {"from": f"{version.valid_from:%Y-%m-%d}", "keys": named}
        )


@transaction.atomic
def grouping_map_version_delete(*, version: GroupingMapVersion, user: Any) -> None:
    """Delete a map version no key depends on (a draft from a what-if, or an unused version)."""
    _refuse_if_keys_use(version)
    before = _map_snapshot(version)
    pk = version.pk
    version.delete()
    audit_record(user=user, action="grouping_map.delete", obj_type="grouping_map_version", obj_id=pk, before=before)


def _map_snapshot(version: GroupingMapVersion) -> dict[str, Any]:
    return {
        "valid_from": version.valid_from.isoformat(),
        "is_draft": version.is_draft,
        "entries": [
            [
                e.grouping.code,
                e.administration.code if e.administration else None,
                str(e.fraction),
                e.is_central,
                e.is_ended,
            ]
            for e in version.entries.select_related("grouping", "administration")
        ],
    }
