"""Allocation runs: a charging run of a cost pool by its approved key (or by price per minute or
case), or a simulation of any amount by any key; and the amounts a run holds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allocation import calculation
from allocation.calculation import AllocationError
from allocation.models import (
    AllocationKey,
    AllocationRun,
    CostPool,
    RunAmount,
    RunSeal,
)
from allocation.selectors import (
    latest_charging_run,
    map_owners,
    monthly_volumes,
    own_source_ids,
)
from cases.models import Administration
from cases.selectors import grouping_map_in_force
from cases.services import audit_record

UNITS = {CostPool.Unit.ORE: calculation.ORE, CostPool.Unit.KRONA: calculation.KRONA}


def cost_pool_net_amount(pool: CostPool) -> Decimal:
    return calculation.net_amount(pool.gross_amount, [f.amount for f in pool.funding_lines.all()])


def charging_key_check(*, pool: CostPool, key: AllocationKey) -> None:
    """A charging run's key: the pool's own, approved, of a kind that fits the pool, valid in
    the pool's year. Anything else is refused with what to do instead."""
    if pool.key_id is None:
        raise ValidationError(
            _("The cost pool %(pool)s has no key; choose an approved key on the pool first.") % {"pool": pool}
        )
    if key.pk != pool.key_id:
        raise ValidationError(
            _(
                "The cost pool %(pool)s is allocated by its own key #%(own)s, not #%(key)s. Change the pool's key, "
                "or make a simulation with an amount instead."
            )
            % {"pool": pool, "own": pool.key_id, "key": key.pk}
        )
    if key.status != AllocationKey.Status.APPROVED:
        raise ValidationError(
            _(
                "Key #%(key)s has status %(status)s: only an approved key may charge. "
                "Let the steering group approve the key, or make a simulation with an amount."
            )
            % {"key": key.pk, "status": key.get_status_display()}
        )
    if pool.is_co_financing and key.kind != AllocationKey.Kind.MEASURED:
        raise ValidationError(
            _("The co-financing pool is allocated by a measured key; key #%(key)s is %(kind)s.")
            % {"key": key.pk, "kind": key.get_kind_display()}
        )
    if key.valid_from.year > pool.year:
        raise ValidationError(
            _("Key #%(key)s is valid from %(from)s, after the pool's budget year %(year)s.")
            % {"key": key.pk, "from": f"{key.valid_from:%Y-%m-%d}", "year": pool.year}
        )


@transaction.atomic
def allocation_run_create(
    *,
    key: AllocationKey | None = None,
    pool: CostPool | None = None,
    amount: Decimal | None = None,
    unit: str = CostPool.Unit.ORE,
    user: Any = None,
) -> AllocationRun:
    """Distribute a pool's net amount (a charging run) or a given amount (a simulation) by the
    key, for the year and its 12 months.

    A charging run uses the pool's approved key (charging_key_check) and supersedes the pool's
    previous charging run. A simulation may use any key and is never charged.
    """
    if (pool is None) == (amount is None):
        raise ValidationError(_("Give either a cost pool or an amount."))
    if pool is not None and pool.pricing != CostPool.Pricing.KEY:
        return _priced_run_create(pool=pool, user=user)
    try:
        if pool is not None:
            # Serialise runs of one pool: the second waits and then supersedes the first.
            pool = CostPool.objects.select_for_update().get(pk=pool.pk)
            key = key if key is not None else pool.key
            if key is None:
                raise ValidationError(_("The cost pool %(pool)s has no key.") % {"pool": pool})
            key = AllocationKey.objects.get(pk=key.pk)  # its status now, not when it was read
            charging_key_check(pool=pool, key=key)
            net = cost_pool_net_amount(pool)
            unit = pool.unit
        else:
            assert amount is not None
            if key is None:
                raise ValidationError(_("A simulation needs a key."))
            net = amount
        loads = {s.administration.code: s.load for s in key.shares.select_related("administration")}
        annual = calculation.largest_remainder(net, loads, UNITS[CostPool.Unit(unit)])
        monthly = calculation.monthly_split(annual, UNITS[CostPool.Unit(unit)])
    except AllocationError as exc:
        raise ValidationError(str(exc)) from exc
    previous = latest_charging_run(pool) if pool is not None else None
    run = AllocationRun(
        key=key,
        pool=pool,
        net_amount=net,
        unit=unit,
        supersedes=previous,
        is_charging=pool is not None,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        inputs={
            "key": key.pk,
            "key_status": key.status,
            "loads": {k: str(v) for k, v in sorted(loads.items())},
            "net_amount": str(net),
            "gross_amount": str(pool.gross_amount) if pool else str(net),
            "funding": [[f.label, str(f.amount)] for f in pool.funding_lines.all()] if pool else [],
            "unit": unit,
            "charging": pool is not None,
        },
    )
    run.save()
    admin_ids = dict(Administration.objects.values_list("code", "id"))
    rows = [RunAmount(run=run, administration_id=admin_ids[c], month=None, amount=a) for c, a in annual.items()]
    rows += [
        RunAmount(run=run, administration_id=admin_ids[c], month=m, amount=a)
        for c, months in monthly.items()
        for m, a in months.items()
    ]
    RunAmount.objects.bulk_create(rows)
    RunSeal.objects.create(run=run)  # last: the database refuses any amount added after this
    audit_record(
        user=user,
        action="run.create" if run.is_charging else "run.simulate",
        obj_type="allocation_run",
        obj_id=run.pk,
        after={
            "charging": run.is_charging,
            "pool": pool.pk if pool else None,
            "key": key.pk,
            "amounts": {k: str(v) for k, v in annual.items()},
        },
    )
    return run


def priced_amounts(*, pool: CostPool) -> tuple[dict[int, dict[str, Decimal]], dict[int, Decimal]]:
    """Each administration's charge per month of the pool's year: the pool's price × its measured
    minutes (or cases) of that month, with the map in force that month and split groupings counted
    fractionally, rounded to the öre per line (a price times a quantity, not a split).
    Returns (month → administration → amount, month → quantity)."""
    assert pool.price is not None
    admins = list(Administration.objects.values_list("code", flat=True))
    sources = own_source_ids()
    months: dict[int, dict[str, Decimal]] = {}
    quantities: dict[int, Decimal] = {}
    per_minute = pool.pricing == CostPool.Pricing.PER_MINUTE
    by_month = monthly_volumes(window_from=date(pool.year, 1, 1), window_to=date(pool.year, 12, 1), source_ids=sources)
    for number in range(1, 13):
        month = date(pool.year, number, 1)
        version = grouping_map_in_force(on=month)
        cells = by_month.get(month, [])
        if version is None or not cells:
            continue
        result = calculation.measured_loads(
            cells=cells,
            grouping_map=map_owners(version),
            basis="minutes" if per_minute else "cases",
            channel_weights={},
            administrations=admins,
        )
        # The minutes basis keeps its loads in seconds (calculation.measured_loads).
        quantity = {c: (load / 60 if per_minute else load) for c, load in result.loads.items()}
        months[number] = {c: calculation.round_kronor(q * pool.price) for c, q in sorted(quantity.items())}
        quantities[number] = sum(quantity.values(), Decimal(0))
    return months, quantities


@transaction.atomic
def _priced_run_create(*, pool: CostPool, user: Any) -> AllocationRun:
    """A charging run of a price-based pool; what the prices recover beside the pool's net cost is
    the centre's surplus (or deficit), recorded on the run and shown, never spread."""
    from allocation.runs.prices import approved_price

    pool = CostPool.objects.select_for_update().get(pk=pool.pk)
    decided = approved_price(pool)
    if decided is None or decided.pricing != pool.pricing:
        raise ValidationError(
            _(
                "The cost pool %(pool)s charges by price, and no price of it is approved: finance staff propose "
                "the price on the pool's page, and another person of the steering group approves it."
            )
            % {"pool": pool}
        )
    pool.price = decided.price  # the approved price, whatever the pool's form holds now
    net = cost_pool_net_amount(pool)
    months, quantities = priced_amounts(pool=pool)
    if not months:
        raise ValidationError(_("There is no measured volume in %(year)s to charge by price.") % {"year": pool.year})
    annual: dict[str, Decimal] = {}
    for row in months.values():
        for code, value in row.items():
            annual[code] = annual.get(code, Decimal(0)) + value
    recovered = sum(annual.values(), Decimal(0))
    previous = latest_charging_run(pool)
    run = AllocationRun(
        key=None,
        pool=pool,
        net_amount=recovered,
        unit=CostPool.Unit.ORE,
        supersedes=previous,
        is_charging=True,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        inputs={
            "pricing": pool.pricing,
            "price": str(pool.price),
            "price_decision": decided.pk,
            "quantities": {f"{pool.year}-{m:02d}": str(q) for m, q in sorted(quantities.items())},
            "cost": str(net),
            "recovered": str(recovered),
            "surplus": str(recovered - net),
            "gross_amount": str(pool.gross_amount),
            "funding": [[f.label, str(f.amount)] for f in pool.funding_lines.all()],
            "charging": True,
        },
    )
    run.save()
    admin_ids = dict(Administration.objects.values_list("code", "id"))
    rows = [RunAmount(run=run, administration_id=admin_ids[c], month=None, amount=a) for c, a in sorted(annual.items())]
    rows += [
        RunAmount(run=run, administration_id=admin_ids[c], month=m, amount=months.get(m, {}).get(c, Decimal(0)))
        for c in sorted(annual)
        for m in range(1, 13)
    ]
    RunAmount.objects.bulk_create(rows)
    RunSeal.objects.create(run=run)
    audit_record(
        user=user,
        action="run.create",
        obj_type="allocation_run",
        obj_id=run.pk,
        after={
            "charging": True,
            "pool": pool.pk,
            "pricing": pool.pricing,
            "price": str(pool.price),
            "amounts": {k: str(v) for k, v in annual.items()},
            "surplus": str(recovered - net),
        },
    )
    return run


def run_amounts(run: AllocationRun) -> tuple[dict[str, Decimal], dict[int, dict[str, Decimal]]]:
    """The run's amounts per administration for the year and per month (from prefetched rows when
    a list prefetched them with their administrations, else in one query)."""
    annual: dict[str, Decimal] = {}
    months: dict[int, dict[str, Decimal]] = {}
    if "amounts" in getattr(run, "_prefetched_objects_cache", {}):
        rows = sorted(
            ((a.administration.code, a.month, a.amount) for a in run.amounts.all()),
            key=lambda r: (r[0], r[1] or 0),
        )
    else:
        rows = list(
            run.amounts.values_list("administration__code", "month", "amount").order_by("administration__code", "month")
        )
    for code, month, amount in rows:
        if month is None:
            annual[code] = amount
        else:
            months.setdefault(month, {})[code] = amount
    return annual, months


class _Preview(Exception):
    def __init__(self, annual: dict[str, Decimal]) -> None:
        self.annual = annual


def run_preview(pool: CostPool) -> dict[str, Decimal]:
    """The amounts a charging run of the pool would give now, by the very service that creates
    it, inside a transaction that is rolled back: the preview cannot differ from the run."""
    try:
        with transaction.atomic():
            run = allocation_run_create(pool=pool)
            raise _Preview(run_amounts(run)[0])
    except _Preview as preview:
        return preview.annual
