"""The three ways the decision weighed, side by side for a year and per administration: the
co-financing key's amounts, buy-and-sell (the price-based pools' charges) and the frame
adjustment; with what each model means for an administration."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from allocation import calculation
from allocation.frames.adjustments import (
    adjustment_changes,
    co_financing_amounts,
    frame_changes,
    latest_frame_adjustment,
)
from allocation.models import CostPool
from allocation.runs.allocate import UNITS, cost_pool_net_amount, priced_amounts, run_amounts
from allocation.selectors import key_loads, latest_charging_run
from cases.selectors import administration_names


@dataclass(frozen=True)
class ComparisonRow:
    code: str
    name: str
    co_financing: Decimal | None
    buy_and_sell: Decimal | None
    frame_change: Decimal | None


@dataclass(frozen=True)
class Comparison:
    year: int
    rows: tuple[ComparisonRow, ...]
    centre_frame_change: Decimal | None
    notes: dict[str, str]

    def total(self, field: str) -> Decimal | None:
        values = [getattr(r, field) for r in self.rows if getattr(r, field) is not None]
        return sum(values, Decimal(0)) if values else None


def model_meanings() -> list[tuple[str, str]]:
    """What each model means for an administration, in the reader's language."""
    return [
        (
            _("Co-financing key"),
            _(
                "The administration pays its share of the centre's net cost by the approved key, as an "
                "internal charge each month; its budget frame stays as it is."
            ),
        ),
        (
            _("Buy and sell"),
            _(
                "The administration pays a price per measured minute or case it uses: it pays for what it "
                "uses, and what the prices do not recover stays with the centre as a surplus or deficit."
            ),
        ),
        (
            _("Frame adjustment"),
            _(
                "No charges: the administration's budget frame shrinks by its part once, and the centre's "
                "frame grows by the net cost. Nothing is posted; a later change of use moves no money until "
                "the frames are adjusted again."
            ),
        ),
    ]


def buy_and_sell_amounts(year: int) -> tuple[dict[str, Decimal] | None, str]:
    """Each administration's charge summed over the year's price-based pools: a pool's newest
    charging run, or (before one) its price × the year's measured quantities."""
    pools = list(CostPool.objects.filter(year=year).exclude(pricing=CostPool.Pricing.KEY).order_by("name"))
    if not pools:
        return None, _("%(year)s has no price-based pool.") % {"year": year}
    total: dict[str, Decimal] = {}
    notes = []
    for pool in pools:
        run = latest_charging_run(pool)
        if run is not None:
            amounts = run_amounts(run)[0]
            notes.append(_("%(pool)s: charging run #%(id)s") % {"pool": pool, "id": run.pk})
        elif pool.price is not None:
            months, _quantities = priced_amounts(pool=pool)
            amounts = {}
            for month in months.values():
                for code, amount in month.items():
                    amounts[code] = amounts.get(code, Decimal(0)) + amount
            notes.append(_("%(pool)s: the price × the measured quantities (no run yet)") % {"pool": pool})
        else:
            continue
        for code, amount in amounts.items():
            total[code] = total.get(code, Decimal(0)) + amount
    return total, "; ".join(notes)


def frame_amounts(year: int) -> tuple[Decimal | None, dict[str, Decimal] | None, str]:
    """The newest frame-adjustment run of the year, or what one would give now (not stored)."""
    adjustment = latest_frame_adjustment(year)
    if adjustment is not None:
        centre, changes = adjustment_changes(adjustment)
        return centre, changes, _("frame adjustment #%(id)s") % {"id": adjustment.pk}
    pool = CostPool.objects.filter(year=year, is_co_financing=True).select_related("key").first()
    if pool is None or pool.key is None or pool.key.status != "approved":
        return None, None, _("no co-financing pool with an approved key")
    try:
        centre, changes = frame_changes(
            cost_pool_net_amount(pool), key_loads(pool.key), UNITS[CostPool.Unit(pool.unit)]
        )
    except (calculation.AllocationError, ValidationError) as exc:
        return None, None, str(exc)
    return centre, changes, _("computed with the pool's approved key (no frame adjustment yet)")


def models_compared(year: int) -> Comparison:
    _pool, co_financing, co_note = co_financing_amounts(year)
    buy_sell, buy_note = buy_and_sell_amounts(year)
    centre, frames, frame_note = frame_amounts(year)
    names = administration_names()
    codes = sorted(set(co_financing or {}) | set(buy_sell or {}) | set(frames or {}))
    rows = tuple(
        ComparisonRow(
            code=code,
            name=names.get(code, ""),
            co_financing=(co_financing or {}).get(code) if co_financing is not None else None,
            buy_and_sell=(buy_sell or {}).get(code, Decimal(0)) if buy_sell is not None else None,
            frame_change=(frames or {}).get(code) if frames is not None else None,
        )
        for code in codes
    )
    return Comparison(
        year=year,
        rows=rows,
        centre_frame_change=centre,
        notes={"co_financing": co_note, "buy_and_sell": buy_note, "frame": frame_note},
    )
