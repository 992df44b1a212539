"""allocation.keys.comparison, pure: no database."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocation.calculation import AllocationError
from allocation.keys.comparison import compare_loads, explain_change

ADMINS = ("A", "B", "C")
loads = st.dictionaries(st.sampled_from(ADMINS), st.decimals(min_value=1, max_value=10_000, places=2), min_size=1)
lines = st.lists(
    st.tuples(
        st.sampled_from(("g1", "g2", "g3", "g4")),
        st.sampled_from((*ADMINS, None)),
        st.decimals(min_value=0, max_value=1_000, places=1),
    ),
    min_size=1,
    max_size=12,
)


@given(loads, loads, st.decimals(min_value=0, max_value=10**9, places=2))
def test_a_comparison_adds_up_to_100_percent_and_to_the_amount_on_both_sides(a, b, amount):
    rows = compare_loads(a, b, amount)
    assert sum(r.percent_a for r in rows) == sum(r.percent_b for r in rows) == Decimal("100.00")
    assert sum(r.amount_a for r in rows) == sum(r.amount_b for r in rows) == amount
    assert all(r.diff_kr == r.amount_b - r.amount_a and r.diff_pp == r.percent_b - r.percent_a for r in rows)


def test_a_comparison_without_an_amount_has_no_kronor():
    rows = compare_loads({"A": Decimal(1)}, {"A": Decimal(1), "B": Decimal(1)})
    assert [(r.code, r.percent_a, r.percent_b, r.diff_kr) for r in rows] == [
        ("A", Decimal("100.00"), Decimal("50.00"), None),
        ("B", Decimal("0.00"), Decimal("50.00"), None),
    ]


@given(lines, lines)
def test_the_contributions_add_up_exactly_to_each_change_in_share(lines_a, lines_b):
    try:
        explanation = explain_change(lines_a, lines_b)
    except AllocationError:
        return  # a key with no co-financed load has nothing to explain
    for admin in ADMINS:
        moved = sum((c.total for (_g, a), c in explanation.contributions.items() if a == admin), Fraction(0))
        assert moved == explanation.change(admin)


def test_a_key_without_load_cannot_be_explained():
    with pytest.raises(AllocationError):
        explain_change([("g1", None, Decimal(5))], [("g1", "A", Decimal(5))])
