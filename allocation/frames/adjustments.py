"""A frame-adjustment run: for a budget year, the contact centre's budget frame grows by the
co-financing pool's net cost and each administration's frame shrinks by its part, by the pool's
approved key. Budget-frame changes, not internal-charge vouchers: never posted to the ledger."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allocation import calculation
from allocation.models import AllocationKey, CostPool, FrameAdjustment, FrameChange
from allocation.runs.allocate import UNITS, charging_key_check, cost_pool_net_amount, run_amounts, run_preview
from allocation.selectors import key_loads, latest_charging_run
from cases.models import Administration
from cases.services import audit_record


def frame_changes(net: Decimal, loads: Mapping[str, Decimal], unit: Decimal) -> tuple[Decimal, dict[str, Decimal]]:
    """(the centre's change, each administration's change): the administrations' parts are the
    net split by the loads with the largest remainder (exact to the unit), negated; the centre
    gains the net. So the changes add up to zero exactly."""
    parts = calculation.largest_remainder(net, loads, unit)
    return net, {code: -amount for code, amount in parts.items()}


def co_financing_amounts(year: int) -> tuple[CostPool | None, dict[str, Decimal] | None, str]:
    """The year's co-financing pool and each administration's amount: its newest charging run,
    or (before there is one) what a charging run would give, computed and rolled back; with a
    note saying which (or why there are none)."""
    pool = CostPool.objects.filter(year=year, is_co_financing=True).select_related("key").first()
    if pool is None:
        return None, None, _("%(year)s has no co-financing pool.") % {"year": year}
    run = latest_charging_run(pool)
    if run is not None:
        return pool, run_amounts(run)[0], _("charging run #%(id)s") % {"id": run.pk}
    try:
        return pool, run_preview(pool), _("computed with the pool's approved key (no run yet)")
    except ValidationError as exc:
        return pool, None, " ".join(exc.messages)


def co_financing_pool(year: int) -> CostPool:
    pool = CostPool.objects.filter(year=year, is_co_financing=True).select_related("key").first()
    if pool is None:
        raise ValidationError(
            _("%(year)s has no co-financing pool; create it on the cost pools page first.") % {"year": year}
        )
    return pool


@transaction.atomic
def frame_adjustment_create(*, year: int, user: Any) -> FrameAdjustment:
    """A frame-adjustment run of the year's co-financing pool by its approved key (the same key
    rules as a charging run); audited. Nothing is posted."""
    pool = co_financing_pool(year)
    if pool.key_id is None:
        raise ValidationError(
            _("The cost pool %(pool)s has no key; choose an approved key on the pool first.") % {"pool": pool}
        )
    key = AllocationKey.objects.get(pk=pool.key_id)
    charging_key_check(pool=pool, key=key)
    try:
        net = cost_pool_net_amount(pool)
        loads = key_loads(key)
        centre, changes = frame_changes(net, loads, UNITS[CostPool.Unit(pool.unit)])
    except calculation.AllocationError as exc:
        raise ValidationError(str(exc)) from exc
    adjustment = FrameAdjustment(
        year=year,
        pool=pool,
        key=key,
        net_amount=net,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        inputs={
            "key": key.pk,
            "loads": {k: str(v) for k, v in sorted(loads.items())},
            "gross_amount": str(pool.gross_amount),
            "funding": [[f.label, str(f.amount)] for f in pool.funding_lines.all()],
            "net_amount": str(net),
            "unit": pool.unit,
        },
    )
    adjustment.full_clean()
    adjustment.save()
    admin_ids = dict(Administration.objects.values_list("code", "id"))
    FrameChange.objects.bulk_create(
        [FrameChange(adjustment=adjustment, administration=None, change=centre)]
        + [
            FrameChange(adjustment=adjustment, administration_id=admin_ids[c], change=v)
            for c, v in sorted(changes.items())
        ]
    )
    audit_record(
        user=user,
        action="frame_adjustment.create",
        obj_type="frame_adjustment",
        obj_id=adjustment.pk,
        after={
            "year": year,
            "pool": pool.pk,
            "key": key.pk,
            "centre": str(centre),
            "changes": {c: str(v) for c, v in sorted(changes.items())},
        },
    )
    return adjustment


def latest_frame_adjustment(year: int) -> FrameAdjustment | None:
    return FrameAdjustment.objects.filter(year=year).order_by("-created_at", "-id").first()


def adjustment_changes(adjustment: FrameAdjustment) -> tuple[Decimal, dict[str, Decimal]]:
    """(the centre's change, administration code → change) of a stored adjustment."""
    centre = Decimal(0)
    changes: dict[str, Decimal] = {}
    for code, change in adjustment.changes.values_list("administration__code", "change"):
        if code is None:
            centre = change
        else:
            changes[code] = change
    return centre, changes
