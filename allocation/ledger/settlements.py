"""The year-end settlement (avräkning) of a co-financing pool: computed as a draft, one per pool
and year (DESIGN §4), decided with four eyes like keys, and posted to the ledger journal once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allocation.ledger import postings
from allocation.ledger.journal import (
    FORMATS,
    PostingFile,
    check_format,
    journal_held,
    journal_write,
    posting_content,
    posting_settings,
)
from allocation.models import CostPool, JournalLine
from allocation.runs.allocate import run_amounts
from cases.models import Administration
from cases.services import audit_record


def open_settlement(pool: Any) -> Any:
    """The pool's proposed or approved settlement (at most one: DESIGN §4), or None."""
    from allocation.models import Settlement

    return Settlement.objects.filter(pool=pool, status__in=["proposed", "approved"]).order_by("-pk").first()


def _refuse_second_settlement(pool: Any, *, exclude: int | None = None) -> None:
    other = open_settlement(pool)
    if other is not None and other.pk != exclude:
        raise ValidationError(
            _(
                "%(pool)s already has settlement #%(id)s (%(status)s): one settlement per pool and year. "
                "A rejected settlement does not count; reject #%(id)s first if it is wrong."
            )
            % {"pool": pool, "id": other.pk, "status": other.get_status_display()}
        )


@transaction.atomic
def settlement_create(
    *, pool: Any, tolerance_pp: Decimal = Decimal(0), user: Any = None, missing_months_confirmed: bool = False
) -> Any:
    """Settle a co-financing pool's year: the charged amounts (the pool's newest charging run)
    against what the year's measured volume says (same basis, the map the key used), so that
    settlement = measured − charged per administration and the settlements add up to zero.
    With a tolerance, administrations whose measured share is within it of their key share are
    not settled; the rest share what remains by measured volume. Largest remainder throughout."""
    from datetime import date

    from allocation import calculation
    from allocation.models import AllocationKey, CostPool, Settlement, SettlementLine
    from allocation.runs.allocate import UNITS
    from allocation.selectors import (
        latest_charging_run,
        map_owners,
        months_with_data,
        own_source_ids,
        window_volumes,
    )

    if not pool.is_co_financing:
        raise ValidationError(
            _("Settlement is made for the year's co-financing pool; %(pool)s is not one.") % {"pool": pool}
        )
    pool = CostPool.objects.select_for_update().get(pk=pool.pk)  # one settlement of a pool at a time
    _refuse_second_settlement(pool)
    run = latest_charging_run(pool)
    if run is None:
        raise ValidationError(_("The cost pool %(pool)s has no charging run to settle.") % {"pool": pool})
    key = run.key
    if key.kind != AllocationKey.Kind.MEASURED or key.map_version is None:
        raise ValidationError(_("Settlement needs a measured key (with a basis and a grouping map)."))
    if tolerance_pp < 0 or tolerance_pp > 100:
        raise ValidationError(_("The tolerance is given in percentage points between 0 and 100."))
    start, end = date(pool.year, 1, 1), date(pool.year, 12, 1)
    sources = own_source_ids()
    charged, _months = run_amounts(run)
    codes = sorted(charged)
    try:
        result = calculation.measured_loads(
            cells=window_volumes(window_from=start, window_to=end, source_ids=sources),
            grouping_map=map_owners(key.map_version),
            basis=key.basis,
            channel_weights={c: Decimal(w) for c, w in key.channel_weights.items()},
            administrations=codes,
        )
        calculation.check_loads(result)
    except calculation.AllocationError as exc:
        raise ValidationError(_("The year's measured volume cannot be used: %(error)s") % {"error": exc}) from exc
    measured_loads = {c: result.loads.get(c, Decimal(0)) for c in codes}
    key_loads = dict(key.shares.values_list("administration__code", "load"))
    key_pct = calculation.percentages({c: key_loads.get(c, Decimal(0)) for c in codes})
    measured_pct = calculation.percentages(measured_loads)
    net = sum(charged.values(), Decimal(0))
    unit = UNITS[CostPool.Unit(run.unit)]
    inside = {c for c in codes if tolerance_pp and abs(measured_pct[c] - key_pct[c]) <= tolerance_pp}
    outside = [c for c in codes if c not in inside]
    measured_amounts = {c: charged[c] for c in inside}
    remaining = net - sum((charged[c] for c in inside), Decimal(0))
    if outside:
        loads_outside = {c: measured_loads[c] for c in outside}
        if not any(loads_outside.values()):
            measured_amounts.update({c: charged[c] for c in outside})
        else:
            measured_amounts.update(calculation.largest_remainder(remaining, loads_outside, unit))
    present = months_with_data(window_from=start, window_to=end, source_ids=sources)
    seen = set().union(*present.values()) if present else set()
    missing = [f"{m:%Y-%m}" for m in (date(pool.year, k, 1) for k in range(1, 13)) if m not in seen]
    if missing and not missing_months_confirmed:
        raise ValidationError(
            _(
                "%(count)s months of %(year)s have no data: %(months)s. A settlement of a year with months "
                "without data settles on what was measured in the others; confirm that explicitly "
                "(--missing-months-confirmed, or the confirmation box) if that is what you want."
            )
            % {"count": len(missing), "year": pool.year, "months": ", ".join(missing)}
        )
    settlement = Settlement(
        pool=pool,
        run=run,
        tolerance_pp=tolerance_pp,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        inputs={
            "run": run.pk,
            "key": key.pk,
            "basis": key.basis,
            "map_version": key.map_version_id,
            "net": str(net),
            "measured_loads": {c: str(v) for c, v in measured_loads.items()},
            "months_without_data": missing,
        },
    )
    settlement.save()
    admins = dict(Administration.objects.values_list("code", "id"))
    SettlementLine.objects.bulk_create(
        [
            SettlementLine(
                settlement=settlement,
                administration_id=admins[c],
                charged=charged[c],
                measured=measured_amounts[c],
                key_percent=key_pct[c],
                measured_percent=measured_pct[c],
                amount=measured_amounts[c] - charged[c],
            )
            for c in codes
        ]
    )
    assert sum((measured_amounts[c] - charged[c] for c in codes), Decimal(0)) == 0
    audit_record(
        user=user,
        action="settlement.create",
        obj_type="settlement",
        obj_id=settlement.pk,
        after={"pool": pool.pk, "run": run.pk, "amounts": {c: str(measured_amounts[c] - charged[c]) for c in codes}},
    )
    return settlement


def settlement_decision_refusal(*, settlement: Any, status: str, user: Any) -> str | None:
    from allocation.keys.decisions import decision_refusal

    return decision_refusal(obj=settlement, kind="settlement", status=status, user=user)


def settlement_decide(*, settlement: Any, status: str, user: Any, comment: str = "") -> Any:
    from django.core.exceptions import PermissionDenied

    from allocation.models import Settlement, SettlementDecision

    allowed = {"draft": {"proposed"}, "proposed": {"approved", "rejected"}}
    with transaction.atomic():
        settlement = Settlement.objects.select_for_update().get(pk=settlement.pk)
        refusal = settlement_decision_refusal(settlement=settlement, status=status, user=user)
        if refusal:
            raise PermissionDenied(refusal)
        if status not in allowed.get(settlement.status, set()):
            raise ValidationError(
                _("The settlement has status %(status)s and cannot become %(new)s.")
                % {"status": settlement.get_status_display(), "new": status}
            )
        if status == "proposed":
            CostPool.objects.select_for_update().get(pk=settlement.pool_id)
            _refuse_second_settlement(settlement.pool, exclude=settlement.pk)
        before = settlement.status
        Settlement.objects.filter(pk=settlement.pk).update(status=status)
        settlement.status = status
        from allocation.keys.decisions import decision_record

        decision = decision_record(
            SettlementDecision, settlement=settlement, user=user, before=before, status=status, comment=comment
        )
        from allocation.keys.decisions import notify_decision

        notify_decision(
            kind="settlement",
            obj=settlement,
            decision=decision,
            url=f"/allocation/avrakning/{settlement.pk}/",
            name=str(settlement.pool),
        )
        audit_record(
            user=user,
            action=f"settlement.{status}",
            obj_type="settlement",
            obj_id=settlement.pk,
            before={"status": before},
            after={"status": status, "comment": comment},
        )
    return settlement


def _settlement_plan(*, settlement: Any, settings: postings.PostingSettings) -> list[postings.Voucher]:
    """An approved settlement as one voucher dated 31 December (positive settlements debited,
    refunds credited on each administration's cost centre; it balances because they sum to zero),
    less what the journal already holds of it."""
    from datetime import date

    lines = list(settlement.lines.select_related("administration"))
    missing = [line.administration.code for line in lines if line.amount and not line.administration.cost_centre]
    if missing:
        raise ValidationError(_("Cost centre missing for: %(codes)s.") % {"codes": ", ".join(missing)})
    target: dict[postings.Cell, Decimal] = {}
    for line in lines:
        if line.amount:
            cell = (12, settings.charge_account, line.administration.cost_centre)
            target[cell] = target.get(cell, Decimal(0)) + line.amount
    held = journal_held(pool=settlement.pool, kind=JournalLine.Kind.SETTLEMENT, settlement=settlement)
    difference = postings.journal_difference(target=target, held=held)
    labels = {f"{line.administration.cost_centre}": f"{line.administration.code} avräkning" for line in lines}
    year = settlement.pool.year
    if not difference:
        return []
    # Voucher texts are the ledger's, in Swedish whatever the interface language.
    voucher = postings.Voucher(
        1,
        date(year, 12, 31),
        f"Avräkning medfinansiering {year}",
        [
            postings.Line(account, cc, amount, labels.get(cc, cc), month)
            for (month, account, cc), amount in sorted(difference.items())
        ],
    )
    if voucher.balance != 0:
        raise ValidationError(_("The settlement does not balance; it cannot be posted."))
    return [voucher]


def _check_approved(settlement: Any) -> None:
    if settlement.status != "approved":
        raise ValidationError(_("Only an approved settlement is posted."))


def settlement_postings(*, settlement: Any, fmt: str) -> PostingFile:
    """A preview of what posting the approved settlement would carry; records nothing."""
    check_format(fmt)
    _check_approved(settlement)
    settings = posting_settings()
    vouchers = _settlement_plan(settlement=settlement, settings=settings)
    content = posting_content(
        vouchers, settings=settings, fmt=fmt, year=settlement.pool.year, stamp=settlement.created_at
    )
    content_type, extension = FORMATS[fmt]
    return PostingFile(
        content, f"forhandsvisning-avrakning-{settlement.pk}.{extension}", content_type, None, len(vouchers)
    )


def settlement_post(*, settlement: Any, fmt: str, user: Any = None) -> PostingFile:
    """Post an approved settlement to the ledger journal, once: posting it again posts nothing."""
    from allocation.models import Settlement

    check_format(fmt)
    with transaction.atomic():
        CostPool.objects.select_for_update().get(pk=settlement.pool_id)
        settlement = Settlement.objects.select_related("pool").get(pk=settlement.pk)  # its status now
        _check_approved(settlement)
        settings = posting_settings()
        vouchers = _settlement_plan(settlement=settlement, settings=settings)
        content = posting_content(
            vouchers, settings=settings, fmt=fmt, year=settlement.pool.year, stamp=settlement.created_at
        )
        posting = None
        if vouchers:
            posting = journal_write(
                pool=settlement.pool,
                run=None,
                settlement=settlement,
                kind=JournalLine.Kind.SETTLEMENT,
                fmt=fmt,
                month=None,
                vouchers=vouchers,
                content=content,
                user=user,
                settings=settings,
            )
    content_type, extension = FORMATS[fmt]
    return PostingFile(
        content,
        f"avrakning-{settlement.pk}.{extension}",
        content_type,
        None,
        len(vouchers),
        posting.pk if posting else None,
    )
