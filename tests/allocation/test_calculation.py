"""The pure arithmetic: worked examples from DESIGN.md §4 and properties for any input."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation.calculation import (
    KRONA,
    ORE,
    AllocationError,
    MapOwner,
    VolumeCell,
    check_loads,
    fixed_key_check,
    largest_remainder,
    measured_loads,
    monthly_split,
    net_amount,
    percentages,
    shares,
)


def test_split_never_loses_or_invents_an_ore():
    # given three administrations with equal load, when 100.00 kr is split,
    # then the spare öre goes to the lowest code and the total is exact
    amounts = largest_remainder(Decimal("100.00"), {"C": Decimal(1), "A": Decimal(1), "B": Decimal(1)})
    assert amounts == {"A": Decimal("33.34"), "B": Decimal("33.33"), "C": Decimal("33.33")}


def test_the_largest_remainder_gets_the_spare_unit_before_a_lower_code():
    # 10 kr by 1:2:7 in whole kronor is exact; by 1:1:1 in kronor the spare krona goes to A.
    assert largest_remainder(Decimal(10), {"A": Decimal(1), "B": Decimal(2), "C": Decimal(7)}, KRONA) == {
        "A": Decimal(1),
        "B": Decimal(2),
        "C": Decimal(7),
    }
    # 1.00 kr by 0.155 : 0.845 → 15.5 öre and 84.5 öre: equal remainders, the lower code wins.
    assert largest_remainder(Decimal("1.00"), {"X": Decimal("0.155"), "Y": Decimal("0.845")}) == {
        "X": Decimal("0.16"),
        "Y": Decimal("0.84"),
    }
    # 1.00 kr by 1:2 → 33.33… and 66.66…: the larger remainder (.67) wins over the lower code.
    assert largest_remainder(Decimal("1.00"), {"A": Decimal(1), "B": Decimal(2)}) == {
        "A": Decimal("0.33"),
        "B": Decimal("0.67"),
    }


def test_percentages_with_two_decimals_add_up_to_100():
    p = percentages({"A": Decimal(1), "B": Decimal(1), "C": Decimal(1)})
    assert p == {"A": Decimal("33.34"), "B": Decimal("33.33"), "C": Decimal("33.33")}
    assert sum(p.values()) == Decimal("100.00")


def test_months_add_up_to_the_year_with_spare_ore_in_the_first_months():
    months = monthly_split({"UF": Decimal("100.00")})["UF"]
    assert months[1] == Decimal("8.34") and months[4] == Decimal("8.34") and months[5] == Decimal("8.33")
    assert sum(months.values()) == Decimal("100.00")


def test_a_zero_total_load_is_refused_not_divided():
    with pytest.raises(AllocationError, match="noll"):
        largest_remainder(Decimal(100), {"A": Decimal(0), "B": Decimal(0)})
    with pytest.raises(AllocationError, match="noll"):
        shares({"A": Decimal(0)})


def test_an_amount_that_is_not_whole_units_is_refused():
    with pytest.raises(AllocationError, match="helt antal"):
        largest_remainder(Decimal("100.50"), {"A": Decimal(1)}, KRONA)


def test_a_negative_pool_is_refused():
    with pytest.raises(AllocationError, match="negativt"):
        net_amount(Decimal(100), [Decimal(60), Decimal(50)])
    assert net_amount(Decimal("18400000.00"), [Decimal("2100000"), Decimal("1250000")]) == Decimal("15050000.00")


def test_fixed_keys_must_add_up_to_100():
    fixed_key_check({"A": Decimal("60"), "B": Decimal("40")})
    with pytest.raises(AllocationError, match=r"99[,.]9"):
        fixed_key_check({"A": Decimal("60"), "B": Decimal("39.9")})


MAP = {
    "G1": [MapOwner("A", Decimal(1))],
    "G2": [MapOwner("A", Decimal("0.25")), MapOwner("B", Decimal("0.75"))],
    "CEN": [MapOwner(None, Decimal(1))],
}
CELLS = [
    VolumeCell("G1", "phone", 100, 30_000),
    VolumeCell("G1", "email", 40, 8_000),
    VolumeCell("G2", "phone", 200, 60_000),
    VolumeCell("CEN", "phone", 1000, 100_000),
]


def test_measured_loads_by_cases_split_groupings_fractionally_and_leave_central_out():
    result = measured_loads(
        cells=CELLS, grouping_map=MAP, basis="cases", channel_weights={}, administrations=["A", "B", "C"]
    )
    assert result.loads == {"A": Decimal(190), "B": Decimal(150), "C": Decimal(0)}
    assert result.central_load == Decimal(1000)
    assert shares(result.loads)["A"] == Decimal("0.558823529412")


def test_measured_loads_by_minutes_and_by_weighted_channels():
    minutes = measured_loads(
        cells=CELLS, grouping_map=MAP, basis="minutes", channel_weights={}, administrations=["A", "B"]
    )
    assert minutes.loads == {"A": Decimal(53_000), "B": Decimal(45_000)}  # in seconds: same shares as minutes
    weighted = measured_loads(
        cells=CELLS,
        grouping_map=MAP,
        basis="weighted",
        channel_weights={"phone": Decimal(1), "email": Decimal("0.5")},
        administrations=["A", "B"],
    )
    assert weighted.loads == {"A": Decimal(170), "B": Decimal(150)}


def test_unowned_groupings_with_volume_are_listed_with_their_volume():
    result = measured_loads(
        cells=[*CELLS, VolumeCell("NEW", "phone", 7, 0)],
        grouping_map=MAP,
        basis="cases",
        channel_weights={},
        administrations=["A", "B"],
    )
    with pytest.raises(AllocationError, match=r"NEW \(7 ärenden\)"):
        check_loads(result)


def test_only_central_volume_is_a_zero_total():
    result = measured_loads(cells=CELLS[3:], grouping_map=MAP, basis="cases", channel_weights={}, administrations=["A"])
    with pytest.raises(AllocationError, match="noll"):
        check_loads(result)


loads_strategy = st.dictionaries(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=4),
    st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=25,
).filter(lambda d: sum(d.values()) > 0)
amount_strategy = st.decimals(min_value=0, max_value=10**11, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=400, deadline=None)
@given(loads_strategy, amount_strategy)
def test_any_split_adds_up_exactly_and_is_never_negative(loads, amount):
    amounts = largest_remainder(amount, loads, ORE)
    assert sum(amounts.values()) == amount
    assert all(v >= 0 for v in amounts.values())
    assert set(amounts) == set(loads)


@settings(max_examples=300, deadline=None)
@given(loads_strategy, amount_strategy, st.randoms(use_true_random=False))
def test_input_order_changes_nothing(loads, amount, rnd):
    items = list(loads.items())
    rnd.shuffle(items)
    assert largest_remainder(amount, dict(items), ORE) == largest_remainder(amount, loads, ORE)


@settings(max_examples=300, deadline=None)
@given(loads_strategy, amount_strategy)
def test_a_zero_load_administration_gets_zero(loads, amount):
    loads = {**loads, "ZERO": Decimal(0)}
    assert largest_remainder(amount, loads, ORE)["ZERO"] == 0


@settings(max_examples=300, deadline=None)
@given(loads_strategy, amount_strategy)
def test_each_amount_is_within_one_unit_of_its_exact_share(loads, amount):
    total = sum(loads.values())
    for key, value in largest_remainder(amount, loads, ORE).items():
        exact = amount * loads[key] / total
        assert abs(value - exact) < ORE + Decimal("1e-20")


@settings(max_examples=200, deadline=None)
@given(loads_strategy, st.integers(min_value=0, max_value=10**9))
def test_whole_kronor_and_months_add_up_to_the_year(loads, kronor):
    annual = largest_remainder(Decimal(kronor), loads, KRONA)
    assert all(v == v.to_integral_value() for v in annual.values())
    for admin, months in monthly_split(annual, KRONA).items():
        assert sum(months.values()) == annual[admin]
        assert len(months) == 12


def test_a_large_municipality_of_20_administrations_is_exact():
    rng = random.Random(7)
    loads = {f"A{i:02d}": Decimal(rng.randint(0, 50_000)) for i in range(20)}
    amounts = largest_remainder(Decimal("123456789.01"), loads)
    assert sum(amounts.values()) == Decimal("123456789.01")
