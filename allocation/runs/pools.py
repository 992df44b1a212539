"""Cost pools: the rules a pool meets (one co-financing pool a year, funding not above the gross
cost, a price for price-based pools) and its audited save with its funding lines."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allocation.funding.sources import funding_source_for_label, register_funding
from allocation.models import (
    AllocationKey,
    CostPool,
    FundingLine,
)
from cases import formats
from cases.services import audit_record


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
        # A line sent back with its label unchanged keeps its source (a renamed source stays one).
        kept = {
            line.label.strip().casefold(): line.source
            for line in pool.funding_lines.select_related("source")
            if line.source is not None
        }
        pool.funding_lines.all().delete()
        # Each line names a source of the register (allocation.funding); an unknown name registers one.
        lines = []
        for f in funding:
            source = kept.get(f.label.strip().casefold())
            if source is None:
                source = funding_source_for_label(label=f.label, user=user)
                label = source.name
            else:  # the label keeps the name the line was made with
                label = f.label.strip()
            lines.append(FundingLine(pool=pool, label=label, amount=f.amount, source=source))
        FundingLine.objects.bulk_create(lines)
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


@transaction.atomic
def cost_pool_fill_funding(*, pool: CostPool, user: Any) -> CostPool:
    """Replace the pool's funding lines with the register's amounts for the pool's year (audited
    as a change of the pool; refused like any change once a charging run used the lines)."""
    funding = [FundingInput(source.name, amount) for source, amount in register_funding(pool.year)]
    return cost_pool_save(pool=pool, user=user, funding=funding)


@transaction.atomic
def cost_pool_delete(*, pool: CostPool, user: Any) -> None:
    """Delete a cost pool that no run used (the admin offers no other); audited with what it held."""
    if pool.runs.exists():
        raise ValidationError(_("The cost pool %(pool)s has runs and is kept for the record.") % {"pool": pool})
    adjustments = list(pool.frame_adjustments.order_by("id").values_list("id", flat=True))
    if adjustments:
        raise ValidationError(
            _("The cost pool %(pool)s has frame adjustments (%(adjustments)s) and is kept for the record.")
            % {"pool": pool, "adjustments": ", ".join(f"#{pk}" for pk in adjustments)}
        )
    before = _pool_snapshot(pool)
    pk = pool.pk
    pool.delete()
    audit_record(user=user, action="pool.delete", obj_type="cost_pool", obj_id=pk, before=before)


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
    if funding is not None and pool.pk is not None:
        funding_frozen_check(pool=pool, funding=funding)
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


def funding_frozen_check(*, pool: CostPool, funding: list[FundingInput]) -> None:
    """What a charging run deducted stays what it was: once a charging run used the pool, its
    funding lines are frozen (an unchanged list passes; names compared with case ignored)."""
    stored = [(f.label.casefold(), f.amount) for f in FundingLine.objects.filter(pool_id=pool.pk).order_by("id")]
    wanted = [(f.label.strip().casefold(), f.amount) for f in funding]  # Decimals compare by value
    if wanted != stored and pool.runs.filter(is_charging=True).exists():
        raise ValidationError(
            _("The cost pool %(pool)s has a charging run: its central funding lines are frozen.") % {"pool": pool}
        )
