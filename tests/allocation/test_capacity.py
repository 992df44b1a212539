"""What a case and a minute cost: the worked example of the sourcing calculation. No database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from allocation.ledger.capacity import capacity


def test_the_worked_example_of_the_sourcing_calculation():
    # 10 staff × 165 h × 67 % = 66,330 productive minutes; at 5 minutes a case 13,266 cases.
    figures = capacity(
        staff=Decimal(10),
        hours_per_person=Decimal(165),
        utilisation=Decimal("0.67"),
        monthly_cost=Decimal("565750"),
        minutes_per_case=Decimal(5),
        minutes_used=Decimal("66330"),
        cases=13266,
        price_per_minute=Decimal(8),
        price_per_case=Decimal(40),
    )
    assert figures.productive_minutes == Decimal("66330")
    assert figures.capacity_cases == Decimal("13266")
    # Bought at 8 kr a used minute (40 kr a case) the month costs 530,640 kr …
    assert figures.buy_per_minute_cost == Decimal("530640.00") == figures.buy_per_case_cost
    # … run in-house at 565,750 kr a month the same capacity costs 8.53 kr a productive minute
    # and 42.65 kr a case.
    assert figures.cost_per_productive_minute == Decimal("8.53")
    assert figures.cost_per_capacity_case == Decimal("42.65")


def test_unused_capacity_is_shown_apart_not_hidden_in_the_price():
    figures = capacity(
        staff=Decimal(10),
        hours_per_person=Decimal(165),
        utilisation=Decimal("0.67"),
        monthly_cost=Decimal("565750"),
        minutes_used=Decimal("53064"),
        cases=10000,
    )
    assert figures.unused_minutes == Decimal("13266")
    # A fifth of the capacity unused: a fifth of the cost, in kronor, beside the prices.
    assert figures.unused_cost == Decimal("113150.00")
    assert figures.cost_per_used_minute == Decimal("10.66")
    assert figures.cost_per_case == Decimal("56.58")


@pytest.mark.parametrize("utilisation", ["0", "1.5", "-0.1"])
def test_an_impossible_utilisation_is_refused(utilisation):
    with pytest.raises(ValueError, match="Beläggningsgraden"):
        capacity(
            staff=Decimal(1), hours_per_person=Decimal(1), utilisation=Decimal(utilisation), monthly_cost=Decimal(1)
        )
