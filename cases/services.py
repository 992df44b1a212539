"""Writes to the organisation, the grouping map and the monthly aggregates."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from cases.models import Administration, AuditEntry, Grouping, GroupingMapEntry, GroupingMapVersion


def audit_actor(user: Any) -> str:
    """Who did it, as text: the user's name, or the operating-system user of a command or
    worker that acts for nobody in particular ("os:root")."""
    if getattr(user, "is_authenticated", False):
        return str(user.get_username())
    import getpass

    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for the process's uid (a container)
        import os

        return f"os:uid {os.getuid()}"


def audit_record(
    *,
    user: Any,
    action: str,
    obj_type: str,
    obj_id: Any,
    before: Any = None,
    after: Any = None,
    actor: str | None = None,
) -> AuditEntry:
    """The one writer of the audit log: who, when, what, and the state before and after."""
    return AuditEntry.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        actor=(actor if actor is not None else audit_actor(user))[:150],
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        before=before,
        after=after,
    )


def _snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = value if isinstance(value, bool | int | type(None) | list | dict) else str(value)
    return out


def audited_save(obj: Any, *, fields: list[str], user: Any, action: str, obj_type: str) -> Any:
    """Validate and save `obj`, writing its before and after (only when something changed)."""
    stored = type(obj).objects.filter(pk=obj.pk).first() if obj.pk is not None else None
    before = _snapshot(stored, fields) if stored is not None else None
    obj.full_clean()
    obj.save()
    after = _snapshot(obj, fields)
    if before != after:
        audit_record(
            user=user,
            action=f"{action}.{'change' if stored is not None else 'create'}",
            obj_type=obj_type,
            obj_id=obj.pk,
            before=before,
            after=after,
        )
    return obj


CHANNEL_FIELDS = ["code", "name", "weight"]
ADMINISTRATION_FIELDS = ["code", "name", "cost_centre", "valid_from", "valid_to"]
SOURCE_FIELDS = ["name", "is_reference", "delivers_monthly", "profile"]


@transaction.atomic
def channel_save(*, channel: Any, user: Any) -> Any:
    """Create or change a channel; its weight moves money in every channel-weighted key."""
    return audited_save(channel, fields=CHANNEL_FIELDS, user=user, action="channel", obj_type="channel")


def source_profile_apply(*, source: Any, profile: Any) -> None:
    """Set a source's profile from its JSON form (DESIGN.md §6), refusing one that cannot be used
    (an unknown key or column, a bad date format, …) with a message naming the problem."""
    from cases.source_profiles import ProfileError, profile_from_json

    try:
        source.profile = profile_from_json(profile).as_json()
    except ProfileError as exc:
        raise ValidationError(str(exc)) from exc


@transaction.atomic
def data_source_save(*, source: Any, user: Any) -> Any:
    """Create or change a data source (export system) and its profile."""
    return audited_save(source, fields=SOURCE_FIELDS, user=user, action="source", obj_type="data_source")


@transaction.atomic
def administration_save(*, administration: Administration, user: Any, heads: list[Any] | None = None) -> Any:
    """Create or change an administration; `heads` (if given) replaces its department heads,
    which decides who reads its statistics, so that change is audited too."""
    if administration.pk is not None and administration.valid_to is not None:
        from datetime import timedelta

        from cases.selectors import grouping_map_on

        after_end = administration.valid_to + timedelta(days=1)
        still_owned = sorted(
            code
            for code, lines in grouping_map_on(on=after_end).items()
            if any(line.administration == administration.code for line in lines)
        )
        if still_owned:
            raise ValidationError(
                _(
                    "%(code)s still owns %(count)s groupings after %(end)s (%(groupings)s). "
                    "Move them to another administration from %(from)s first."
                )
                % {
                    "code": administration.code,
                    "count": len(still_owned),
                    "end": f"{administration.valid_to:%Y-%m-%d}",
                    "groupings": ", ".join(still_owned[:10]) + (" …" if len(still_owned) > 10 else ""),
                    "from": f"{after_end:%Y-%m-%d}",
                }
            )
    audited_save(
        administration, fields=ADMINISTRATION_FIELDS, user=user, action="administration", obj_type="administration"
    )
    if heads is not None:
        before = sorted(administration.heads.values_list("username", flat=True))
        administration.heads.set(heads)
        after = sorted(u.get_username() for u in heads)
        if before != after:
            audit_record(
                user=user,
                action="administration.heads",
                obj_type="administration",
                obj_id=administration.pk,
                before={"code": administration.code, "heads": before},
                after={"code": administration.code, "heads": after},
            )
    return administration


def user_access_snapshot(target: Any) -> dict[str, Any]:
    """What decides a user's access: groups, flags, permissions, administrations headed."""
    return {
        "username": target.get_username(),
        "is_active": target.is_active,
        "is_staff": target.is_staff,
        "is_superuser": target.is_superuser,
        "groups": sorted(target.groups.values_list("name", flat=True)),
        "permissions": sorted(
            f"{app}.{code}" for app, code in target.user_permissions.values_list("content_type__app_label", "codename")
        ),
        "administrations": sorted(target.headed_administrations.values_list("code", flat=True)),
    }


def user_access_record(*, target: Any, before: dict[str, Any] | None, user: Any) -> None:
    """Audit a change of a user's access (made by the admin's user form, or any other path)."""
    after = user_access_snapshot(target)
    if before != after:
        audit_record(
            user=user,
            action="user.access" if before is not None else "user.create",
            obj_type="user",
            obj_id=target.pk,
            before=before,
            after=after,
        )


@dataclass(frozen=True)
class AdministrationRow:
    code: str
    name: str
    cost_centre: str = ""
    valid_from: date | None = None
    valid_to: date | None = None


@transaction.atomic
def administrations_upsert(*, rows: list[AdministrationRow], user: Any = None) -> tuple[int, int]:
    """Create or update administrations by code. Returns (created, updated)."""
    created = updated = 0
    for row in rows:
        admin = Administration.objects.filter(code=row.code).first()
        if admin is None:
            admin = Administration(code=row.code)
            created += 1
        else:
            updated += 1
        admin.name = row.name
        admin.cost_centre = row.cost_centre
        if row.valid_from:
            admin.valid_from = row.valid_from
        admin.valid_to = row.valid_to
        administration_save(administration=admin, user=user)
    return created, updated


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
                % {"code": code, "rows": lines, "total": total}
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
    keys = list(version.allocationkey_set.order_by("pk").values_list("pk", "name", "status"))  # type: ignore[attr-defined]
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


def monthly_aggregates_refresh(*, source_id: int, months: list[date]) -> None:
    """Recompute the aggregate cells of one source's months from its case records.

    Runs inside the caller's transaction (the import's replace step), so readers
    never see a month with cases but without aggregates.
    """
    if not months:
        return
    table_agg = "cases_monthlyaggregate"
    table_case = "cases_caserecord"
    placeholders = ", ".join(["%s"] * len(months))
    with connection.cursor() as cur:
        cur.execute(
            f"DELETE FROM {table_agg} WHERE source_id = %s AND month IN ({placeholders})",
            [source_id, *months],
        )
        postgres = connection.vendor == "postgresql"
        if postgres:
            # Just after a bulk load the planner's row estimate is stale and it picks a sort
            # that spills to disk; a hash aggregate over the ~10^4 cells is 3x faster.
            cur.execute("SET LOCAL enable_sort = off")
            cur.execute("SET LOCAL work_mem = '64MB'")
        # Every figure but `abandoned` and `outcome_reported` is over handled contacts only: an
        # abandoned call is a contact, not a case (DESIGN.md §5). "Answered within 60 s" counts
        # handled cases whose wait is known and <= 60.
        handled = "(outcome IS NULL OR outcome <> 'abandoned')"
        cur.execute(
            f"""
            INSERT INTO {table_agg} (source_id, month, grouping_id, channel_id, cases,
                handle_seconds, handle_known, wait_seconds, wait_known, answered_within_60,
                resolved_first, resolved_known, forwarded, abandoned, outcome_reported)
            SELECT source_id, month, grouping_id, channel_id,
                SUM(CASE WHEN {handled} THEN 1 ELSE 0 END),
                COALESCE(SUM(CASE WHEN {handled} THEN handle_seconds END), 0),
                COUNT(CASE WHEN {handled} THEN handle_seconds END),
                COALESCE(SUM(CASE WHEN {handled} THEN wait_seconds END), 0),
                COUNT(CASE WHEN {handled} THEN wait_seconds END),
                SUM(CASE WHEN {handled} AND wait_seconds <= 60 THEN 1 ELSE 0 END),
                SUM(CASE WHEN {handled} AND resolved_first_contact THEN 1 ELSE 0 END),
                COUNT(CASE WHEN {handled} THEN resolved_first_contact END),
                COUNT(CASE WHEN {handled} THEN forwarded_to_id END),
                SUM(CASE WHEN outcome = 'abandoned' THEN 1 ELSE 0 END),
                COUNT(outcome)
            FROM {table_case}
            WHERE source_id = %s AND month IN ({placeholders})
            GROUP BY source_id, month, grouping_id, channel_id
            """,
            [source_id, *months],
        )
        if postgres:
            cur.execute("SET LOCAL enable_sort = on")
            cur.execute("RESET work_mem")


# --- API tokens ------------------------------------------------------------------------------


def api_token_hash(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()


class TokenNotAllowed(ValidationError):
    """Making this token would let somebody act as another person."""


def api_token_may_create(*, user: Any, created_by: Any) -> bool:
    """A person's token is made by that person; a superuser may make tokens for service accounts."""
    from cases import roles

    if created_by is None or not getattr(created_by, "is_authenticated", False):
        return False
    if created_by.pk == user.pk:
        return True
    return bool(created_by.is_superuser) and roles.is_service_account(user)


@transaction.atomic
def api_token_create(*, user: Any, name: str = "", created_by: Any) -> tuple[Any, str]:
    """Make a token for `user`; returns the token and its key, which is not stored anywhere.

    Refused (TokenNotAllowed) unless `created_by` is the user, or a superuser making a token
    for a service account.
    """
    import secrets

    from cases.models import ApiToken

    if not api_token_may_create(user=user, created_by=created_by):
        raise TokenNotAllowed(
            _(
                "A person's API token is made only by that person, on the page My account. "
                "A superuser can make tokens for service accounts (the group service_account)."
            )
        )
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:6], key_hash=api_token_hash(key), created_by=created_by
    )
    audit_record(
        user=created_by,
        action="token.create",
        obj_type="token",
        obj_id=token.pk,
        after={"for": user.get_username(), "name": name, "prefix": token.prefix},
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: Any, user: Any) -> None:
    """Delete a token (its owner, or a superuser), with an audit entry."""
    if not (user.pk == token.user_id or user.is_superuser):
        raise TokenNotAllowed(_("Only the owner or a superuser can revoke a token."))
    audit_record(
        user=user,
        action="token.revoke",
        obj_type="token",
        obj_id=token.pk,
        before={"for": token.user.get_username(), "name": token.name, "prefix": token.prefix},
    )
    token.delete()
