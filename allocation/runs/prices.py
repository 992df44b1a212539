"""Prices of a price-based pool, decided like keys (DESIGN §4): finance staff propose the pool's
price, another person of the steering group approves it, and a charging run uses only the pool's
approved price. An approved price never changes (the database refuses it); a newer approved price
supersedes it, so a run's price is always the one it was made with."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allocation.keys.decisions import decision_record, decision_refusal, notify_decision
from allocation.models import CostPool, PoolPrice, PriceDecision
from cases import formats
from cases.services import audit_record


def approved_price(pool: CostPool) -> PoolPrice | None:
    return PoolPrice.objects.filter(pool=pool, status=PoolPrice.Status.APPROVED).first()


def pending_price(pool: CostPool) -> PoolPrice | None:
    return PoolPrice.objects.filter(pool=pool, status=PoolPrice.Status.PROPOSED).order_by("-pk").first()


def pool_price_decide(*, pool: CostPool, status: str, user: Any, comment: str = "") -> PoolPrice:
    """Propose the pool's price as it stands (finance), or approve/reject the proposed one (the
    steering group, never the proposer). Each step is recorded, audited and told like a key's."""
    with transaction.atomic():
        pool = CostPool.objects.select_for_update().get(pk=pool.pk)
        if pool.pricing == CostPool.Pricing.KEY:
            raise ValidationError(_("The cost pool %(pool)s is shared by a key; it has no price.") % {"pool": pool})
        if status == "proposed":
            refusal = decision_refusal(obj=None, kind="price", status=status, user=user)
            if refusal:
                raise PermissionDenied(refusal)
            if pool.price is None or pool.price <= 0:
                raise ValidationError(_("Give the pool a price greater than 0 before proposing it."))
            if pending_price(pool) is not None:
                raise ValidationError(
                    _("A price of %(pool)s is already proposed; decide on it first.") % {"pool": pool}
                )
            price = PoolPrice.objects.create(pool=pool, pricing=pool.pricing, price=pool.price)
            before = "draft"
        else:
            price_or_none = pending_price(pool)
            if price_or_none is None:
                raise ValidationError(_("No price of %(pool)s is proposed.") % {"pool": pool})
            price = price_or_none
            refusal = decision_refusal(obj=price, kind="price", status=status, user=user)
            if refusal:
                raise PermissionDenied(refusal)
            if status == PoolPrice.Status.APPROVED:
                PoolPrice.objects.filter(pool=pool, status=PoolPrice.Status.APPROVED).update(
                    status=PoolPrice.Status.SUPERSEDED
                )
            PoolPrice.objects.filter(pk=price.pk).update(status=status)
            price.status = status
            before = "proposed"
        decision = decision_record(PriceDecision, price=price, user=user, before=before, status=status, comment=comment)
        notify_decision(
            kind="price",
            obj=price,
            decision=decision,
            url=f"/allocation/pools/{pool.pk}/",
            name=f"{pool} {formats.kronor(price.price)}",
        )
        audit_record(
            user=user,
            action=f"price.{status}",
            obj_type="pool_price",
            obj_id=price.pk,
            before={"status": before},
            after={"status": status, "pool": pool.pk, "price": str(price.price), "pricing": price.pricing},
        )
    return price


def price_summary(price: PoolPrice) -> str:
    return f"{formats.kronor(price.price)} ({price.get_pricing_display()})"
