"""Writes to the organisation (administrations, channels, sources, people's access) and the
monthly aggregates, each audited (audit_record, audited_save)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from cases.models import Administration, AuditEntry, MonthlyAggregate
from cases.processes import os_account
from cases.statistics import AGGREGATE_FIGURES


def audit_actor(user: Any) -> str:
    """Who did it, as text: the user's name, or the operating-system user of a command or
    worker that acts for nobody in particular ("os:root"). A command run with --user names the
    person and the operating-system account beside it ("styrgrupp (os:root)"), since --user takes
    no password (cases.roles.user_argument)."""
    if getattr(user, "is_authenticated", False):
        account = getattr(user, "command_os_account", "")
        return f"{user.get_username()} (os:{account})" if account else str(user.get_username())
    return f"os:{os_account()}"


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


GROUPING_FIELDS = ["code", "name", "area"]
CHANNEL_FIELDS = ["code", "name", "weight"]
ADMINISTRATION_FIELDS = ["code", "name", "cost_centre", "valid_from", "valid_to"]
SOURCE_FIELDS = ["name", "is_reference", "delivers_monthly", "profile"]


def grouping_code_change_check(*, grouping: Any) -> None:
    """Refuse a new code for a grouping that cases refer to: case logs name groupings by code,
    so the next import of the old code would fail or, if a new grouping took it, go elsewhere."""
    from cases.models import CaseRecord, Grouping

    stored = Grouping.objects.filter(pk=grouping.pk).values_list("code", flat=True).first() if grouping.pk else None
    if stored is None or stored == grouping.code:
        return
    if (
        MonthlyAggregate.objects.filter(grouping_id=grouping.pk).exists()
        or CaseRecord.objects.filter(grouping_id=grouping.pk).exists()
    ):
        raise ValidationError(
            {
                "code": _(
                    "Cases refer to the grouping %(code)s, so its code cannot change: the case logs name it. "
                    "Create a new grouping and move the owners in the grouping map instead."
                )
                % {"code": stored}
            }
        )


@transaction.atomic
def grouping_save(*, grouping: Any, user: Any) -> Any:
    """Create or change a grouping (code, name, area), audited; a code cases refer to is kept."""
    grouping_code_change_check(grouping=grouping)
    return audited_save(grouping, fields=GROUPING_FIELDS, user=user, action="grouping", obj_type="grouping")


@transaction.atomic
def grouping_delete(*, grouping: Any, user: Any) -> None:
    """Delete a grouping (the database refuses one that cases or the map refer to); audited."""
    before = _snapshot(grouping, GROUPING_FIELDS)
    pk = grouping.pk
    grouping.delete()
    audit_record(user=user, action="grouping.delete", obj_type="grouping", obj_id=pk, before=before)


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


@transaction.atomic
@transaction.atomic
def notification_choices_save(*, user: Any, wanted: set[str]) -> bool:
    """A user chooses which notifications they receive (the rest are opted out). Audited, like
    every change a person makes to what reaches them. True if anything changed."""
    from cases.models import Notification, NotificationOptOut

    before = sorted(NotificationOptOut.objects.filter(user=user).values_list("kind", flat=True))
    after = sorted(kind for kind in Notification.Kind.values if kind not in wanted)
    if before == after:
        return False
    NotificationOptOut.objects.filter(user=user).exclude(kind__in=after).delete()
    for kind in after:
        NotificationOptOut.objects.get_or_create(user=user, kind=kind)
    audit_record(
        user=user,
        action="user.notifications",
        obj_type="user",
        obj_id=user.pk,
        before={"opted_out": before},
        after={"opted_out": after},
    )
    return True


def user_email_change(*, user: Any, email: str) -> bool:
    """A user sets (or clears) their own e-mail address, where notifications go. Audited; an
    address that is not valid is refused with a message and changes nothing. True if it changed."""
    from django.core.validators import validate_email

    email = (email or "").strip()
    if email:
        if len(email) > 254:
            raise ValidationError(_("The e-mail address is longer than 254 characters."))
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(
                _("”%(value)s” is not an e-mail address: write it as name@example.se.") % {"value": email[:100]}
            ) from None
    before = user.email
    if before == email:
        return False
    user.email = email
    user.save(update_fields=["email"])
    audit_record(
        user=user,
        action="user.email",
        obj_type="user",
        obj_id=user.pk,
        before={"email": before},
        after={"email": email},
    )
    return True


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


def monthly_aggregates_replace(
    *, source_id: int, months: list[date], cells: list[tuple[date, int, int, int, int]]
) -> None:
    """A reference source's months replaced by aggregated statistics: (month, grouping id, channel
    id, cases, handle seconds) per cell; the figures such statistics lack are 0. Inside the
    caller's transaction, which holds the source."""
    unknown = [0] * (len(AGGREGATE_FIGURES) - 3)
    monthly_aggregates_write(
        source_id=source_id,
        months=months,
        cells=[
            ((month, grouping, channel), [cases, handle, cases if handle else 0, *unknown])
            for month, grouping, channel, cases, handle in cells
        ],
    )


def monthly_aggregates_write(
    *, source_id: int, months: list[date], cells: Iterable[tuple[tuple[Any, int, int], Sequence[int]]]
) -> None:
    """A source's months given as their cells: ((month, grouping id, channel id), the
    AGGREGATE_FIGURES) each. The import sums them while reading its rows (imports.cells), the
    same cells as monthly_aggregates_refresh would sum from the rows just loaded, without reading
    them back. Inside the loading transaction."""
    MonthlyAggregate.objects.filter(source_id=source_id, month__in=months).delete()
    columns = ", ".join(("source_id", "month", "grouping_id", "channel_id", *AGGREGATE_FIGURES))
    rows: list[Any] = [(source_id, month, grouping, channel, *figures) for (month, grouping, channel), figures in cells]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            text = "".join("\t".join(map(str, row)) + "\n" for row in rows)  # numbers and dates only
            with cur.cursor.copy(f"COPY cases_monthlyaggregate ({columns}) FROM STDIN") as copy:
                copy.write(text)
        else:
            marks = ", ".join(["%s"] * (4 + len(AGGREGATE_FIGURES)))
            cur.executemany(f"INSERT INTO cases_monthlyaggregate ({columns}) VALUES ({marks})", rows)


@contextmanager
def month_partitions_read_whole(cur: Any) -> Iterator[None]:
    """PostgreSQL, inside a transaction: statements over a few months read each month's
    partition (cases 0017) whole and in order, not through its unique index in case-id order,
    which the planner picks for fresh rows it has no statistics for (up to 2.7 x slower). After
    an error the transaction rolls back, and the settings with it."""
    cur.execute("SET LOCAL enable_indexscan = off")
    cur.execute("SET LOCAL enable_bitmapscan = off")
    yield
    cur.execute("SET LOCAL enable_indexscan = on")
    cur.execute("SET LOCAL enable_bitmapscan = on")


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
        with month_partitions_read_whole(cur) if postgres else nullcontext():
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
