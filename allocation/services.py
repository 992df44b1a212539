"""Writes for allocation: keys, runs, review. The only way these rows change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from allocation import calculation
from allocation.calculation import AllocationError
from allocation.models import AllocationKey, AllocationRun, CostPool, KeyLoadLine, KeyShare, RunAmount
from allocation.selectors import map_owners, months_with_data, own_source_ids, window_volumes
from cases.models import Administration, Channel, DataSource, Grouping
from cases.selectors import grouping_map_in_force
from cases.services import audit_record

UNITS = {CostPool.Unit.ORE: calculation.ORE, CostPool.Unit.KRONA: calculation.KRONA}


def _month_range(start: date, end: date) -> list[date]:
    months = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        months.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


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
) -> AllocationKey:
    """Create a draft measured key from the monthly aggregates over the window.

    Uses the grouping map in force on `valid_from` (the organisation that will pay).
    Refuses, writing nothing, when groupings with volume lack an owner or the total is zero.
    """
    window_from, window_to = window_from.replace(day=1), window_to.replace(day=1)
    if window_to < window_from:
        raise ValidationError("Periodens slut ligger före dess början.")
    version = grouping_map_in_force(on=valid_from)
    if version is None:
        raise ValidationError(f"Ingen fördelning av grupperingar gäller {valid_from:%Y-%m-%d}; importera en först.")
    if source_names:
        sources = list(DataSource.objects.filter(name__in=source_names))
        unknown = set(source_names) - {s.name for s in sources}
        if unknown:
            raise ValidationError(f"Okända källor: {', '.join(sorted(unknown))}.")
        source_ids = [s.pk for s in sources]
    else:
        source_ids = own_source_ids()
    weights = {c.code: c.weight for c in Channel.objects.all()}
    admins = list(Administration.objects.values_list("code", flat=True))
    cells = window_volumes(window_from=window_from, window_to=window_to, source_ids=source_ids)
    try:
        result = calculation.measured_loads(
            cells=cells, grouping_map=map_owners(version), basis=basis, channel_weights=weights, administrations=admins
        )
        calculation.check_loads(result)
        key_shares = calculation.shares(result.loads)
    except AllocationError as exc:
        raise ValidationError(str(exc)) from exc

    warnings = _window_warnings(window_from, window_to, source_ids)
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


def _window_warnings(window_from: date, window_to: date, source_ids: list[int]) -> list[str]:
    months = _month_range(window_from, window_to)
    present = months_with_data(window_from=window_from, window_to=window_to, source_ids=source_ids)
    warnings = []
    any_data = set().union(*present.values()) if present else set()
    for m in months:
        if m not in any_data:
            warnings.append(f"Månaden {m:%Y-%m} saknar data helt.")
    for source in DataSource.objects.filter(pk__in=source_ids, delivers_monthly=True):
        missing = [m for m in months if m in any_data and m not in present.get(source.pk, set())]
        if missing:
            warnings.append(
                f"Källan {source.name} levererar varje månad men saknar {', '.join(f'{m:%Y-%m}' for m in missing)}."
            )
    return warnings


def cost_pool_net_amount(pool: CostPool) -> Decimal:
    return calculation.net_amount(pool.gross_amount, [f.amount for f in pool.funding_lines.all()])


@transaction.atomic
def allocation_run_create(
    *,
    key: AllocationKey,
    pool: CostPool | None = None,
    amount: Decimal | None = None,
    unit: str = CostPool.Unit.ORE,
    user: Any = None,
) -> AllocationRun:
    """Distribute a pool's net amount (or a given amount) by the key, for the year and its 12 months."""
    if (pool is None) == (amount is None):
        raise ValidationError("Ange antingen en kostnadspool eller ett belopp.")
    try:
        if pool is not None:
            # Serialise runs of one pool: the second waits and then supersedes the first.
            pool = CostPool.objects.select_for_update().get(pk=pool.pk)
            net = cost_pool_net_amount(pool)
            unit = pool.unit
        else:
            assert amount is not None
            net = amount
        loads = {s.administration.code: s.load for s in key.shares.select_related("administration")}
        annual = calculation.largest_remainder(net, loads, UNITS[CostPool.Unit(unit)])
        monthly = calculation.monthly_split(annual, UNITS[CostPool.Unit(unit)])
    except AllocationError as exc:
        raise ValidationError(str(exc)) from exc
    previous = AllocationRun.objects.filter(pool=pool, key=key).first() if pool is not None else None
    run = AllocationRun.objects.create(
        key=key,
        pool=pool,
        net_amount=net,
        unit=unit,
        supersedes=previous,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        inputs={
            "key": key.pk,
            "loads": {k: str(v) for k, v in sorted(loads.items())},
            "net_amount": str(net),
            "gross_amount": str(pool.gross_amount) if pool else str(net),
            "funding": [[f.label, str(f.amount)] for f in pool.funding_lines.all()] if pool else [],
            "unit": unit,
        },
    )
    admin_ids = dict(Administration.objects.values_list("code", "id"))
    rows = [RunAmount(run=run, administration_id=admin_ids[c], month=None, amount=a) for c, a in annual.items()]
    rows += [
        RunAmount(run=run, administration_id=admin_ids[c], month=m, amount=a)
        for c, months in monthly.items()
        for m, a in months.items()
    ]
    RunAmount.objects.bulk_create(rows)
    audit_record(
        user=user,
        action="run.create",
        obj_type="allocation_run",
        obj_id=run.pk,
        after={"amounts": {k: str(v) for k, v in annual.items()}},
    )
    return run


def run_amounts(run: AllocationRun) -> tuple[dict[str, Decimal], dict[int, dict[str, Decimal]]]:
    annual: dict[str, Decimal] = {}
    months: dict[int, dict[str, Decimal]] = {}
    for code, month, amount in run.amounts.values_list("administration__code", "month", "amount").order_by(
        "administration__code", "month"
    ):
        if month is None:
            annual[code] = amount
        else:
            months.setdefault(month, {})[code] = amount
    return annual, months


def allocation_key_decide(*, key: AllocationKey, status: str, user: Any, comment: str = "") -> AllocationKey:
    """Move a key through draft → proposed → approved/rejected, recording who, when and why."""
    allowed = {
        AllocationKey.Status.DRAFT: {AllocationKey.Status.PROPOSED},
        AllocationKey.Status.PROPOSED: {AllocationKey.Status.APPROVED, AllocationKey.Status.REJECTED},
    }
    with transaction.atomic():
        key = AllocationKey.objects.select_for_update().get(pk=key.pk)
        if status not in allowed.get(AllocationKey.Status(key.status), set()):
            raise ValidationError(
                f"Nyckeln har status {key.get_status_display()} och kan inte bli {AllocationKey.Status(status).label}."
            )
        before = key.status
        if status == AllocationKey.Status.APPROVED:
            # A new approved key for the same pools and valid-from supersedes the old one.
            AllocationKey.objects.filter(
                status=AllocationKey.Status.APPROVED, name=key.name, valid_from__year=key.valid_from.year
            ).exclude(pk=key.pk).update(status=AllocationKey.Status.SUPERSEDED)
        key.status = status
        key.comment = comment
        key.decided_by = user if getattr(user, "is_authenticated", False) else None
        key.decided_at = timezone.now()
        key.save()
        audit_record(
            user=user,
            action=f"key.{status}",
            obj_type="allocation_key",
            obj_id=key.pk,
            before={"status": before},
            after={"status": status, "comment": comment},
        )
    return key
