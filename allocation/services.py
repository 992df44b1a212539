"""Writes for allocation: keys, runs, review. The only way these rows change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from allocation import calculation, robustness
from allocation.calculation import AllocationError
from allocation.models import (
    AllocationKey,
    AllocationRun,
    CostPool,
    FundingLine,
    KeyDecision,
    KeyLoadLine,
    KeyShare,
    RunAmount,
)
from allocation.selectors import (
    co_financing_key,
    latest_charging_run,
    map_owners,
    monthly_volumes,
    months_with_data,
    own_source_ids,
    window_volumes,
)
from cases import formats
from cases.models import Administration, Channel, DataSource, Grouping
from cases.months import month_range, months_back
from cases.selectors import grouping_map_in_force
from cases.services import audit_record

UNITS = {CostPool.Unit.ORE: calculation.ORE, CostPool.Unit.KRONA: calculation.KRONA}


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
    if window_to < window_from:
        raise ValidationError(_("The period's end lies before its start."))
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
    unusual = robustness.unusual_months(totals=totals, shares=monthly_shares)
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
            warnings.append(_("The month %(month)s has no data at all.") % {"month": f"{m:%Y-%m}"})
    for source in DataSource.objects.filter(pk__in=source_ids, delivers_monthly=True):
        missing = [m for m in months if m in any_data and m not in present.get(source.pk, set())]
        if missing:
            warnings.append(
                _("The source %(source)s delivers every month but lacks %(months)s.")
                % {"source": source.name, "months": ", ".join(f"{m:%Y-%m}" for m in missing)}
            )
    return warnings


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
    from decimal import ROUND_HALF_UP

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
        months[number] = {
            c: (q * pool.price).quantize(calculation.ORE, rounding=ROUND_HALF_UP) for c, q in sorted(quantity.items())
        }
        quantities[number] = sum(quantity.values(), Decimal(0))
    return months, quantities


@transaction.atomic
def _priced_run_create(*, pool: CostPool, user: Any) -> AllocationRun:
    """A charging run of a price-based pool; what the prices recover beside the pool's net cost is
    the centre's surplus (or deficit), recorded on the run and shown, never spread."""
    pool = CostPool.objects.select_for_update().get(pk=pool.pk)
    if pool.price is None or pool.price <= 0:
        raise ValidationError(_("The cost pool %(pool)s charges per minute or case but has no price.") % {"pool": pool})
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


@dataclass(frozen=True)
class FundingInput:
    label: str
    amount: Decimal


def _pool_snapshot(pool: CostPool) -> dict[str, Any]:
    return {
        "name": pool.name,
        "year": pool.year,
        "gross_amount": str(pool.gross_amount),
        "key": pool.key_id,
        "unit": pool.unit,
        "co_financing": pool.is_co_financing,
        "pricing": pool.pricing,
        "price": str(pool.price) if pool.price is not None else None,
        "funding": [[f.label, str(f.amount)] for f in pool.funding_lines.order_by("id")],
    }


@transaction.atomic
def cost_pool_save(*, pool: CostPool, user: Any, funding: list[FundingInput] | None = None) -> CostPool:
    """Create or change a cost pool and (if given) replace its central funding lines; audited.

    Refuses a negative net amount, and a second co-financing pool for a year (naming the first).
    A co-financing pool's key, when set, must be a measured key.
    """
    stored = CostPool.objects.filter(pk=pool.pk).first() if pool.pk else None
    before = _pool_snapshot(stored) if stored is not None else None
    cost_pool_check(pool=pool, funding=funding)
    pool.full_clean()
    pool.save()
    if funding is not None:
        pool.funding_lines.all().delete()
        FundingLine.objects.bulk_create([FundingLine(pool=pool, label=f.label, amount=f.amount) for f in funding])
    after = _pool_snapshot(pool)
    if before != after:
        audit_record(
            user=user,
            action="pool.change" if before else "pool.create",
            obj_type="cost_pool",
            obj_id=pool.pk,
            before=before,
            after=after,
        )
    return pool


def cost_pool_check(*, pool: CostPool, funding: list[FundingInput] | None) -> None:
    """The rules a pool must meet before it is saved (the admin's forms ask them too)."""
    if pool.pricing != CostPool.Pricing.KEY:
        if pool.price is None or pool.price <= 0:
            raise ValidationError(_("A pool that charges per minute or case needs a price greater than 0."))
        if pool.is_co_financing:
            raise ValidationError(_("The co-financing pool is allocated by a key, not by price."))
    if pool.is_co_financing:
        other = CostPool.objects.filter(year=pool.year, is_co_financing=True).exclude(pk=pool.pk).first()
        if other is not None:
            raise ValidationError(
                _("%(year)s already has a co-financing pool: %(name)s. A budget year has one co-financing pool.")
                % {"year": pool.year, "name": other.name}
            )
        pool_key = pool.key
        if pool_key is not None and pool_key.kind != AllocationKey.Kind.MEASURED:
            raise ValidationError(
                _("The co-financing pool is allocated by a measured key; key #%(key)s is %(kind)s.")
                % {"key": pool_key.pk, "kind": pool_key.get_kind_display()}
            )
    if funding is not None:
        total = sum((f.amount for f in funding), Decimal(0))
        if any(f.amount < 0 for f in funding):
            raise ValidationError(_("A funding amount cannot be negative."))
        if total > pool.gross_amount:
            raise ValidationError(
                _(
                    "The central funding (%(funding)s) is greater than the gross cost (%(gross)s): "
                    "the net amount would be negative."
                )
                % {"funding": formats.kronor(total), "gross": formats.kronor(pool.gross_amount)}
            )


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


_REFUSALS = {
    "key": {
        "anonymous": gettext_lazy("A decision on a key needs a signed-in user."),
        "service": gettext_lazy("A service account makes no decisions on keys."),
        "propose": gettext_lazy("Only finance staff (finance) propose keys."),
        "decide": gettext_lazy("Only the steering group approves or rejects keys."),
        "own": gettext_lazy(
            "You proposed key #%(id)s and therefore cannot decide on it (four eyes). "
            "Another member of the steering group decides."
        ),
    },
    "settlement": {
        "anonymous": gettext_lazy("A decision on a settlement needs a signed-in user."),
        "service": gettext_lazy("A service account makes no decisions on settlements."),
        "propose": gettext_lazy("Only finance staff (finance) propose settlements."),
        "decide": gettext_lazy("Only the steering group approves or rejects settlements."),
        "own": gettext_lazy(
            "You proposed settlement #%(id)s and therefore cannot decide on it (four eyes). "
            "Another member of the steering group decides."
        ),
    },
}


def decision_refusal(*, obj: Any, kind: str, status: str, user: Any) -> str | None:
    """Why `user` may not move a reviewed record (a key, a settlement) to `status`, or None. The
    one rule for the web, the API and the commands: finance staff propose; the steering group
    approves or rejects; whoever proposed it never approves or rejects it (four eyes), whatever
    groups they are in. `kind` ("key" or "settlement") chooses the messages."""
    from cases import roles

    says = _REFUSALS[kind]
    if not getattr(user, "is_authenticated", False):
        return str(says["anonymous"])
    if roles.is_service_account(user):
        return str(says["service"])
    if status == "proposed":
        return None if roles.is_finance(user) else str(says["propose"])
    if status in ("approved", "rejected"):
        if not roles.is_steering(user):
            return str(says["decide"])
        proposer = obj.decisions.filter(to_status="proposed").order_by("-at", "-id").first()
        if proposer is not None and proposer.user_id == user.pk:
            return str(says["own"]) % {"id": obj.pk}
        return None
    return _("Unknown decision %(status)r; choose proposed, approved or rejected.") % {"status": status}


def key_decision_refusal(*, key: AllocationKey, status: str, user: Any) -> str | None:
    return decision_refusal(obj=key, kind="key", status=status, user=user)


def _notify_decision(*, kind: str, obj: Any, decision: Any, url: str, name: str) -> None:
    """The steering group is told of a proposal; the proposer of the decision, with the comment."""
    from cases.notifications import link, notify, people_in
    from cases.roles import STEERING_GROUP

    with translation.override(settings.LANGUAGE_CODE):  # mail goes out in the site's language
        comment = "\n" + _("Comment: %(comment)s") % {"comment": decision.comment} if decision.comment else ""
        words = {"id": obj.pk, "name": name, "actor": decision.actor}
        if decision.to_status == "proposed":
            subject = (
                _("Key proposed for decision: #%(id)s %(name)s")
                if kind == "key"
                else _("Settlement proposed for decision: #%(id)s %(name)s")
            )
            body = (
                _("%(actor)s proposes key #%(id)s %(name)s for the steering group's decision.")
                if kind == "key"
                else _("%(actor)s proposes settlement #%(id)s %(name)s for the steering group's decision.")
            )
            notify(
                kind="key_proposed",
                event=f"{kind}:{obj.pk}:proposed:{decision.pk}",
                recipients=[u for u in people_in(STEERING_GROUP) if u.pk != decision.user_id],
                subject=subject % words,
                body=body % words + f"{comment}\n{link(url)}",
            )
            return
        proposal = obj.decisions.filter(to_status="proposed").order_by("-at", "-id").first()
        if proposal is not None:
            words["verdict"] = (
                pgettext("decision", "approved")
                if decision.to_status == "approved"
                else pgettext("decision", "rejected")
            )
            subject = (
                _("Key #%(id)s %(name)s is %(verdict)s")
                if kind == "key"
                else _("Settlement #%(id)s %(name)s is %(verdict)s")
            )
            notify(
                kind="key_decided",
                event=f"{kind}:{obj.pk}:{decision.to_status}:{decision.pk}",
                recipients=[proposal.user],
                subject=subject % words,
                body=_("%(actor)s has decided: %(verdict)s.") % words + f"{comment}\n{link(url)}",
            )


def allocation_key_decide(*, key: AllocationKey, status: str, user: Any, comment: str = "") -> AllocationKey:
    """Move a key through draft → proposed → approved/rejected. Each step is its own record
    (KeyDecision: who, when, comment) and an audit entry; refused with a reason (ValidationError,
    or PermissionDenied for who may not) when the step or the person is not allowed."""
    from django.core.exceptions import PermissionDenied

    allowed = {
        AllocationKey.Status.DRAFT: {AllocationKey.Status.PROPOSED},
        AllocationKey.Status.PROPOSED: {AllocationKey.Status.APPROVED, AllocationKey.Status.REJECTED},
    }
    with transaction.atomic():
        key = AllocationKey.objects.select_for_update().get(pk=key.pk)
        refusal = key_decision_refusal(key=key, status=status, user=user)
        if refusal:
            raise PermissionDenied(refusal)
        if status not in allowed.get(AllocationKey.Status(key.status), set()):
            raise ValidationError(
                _("The key has status %(status)s and cannot become %(new)s.")
                % {"status": key.get_status_display(), "new": AllocationKey.Status(status).label}
            )
        before = key.status
        if status == AllocationKey.Status.APPROVED:
            # A new approved key for the same pools and valid-from supersedes the old one.
            AllocationKey.objects.filter(
                status=AllocationKey.Status.APPROVED, name=key.name, valid_from__year=key.valid_from.year
            ).exclude(pk=key.pk).update(status=AllocationKey.Status.SUPERSEDED)
        key.status = status
        if status != AllocationKey.Status.PROPOSED:
            key.decided_by = user
            key.decided_at = timezone.now()
        key.save()
        decision = KeyDecision.objects.create(
            key=key, from_status=before, to_status=status, user=user, actor=user.get_username(), comment=comment
        )
        _notify_decision(kind="key", obj=key, decision=decision, url=f"/allocation/keys/{key.pk}/", name=key.name)
        audit_record(
            user=user,
            action=f"key.{status}",
            obj_type="allocation_key",
            obj_id=key.pk,
            before={"status": before},
            after={"status": status, "comment": comment},
        )
    return key


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


def allocation_what_if(
    *, key: AllocationKey, changes: dict[str, list[calculation.MapOwner]], amount: Decimal | None = None
) -> tuple[dict[str, Decimal], list[Any]]:
    """The shares (and amounts) a measured key would give with some groupings moved or split.

    Nothing is saved. `changes` maps a grouping code to its new owners (an owner of None
    makes it central). Returns the new loads and the comparison with the key.
    """
    from allocation.comparison import compare_loads

    if key.kind != AllocationKey.Kind.MEASURED or key.map_version is None:
        raise ValidationError(_("A what-if analysis needs a measured key."))
    errors = []
    admins = set(Administration.objects.values_list("code", flat=True))
    for grouping, owners in changes.items():
        total = sum((o.fraction for o in owners), Decimal(0))
        if total != 1:
            errors.append(
                _("Grouping %(code)s: the fractions add up to %(total)s, not 1.") % {"code": grouping, "total": total}
            )
        bad = [o.administration for o in owners if o.administration is not None and o.administration not in admins]
        if bad:
            errors.append(
                _("Grouping %(code)s: unknown administrations %(codes)s.") % {"code": grouping, "codes": ", ".join(bad)}
            )
    if errors:
        raise ValidationError(errors)
    grouping_map = map_owners(key.map_version)
    grouping_map.update(changes)
    source_ids = list(DataSource.objects.filter(name__in=key.sources).values_list("id", flat=True))
    assert key.window_from is not None and key.window_to is not None
    cells = window_volumes(window_from=key.window_from, window_to=key.window_to, source_ids=source_ids)
    weights = {code: Decimal(w) for code, w in key.channel_weights.items()}
    try:
        result = calculation.measured_loads(
            cells=cells,
            grouping_map=grouping_map,
            basis=key.basis,
            channel_weights=weights,
            administrations=sorted(admins),
        )
        calculation.check_loads(result)
        comparison = compare_loads(dict(key.shares.values_list("administration__code", "load")), result.loads, amount)
    except AllocationError as exc:
        raise ValidationError(str(exc)) from exc
    return result.loads, comparison


@transaction.atomic
def grouping_map_what_if_save(
    *, key: AllocationKey, changes: dict[str, list[calculation.MapOwner]], valid_from: date, user: Any = None
) -> Any:
    """Save the what-if's changed groupings as a draft map change dated `valid_from` (never in
    force; finance staff make it real through the map editing, which checks and audits it)."""
    from cases.services import MapRow, grouping_map_version_create

    if key.map_version is None:
        raise ValidationError(_("The key has no grouping map to start from."))
    names = dict(Grouping.objects.values_list("code", "name"))
    rows = [
        MapRow(i, code, names.get(code, code), o.administration or "", o.fraction, o.administration is None)
        for i, (code, group) in enumerate(sorted(changes.items()), start=1)
        for o in group
    ]
    return grouping_map_version_create(
        valid_from=valid_from,
        rows=rows,
        name=(_("What-if – starting from key #%(key)s") % {"key": key.pk}),
        is_draft=True,
        user=user,
    )


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
                "months": ", ".join(f"{m:%Y-%m}" for m in touched),
                "at": stamp,
            }
        key.warnings = [*key.warnings, warning]
        key.save(update_fields=["warnings"])
        flagged += 1
    return flagged


def rolling_shares(*, month: date) -> dict[str, Any]:
    """The measured share over the 12 months ending with `month` (map in force that month),
    beside the share in the approved key in force then: the drift the steering group watches."""
    end = month.replace(day=1)
    start = months_back(end, 12)[0]
    version = grouping_map_in_force(on=end)
    if version is None:
        raise ValidationError(_("No grouping map is in force in %(month)s.") % {"month": f"{end:%Y-%m}"})
    approved = co_financing_key(year=end.year)
    basis = approved.basis if approved and approved.basis else AllocationKey.Basis.CASES
    weights = {c.code: c.weight for c in Channel.objects.all()}
    admins = list(Administration.objects.values_list("code", flat=True))
    result = calculation.measured_loads(
        cells=window_volumes(window_from=start, window_to=end, source_ids=own_source_ids()),
        grouping_map=map_owners(version),
        basis=basis,
        channel_weights=weights,
        administrations=admins,
    )
    measured = calculation.percentages(result.loads) if any(result.loads.values()) else {}
    in_key = {}
    if approved is not None:
        loads = dict(approved.shares.values_list("administration__code", "load"))
        in_key = calculation.percentages(loads) if any(loads.values()) else {}
    return {
        "month": f"{end:%Y-%m}",
        "window": [f"{start:%Y-%m}", f"{end:%Y-%m}"],
        "basis": basis,
        "approved_key": approved.pk if approved else None,
        "administrations": {
            code: {
                "rolling_percent": str(measured.get(code, Decimal(0))),
                "key_percent": str(in_key[code]) if code in in_key else None,
                "drift_pp": str(measured.get(code, Decimal(0)) - in_key[code]) if code in in_key else None,
            }
            for code in sorted(admins)
        },
    }
