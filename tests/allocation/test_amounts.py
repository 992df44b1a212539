"""allocation.amounts, pure: no database. The one parser of an amount as people write it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from allocation.amounts import AMOUNT_MAX, AmountError, parse_amount


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


amounts = st.decimals(min_value=0, max_value=AMOUNT_MAX, places=2)


@given(amounts)
def test_an_amount_written_with_a_comma_a_point_or_spaces_reads_back_exactly(value):
    whole, cents = f"{value:.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", " ")
    for text in (f"{whole}.{cents}", f"{whole},{cents}", f"{grouped},{cents}", value):
        parsed = parse_amount(text)
        assert parsed == value and parsed.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "raw", ["1e3", "-5", "NaN", "Infinity", "12,345", "1 000 000 000 000,01", "", "kr 12", 1.5, True, None]
)
def test_what_is_not_an_amount_is_refused_with_a_reason(raw):
    with pytest.raises(AmountError, match=r"amount"):
        parse_amount(raw)


def test_the_largest_amount_is_allowed_and_one_ore_more_is_not():
    assert parse_amount("1000000000000") == AMOUNT_MAX
    with pytest.raises(AmountError, match="greater than the largest"):
        parse_amount("1000000000000.01")
    assert parse_amount(Decimal("12")) == Decimal("12.00")
