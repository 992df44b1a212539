"""Benefit realisation's arithmetic (allocation.transfers.benefit), without a database: what a
transfer relieves, month by month, per administration and for the municipality."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from allocation.calculation import round_kronor
from allocation.transfers.benefit import (
    GroupingMonth,
    TransferTerms,
    benefit_rows,
    benefit_total,
    fraction_decimal,
    measured_minutes,
)

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
OWNERS = {
    "G1": [("UF", Decimal(1))],
    "G2": [("SOF", Decimal("0.6")), ("TF", Decimal("0.4"))],
    "C": [(None, Decimal(1))],
}


def _rows(cells, terms, hour_costs=None, paid=None, months=(JAN, FEB, MAR)):  # type: ignore[no-untyped-def]
    return benefit_rows(
        months=list(months),
        administrations=["SOF", "TF", "UF"],
        cells=cells,
        owners=dict.fromkeys(months, OWNERS),
        terms=terms,
        hour_costs=hour_costs or {},
        paid=paid or {},
    )


def _row(rows, code, month):  # type: ignore[no-untyped-def]
    return next(r for r in rows if r.administration == code and r.month == month)


def test_a_transfer_relieves_the_solved_cases_times_the_former_minutes_from_its_month():
    # given G1 transferred in February at 30 minutes a case, and 4 cases solved every month
    cells = [GroupingMonth(m, "G1", 6, 4, 1) for m in (JAN, FEB, MAR)]
    terms = {"G1": TransferTerms("G1", FEB, Decimal(30))}
    rows = _rows(cells, terms, hour_costs={("UF", 2026): Decimal("600.00")})
    # then January relieves nothing, February and March 4 × 30 minutes = 2 hours = 1 200 kr
    assert _row(rows, "UF", JAN).relieved_minutes == 0 and _row(rows, "UF", JAN).relieved_kronor == Decimal("0.00")
    feb = _row(rows, "UF", FEB)
    assert (feb.cases, feb.resolved_first, feb.forwarded) == (6, 4, 1)
    assert feb.relieved_minutes == 120 and feb.relieved_hours == 2
    assert feb.relieved_kronor == Decimal("1200.00")


def test_a_split_grouping_relieves_each_owner_by_its_part_and_central_cases_count_for_nobody():
    cells = [GroupingMonth(JAN, "G2", 10, 5, 2), GroupingMonth(JAN, "C", 50, 50, 0)]
    rows = _rows(cells, {"G2": TransferTerms("G2", JAN, Decimal("7.50"))}, months=(JAN,))
    sof, tf = _row(rows, "SOF", JAN), _row(rows, "TF", JAN)
    assert (sof.cases, sof.resolved_first, sof.relieved_minutes) == (Decimal(6), Decimal(3), Decimal("22.5"))
    assert (tf.cases, tf.resolved_first, tf.relieved_minutes) == (Decimal(4), Decimal(2), Decimal(15))
    assert benefit_total(rows).cases == 10  # the central grouping's 50 cases are nobody's


def test_without_a_stated_hour_cost_the_time_is_in_hours_and_not_in_kronor():
    rows = _rows([GroupingMonth(JAN, "G1", 3, 3, 0)], {"G1": TransferTerms("G1", JAN, Decimal(20))}, months=(JAN,))
    uf = _row(rows, "UF", JAN)
    assert uf.relieved_hours == 1 and uf.relieved_kronor is None
    total = benefit_total(rows)
    assert total.relieved_kronor is None and total.missing_hour_cost


def test_kronor_round_once_per_month_half_an_ore_away_from_zero():
    # 1 case × 1 minute at 0.30 kr an hour is 0.005 kr exactly: half an öre rounds up
    cells, terms = [GroupingMonth(JAN, "G1", 1, 1, 0)], {"G1": TransferTerms("G1", JAN, Decimal(1))}
    rows = _rows(cells, terms, hour_costs={("UF", 2026): Decimal("0.30")}, months=(JAN,))
    assert _row(rows, "UF", JAN).relieved_kronor_exact == Fraction(1, 200)
    assert _row(rows, "UF", JAN).relieved_kronor == Decimal("0.01")


def test_the_measured_default_is_the_mean_handle_time_in_minutes_with_two_decimals():
    assert measured_minutes(1000, 3) == Decimal("5.56")  # 333.33 s
    assert measured_minutes(0, 0) is None


fractions = st.sampled_from([Decimal(1), Decimal("0.5"), Decimal("0.333333"), Decimal("0.666667"), Decimal("0.25")])
counts = st.integers(min_value=0, max_value=50_000)
minutes = st.decimals(min_value=0, max_value=600, places=2, allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=0, max_value=5_000, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(
        st.tuples(st.sampled_from([JAN, FEB, MAR]), st.sampled_from(["G1", "G2", "G3", "C"]), counts, counts, counts),
        max_size=25,
    ),
    starts=st.dictionaries(st.sampled_from(["G1", "G2", "G3"]), st.tuples(st.sampled_from([JAN, FEB, MAR]), minutes)),
    split=fractions,
    costs=st.dictionaries(st.sampled_from(["SOF", "TF", "UF"]), rates),
)
def test_benefit_invariants(cells, starts, split, costs):  # type: ignore[no-untyped-def]
    owners = {**OWNERS, "G3": [("UF", split), ("TF", Decimal(1) - split)] if split < 1 else [("UF", Decimal(1))]}
    grouping_months = [GroupingMonth(m, g, max(n, s, f), s, f) for m, g, n, s, f in cells]
    terms = {g: TransferTerms(g, m, mins) for g, (m, mins) in starts.items()}
    rows = benefit_rows(
        months=[JAN, FEB, MAR],
        administrations=["SOF", "TF", "UF"],
        cells=grouping_months,
        owners=dict.fromkeys((JAN, FEB, MAR), owners),
        terms=terms,
        hour_costs={(code, 2026): rate for code, rate in costs.items()},
        paid={},
    )
    total = benefit_total(rows)
    # the municipality's figures are the administrations' figures added up
    for field in ("cases", "resolved_first", "forwarded", "relieved_minutes"):
        by_admin = [
            getattr(benefit_total(r for r in rows if r.administration == c), field) for c in ("SOF", "TF", "UF")
        ]
        assert getattr(total, field) == sum(by_admin, Decimal(0))
    # and every owned case is counted once: owned cells' cases equal the administrations' cases
    owned = sum((Decimal(c.cases) for c in grouping_months if c.grouping != "C"), Decimal(0))
    assert total.cases == owned
    for row in rows:
        # relieved time is zero before a transfer: no transferred grouping started by then, no minutes
        if not any(t.starts <= row.month for t in terms.values()):
            assert row.relieved_minutes == 0
        # never more time relieved than the solved cases times the largest former minutes
        largest = max((t.minutes_before for t in terms.values()), default=Decimal(0))
        assert 0 <= row.relieved_minutes <= row.resolved_first * largest
        # kronor = hours × rate exactly before the one rounding
        if row.hour_cost is None:
            assert row.relieved_kronor is None
        else:
            assert row.relieved_kronor_exact == Fraction(row.relieved_minutes) / 60 * Fraction(row.hour_cost)
            assert row.relieved_kronor == round_kronor(fraction_decimal(row.relieved_kronor_exact))
            assert abs(Fraction(row.relieved_kronor) - row.relieved_kronor_exact) <= Fraction(1, 200)
    # the municipality's kronor are the rounded monthly amounts added up
    amounts = [r.relieved_kronor for r in rows if r.relieved_kronor is not None]
    assert total.relieved_kronor == (sum(amounts, Decimal(0)) if amounts else None)
