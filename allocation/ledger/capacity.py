"""What a case and a minute cost (time-driven, as in the sourcing calculation behind the original
decision), and what buying the service would cost instead. Pure: no database.

Unused capacity is shown apart, in minutes and kronor, never hidden inside a price."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from allocation.calculation import round_kronor


@dataclass(frozen=True)
class CapacityFigures:
    productive_minutes: Decimal
    capacity_cases: Decimal | None  # at the given minutes per case
    cost_per_productive_minute: Decimal
    cost_per_capacity_case: Decimal | None
    minutes_used: Decimal
    cases: int
    cost_per_used_minute: Decimal | None
    cost_per_case: Decimal | None
    unused_minutes: Decimal
    unused_cost: Decimal
    buy_per_minute_cost: Decimal | None  # the used minutes at the price per minute
    buy_per_case_cost: Decimal | None
    buy_capacity_cost: Decimal | None  # the whole capacity at the price per minute
    monthly_cost: Decimal


def capacity(
    *,
    staff: Decimal,
    hours_per_person: Decimal,
    utilisation: Decimal,
    monthly_cost: Decimal,
    minutes_used: Decimal = Decimal(0),
    cases: int = 0,
    minutes_per_case: Decimal | None = None,
    price_per_minute: Decimal | None = None,
    price_per_case: Decimal | None = None,
) -> CapacityFigures:
    """Capacity = staff × hours a month × 60 × utilisation (productive minutes)."""
    if not (Decimal(0) < utilisation <= Decimal(1)):
        raise ValueError(_("The occupancy rate must be greater than 0 and at most 100 %."))
    if staff <= 0 or hours_per_person <= 0:
        raise ValueError(_("The number of staff and hours per month must be greater than 0."))
    productive = staff * hours_per_person * 60 * utilisation
    capacity_cases = (productive / minutes_per_case) if minutes_per_case else None
    per_productive = round_kronor(monthly_cost / productive)
    unused = max(productive - minutes_used, Decimal(0))
    return CapacityFigures(
        productive_minutes=productive,
        capacity_cases=capacity_cases,
        cost_per_productive_minute=per_productive,
        cost_per_capacity_case=round_kronor(monthly_cost / capacity_cases) if capacity_cases else None,
        minutes_used=minutes_used,
        cases=cases,
        cost_per_used_minute=round_kronor(monthly_cost / minutes_used) if minutes_used else None,
        cost_per_case=round_kronor(monthly_cost / cases) if cases else None,
        unused_minutes=unused,
        unused_cost=round_kronor(monthly_cost * unused / productive),
        buy_per_minute_cost=round_kronor(minutes_used * price_per_minute) if price_per_minute is not None else None,
        buy_per_case_cost=round_kronor(cases * price_per_case) if price_per_case is not None else None,
        buy_capacity_cost=round_kronor(productive * price_per_minute) if price_per_minute is not None else None,
        monthly_cost=monthly_cost,
    )
