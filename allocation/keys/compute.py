"""Making keys: a measured key from the case volumes of a window (with its robustness and
warnings), a driver or fixed key from values, and the warning on keys whose data changed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from allocation import calculation
from allocation.calculation import AllocationError
from allocation.keys import robustness
from allocation.models import (
    AllocationKey,
    KeyLoadLine,
    KeyShare,
)
from allocation.selectors import (
    map_owners,
    monthly_volumes,
    months_with_data,
    own_source_ids,
)
from cases import formats
from cases.models import Administration, Channel, DataSource, Grouping
from cases.months import month_range
from cases.numbers import NumberError, parse_number
from cases.selectors import grouping_map_in_force
from cases.services import audit_record

# A measured key is measured over at most three years of logs in years that hold case logs (as
# the import's plausible years). Unbounded, 0001-01 – 9999-11 stored 119,975 warnings, and its
# memo took minutes and gigabytes to print.
KEY_WINDOW_MAX_MONTHS = 36
KEY_YEARS = (1990, 2100)


def key_window_check(*, window_from: date, window_to: date, valid_from: date) -> None:
    """Refuse a window that is reversed, longer than KEY_WINDOW_MAX_MONTHS or outside KEY_YEARS."""
    low, high = KEY_YEARS
    for day in (window_from, window_to, valid_from):
        if not low <= day.year <= high:
            raise ValidationError(
                _("The date %(date)s lies outside the years %(low)s–%(high)s that keys are made for.")
                % {"date": f"{day.year:04d}-{day.month:02d}", "low": low, "high": high}
            )
    if window_to < window_from:
        raise ValidationError(_("The period's end lies before its start."))
    months = (window_to.year - window_from.year) * 12 + window_to.month - window_from.month + 1
    if months > KEY_WINDOW_MAX_MONTHS:
        raise ValidationError(
            _("The window %(start)s–%(end)s covers %(months)s months; a key is measured over at most %(max)s.")
            % {
                "start": formats.month(window_from),
                "end": formats.month(window_to),
                "months": months,
                "max": KEY_WINDOW_MAX_MONTHS,
            }
        )


def warnings_capped(warnings: list[str]) -> list[str]:
    """At most KEY_MAX_WARNINGS warnings: the first ones and the newest are kept, those between
    are counted in a last warning. The count leads that warning's text, so a capped list keeps an
    exact count when a warning is added to it later (allocation_keys_flag_stale)."""
    limit = max(settings.KEY_MAX_WARNINGS, 3)
    dropped = 0
    kept = []
    for warning in warnings:
        counted = _dropped_count(warning)
        if counted is None:
            kept.append(warning)
        else:
            dropped += counted
    if len(kept) + (1 if dropped else 0) > limit:
        dropped += len(kept) - (limit - 1)
        kept = [*kept[: limit - 2], kept[-1]]
    return [*kept, _more_warnings(dropped)] if dropped else kept


def _more_warnings(count: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):  # stored on the key: the site's language
        return _("%(count)s more warnings are not stored.") % {"count": count}


def _dropped_count(warning: str) -> int | None:
    head, _sep, _rest = warning.partition(" ")
    return int(head) if head.isdigit() and warning == _more_warnings(int(head)) else None


@transaction.atomic
def allocation_key_compute_measured(
    *,
    name: str,
    window_from: date,
    window_to: date,
    basis: str,
    valid_from: date,
    source_names: list[str] | None = None,
    user: Any = None,
    exclude_months: list[date] | None = None,
) -> AllocationKey:
    """Create a draft measured key from the monthly aggregates over the window (less any months
    left out, to try a key without an unusual month).

    Uses the grouping map in force on `valid_from` (the organisation that will pay).
    Refuses, writing nothing, when groupings with volume lack an owner or the total is zero.
    Stores its robustness: the shares with each month left out, and the unusual months.
    """
    window_from, window_to = window_from.replace(day=1), window_to.replace(day=1)
    key_window_check(window_from=window_from, window_to=window_to, valid_from=valid_from)
    version = grouping_map_in_force(on=valid_from)
    if version is None:
        raise ValidationError(
            _("No grouping map is in force on %(date)s; import one first.") % {"date": f"{valid_from:%Y-%m-%d}"}
        )
    if source_names:
        sources = list(DataSource.objects.filter(name__in=source_names))
        unknown = set(source_names) - {s.name for s in sources}
        if unknown:
            raise ValidationError(_("Unknown sources: %(names)s.") % {"names": ", ".join(sorted(unknown))})
        source_ids = [s.pk for s in sources]
    else:
        source_ids = own_source_ids()
    weights = {c.code: c.weight for c in Channel.objects.all()}
    admins = list(Administration.objects.values_list("code", flat=True))
    excluded = sorted({m.replace(day=1) for m in exclude_months or []})
    by_month = {
        m: cells
        for m, cells in monthly_volumes(window_from=window_from, window_to=window_to, source_ids=source_ids).items()
        if m not in excluded
    }
    cells = robustness.merge_cells(by_month.values())
    owners = map_owners(version)
    try:
        result = calculation.measured_loads(
            cells=cells, grouping_map=owners, basis=basis, channel_weights=weights, administrations=admins
        )
        calculation.check_loads(result)
        key_shares = calculation.shares(result.loads)
    except AllocationError as exc:
        raise ValidationError(str(exc)) from exc
    robust = _robustness(by_month, owners, basis, weights, admins)

    warnings = warnings_capped(_window_warnings(window_from, window_to, source_ids))
    key = AllocationKey(
        name=name,
        kind=AllocationKey.Kind.MEASURED,
        basis=basis,
        window_from=window_from,
        window_to=window_to,
        valid_from=valid_from,
        map_version=version,
        sources=sorted(DataSource.objects.filter(pk__in=source_ids).values_list("name", flat=True)),
        channel_weights={k: str(v) for k, v in sorted(weights.items())} if basis == "weighted" else {},
        central_load=result.central_load,
        warnings=warnings,
        robustness=robust,
        excluded_months=[f"{m:%Y-%m}" for m in excluded] or None,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    key.full_clean()
    key.save()
    admin_ids = dict(Administration.objects.values_list("code", "id"))
    grouping_ids = dict(Grouping.objects.values_list("code", "id"))
    KeyShare.objects.bulk_create(
        [
            KeyShare(key=key, administration_id=admin_ids[code], load=result.loads[code], share=key_shares[code])
            for code in sorted(result.loads)
        ]
    )
    KeyLoadLine.objects.bulk_create(
        [
            KeyLoadLine(
                key=key,
                grouping_id=grouping_ids[line.grouping],
                channel=line.channel,
                administration_id=admin_ids[line.administration] if line.administration else None,
                cases=line.cases,
                load=line.load,
            )
            for line in result.lines
        ],
        batch_size=2000,
    )
    audit_record(
        user=user,
        action="key.compute",
        obj_type="allocation_key",
        obj_id=key.pk,
        after={"shares": {k: str(v) for k, v in key_shares.items()}, "warnings": warnings},
    )
    return key


def _robustness(
    by_month: dict[date, list[Any]], owners: Any, basis: str, weights: dict[str, Decimal], admins: list[str]
) -> dict[str, Any]:
    """Leave-one-out shares, each administration's range, and the unusual months with reasons."""
    left_out = robustness.leave_one_out(
        by_month=by_month, grouping_map=owners, basis=basis, channel_weights=weights, administrations=admins
    )
    monthly_shares: dict[date, dict[str, Decimal]] = {}
    totals: dict[date, Decimal] = {}
    for month, cells in by_month.items():
        loads = calculation.measured_loads(
            cells=cells, grouping_map=owners, basis=basis, channel_weights=weights, administrations=admins
        )
        total = sum(loads.loads.values(), Decimal(0))
        totals[month] = total
        if total:
            monthly_shares[month] = calculation.shares(loads.loads)
    unusual = robustness.unusual_months(totals=totals, shares=monthly_shares, basis=basis)
    ranges = {
        code: {
            "min": str(min(s[code] for s in left_out.values())),
            "max": str(max(s[code] for s in left_out.values())),
        }
        for code in admins
        if left_out
    }
    return {
        "leave_one_out": {f"{m:%Y-%m}": {c: str(v) for c, v in sorted(s.items())} for m, s in sorted(left_out.items())},
        "range": ranges,
        "unusual_months": [f"{m:%Y-%m}" for m in unusual],
        "unusual_reasons": {f"{m:%Y-%m}": reasons for m, reasons in unusual.items()},
    }


def _window_warnings(window_from: date, window_to: date, source_ids: list[int]) -> list[str]:
    months = month_range(window_from, window_to)
    present = months_with_data(window_from=window_from, window_to=window_to, source_ids=source_ids)
    warnings = []
    any_data = set().union(*present.values()) if present else set()
    for m in months:
        if m not in any_data:
            warnings.append(_("The month %(month)s has no data at all.") % {"month": formats.month(m)})
    for source in DataSource.objects.filter(pk__in=source_ids, delivers_monthly=True):
        missing = [m for m in months if m in any_data and m not in present.get(source.pk, set())]
        if missing:
            warnings.append(
                _("The source %(source)s delivers every month but lacks %(months)s.")
                % {"source": source.name, "months": ", ".join(formats.month(m) for m in missing)}
            )
    return warnings


@transaction.atomic
def allocation_key_create_from_values(
    *, name: str, kind: str, valid_from: date, values: dict[str, Decimal], user: Any = None, comment: str = ""
) -> AllocationKey:
    """A driver key (per-administration quantities, e.g. phone extensions) or a fixed key
    (percentages decided by the council). Same share rule as a measured key.
    """
    if kind not in (AllocationKey.Kind.DRIVER, AllocationKey.Kind.FIXED):
        raise ValidationError(_("Unknown key kind %(kind)r; choose driver or fixed.") % {"kind": kind})
    admins = dict(Administration.objects.values_list("code", "id"))
    unknown = sorted(set(values) - set(admins))
    if unknown:
        raise ValidationError(_("Unknown administration codes: %(codes)s.") % {"codes": ", ".join(unknown)})
    unbounded = []
    for code, value in sorted(values.items()):
        try:
            parse_number(value)  # whatever path the value came by: no exponent, bounded digits
        except NumberError as exc:
            unbounded.append(f"{code}: {exc}")
    if unbounded:
        raise ValidationError(unbounded)
    negative = sorted(code for code, v in values.items() if v < 0)
    if negative:
        raise ValidationError(
            _("Negative values for %(codes)s; every value must be ≥ 0.") % {"codes": ", ".join(negative)}
        )
    loads = {code: values.get(code, Decimal(0)) for code in admins}
    try:
        if kind == AllocationKey.Kind.FIXED:
            calculation.fixed_key_check(loads)
        key_shares = calculation.shares(loads)
    except AllocationError as exc:
        raise ValidationError(str(exc)) from exc
    key = AllocationKey(
        name=name,
        kind=kind,
        valid_from=valid_from,
        comment=comment,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    key.full_clean()
    key.save()
    KeyShare.objects.bulk_create(
        [
            KeyShare(key=key, administration_id=admins[code], load=loads[code], share=key_shares[code])
            for code in sorted(loads)
        ]
    )
    audit_record(
        user=user,
        action=f"key.create_{kind}",
        obj_type="allocation_key",
        obj_id=key.pk,
        after={"values": {k: str(v) for k, v in sorted(loads.items())}},
    )
    return key


@transaction.atomic
def allocation_key_delete(*, key: AllocationKey, user: Any) -> None:
    """Delete a draft or rejected key (approved and proposed keys are kept); audited with its shares."""
    if key.status not in (AllocationKey.Status.DRAFT, AllocationKey.Status.REJECTED):
        raise ValidationError(
            _("Key #%(id)s is %(status)s and is kept for the record.")
            % {"id": key.pk, "status": key.get_status_display()}
        )
    before = {
        "name": key.name,
        "kind": key.kind,
        "status": key.status,
        "shares": {s.administration.code: str(s.share) for s in key.shares.select_related("administration")},
    }
    pk = key.pk
    key.delete()
    audit_record(user=user, action="key.delete", obj_type="allocation_key", obj_id=pk, before=before)


def allocation_keys_flag_stale(*, months: list[date]) -> int:
    """Warn on draft and proposed measured keys whose window covers months whose data changed.

    Approved keys are immutable and keep what they were approved on; a new key is computed.
    """
    flagged = 0
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    for key in AllocationKey.objects.filter(
        kind=AllocationKey.Kind.MEASURED, status__in=[AllocationKey.Status.DRAFT, AllocationKey.Status.PROPOSED]
    ):
        assert key.window_from is not None and key.window_to is not None
        touched = sorted(m for m in months if key.window_from <= m <= key.window_to)
        if not touched:
            continue
        with translation.override(settings.LANGUAGE_CODE):  # stored on the key: the site's language
            warning = _("Data for %(months)s changed %(at)s after the key was computed; compute the key again.") % {
                "months": ", ".join(formats.month(m) for m in touched),
                "at": stamp,
            }
        key.warnings = warnings_capped([*key.warnings, warning])
        key.save(update_fields=["warnings"])
        flagged += 1
    return flagged
