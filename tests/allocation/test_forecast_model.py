"""The forecast's pure model (allocation.forecast.series, projection, backtest): no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from allocation.calculation import MapOwner
from allocation.forecast.backtest import backtest
from allocation.forecast.projection import PlannedTransfer, project
from allocation.forecast.series import MEAN, SEASONAL, TREND_SEASONAL, method_for
from cases.months import month_range

PATTERN = [Decimal(v) for v in (120, 100, 90, 80, 70, 40, 20, 130, 110, 100, 90, 60)]
OWNERS = {
    "A": [MapOwner("X", Decimal(1))],
    "B": [MapOwner("Y", Decimal(1))],
    "S": [MapOwner("X", Decimal("0.25")), MapOwner("Y", Decimal("0.75"))],
    "C": [MapOwner(None, Decimal(1))],
}


def months(first: str, last: str) -> list[date]:
    return month_range(date.fromisoformat(first + "-01"), date.fromisoformat(last + "-01"))


def test_the_model_degrades_with_less_history_and_says_which():
    assert method_for(36) == TREND_SEASONAL and method_for(24) == TREND_SEASONAL
    assert method_for(23) == SEASONAL and method_for(12) == SEASONAL
    assert method_for(11) == MEAN and method_for(1) == MEAN
    assert method_for(0) is None


def test_a_pure_seasonal_series_is_forecast_exactly():
    history = months("2022-01", "2024-12")
    series = {"A": [PATTERN[m.month - 1] for m in history]}
    forecast = project(year=2025, months=history, volumes=series, owners=OWNERS)
    assert forecast.method == TREND_SEASONAL
    assert [f.volume for f in forecast.monthly] == PATTERN
    # Nothing is left unexplained and no month changes the fit: the range is the point.
    assert forecast.volume_low == forecast.volume == forecast.volume_high == sum(PATTERN)


def test_a_linear_trend_is_extrapolated():
    history = months("2022-01", "2024-12")
    series = {"A": [Decimal(500 + 10 * i) for i in range(len(history))]}
    forecast = project(year=2025, months=history, volumes=series, owners=OWNERS)
    assert [f.volume for f in forecast.monthly] == [Decimal(500 + 10 * i) for i in range(36, 48)]


def test_a_trend_on_a_seasonal_pattern_is_both_extrapolated_and_repeated():
    history = months("2021-07", "2024-12")  # 42 months, starting mid-year
    series = {"A": [PATTERN[m.month - 1] + 3 * i for i, m in enumerate(history)]}
    forecast = project(year=2025, months=history, volumes=series, owners=OWNERS)
    assert [f.volume for f in forecast.monthly] == [PATTERN[k] + 3 * (42 + k) for k in range(12)]


def test_one_year_of_history_repeats_its_pattern_without_a_trend():
    history = months("2024-01", "2024-12")
    series = {"A": [PATTERN[m.month - 1] + 5 * i for i, m in enumerate(history)]}
    forecast = project(year=2025, months=history, volumes=series, owners=OWNERS)
    assert forecast.method == SEASONAL
    assert [f.volume for f in forecast.monthly] == [PATTERN[k] + 5 * k for k in range(12)]


def test_a_month_without_any_data_is_a_gap_not_a_zero():
    history = months("2022-01", "2024-12")
    series = {"A": [Decimal(200) for _ in history], "B": [Decimal(100) for _ in history]}
    series["A"][5] = series["B"][5] = None
    forecast = project(year=2025, months=history, volumes=series, owners=OWNERS)
    assert forecast.months_used == 35
    assert all(f.volume == 300 for f in forecast.monthly)


def test_a_planned_transfer_counts_pro_rata_from_its_month_and_digitalisation_comes_off():
    history = months("2024-01", "2024-12")
    series = {"A": [Decimal(100)] * 12, "B": [Decimal(100)] * 12}
    forecast = project(
        year=2025,
        months=history,
        volumes=series,
        owners={**OWNERS, "N": [MapOwner("Y", Decimal(1))]},
        transfers=[PlannedTransfer("N", 7, Decimal(1200)), PlannedTransfer("Q", 3, None)],
        digitalisation={"A": Decimal(10)},
    )
    assert forecast.grouping_volumes["N"] == 600  # July–December of 1,200 a year
    assert forecast.grouping_volumes["A"] == 1080  # 10 % to self-service
    assert forecast.digitalised == 120
    assert forecast.transfers_without_volume == ["Q"]
    shares = {a.code: a.share for a in forecast.administrations}
    assert shares == {"X": Fraction(1080, 1080 + 1200 + 600), "Y": Fraction(1800, 2880)}


def test_the_amounts_split_the_net_and_the_range_is_stated():
    history = months("2022-01", "2024-12")
    series = {
        "A": [Decimal(100 + (i * 7) % 13) for i in range(36)],
        "B": [Decimal(50 + (i * 5) % 11) for i in range(36)],
    }
    forecast = project(year=2025, months=history, volumes=series, owners=OWNERS, net=Decimal("1000000.00"))
    assert sum(a.amount for a in forecast.administrations if a.amount) == Decimal("1000000.00")
    x = next(a for a in forecast.administrations if a.code == "X")
    assert x.share_low < Decimal(x.share.numerator) / x.share.denominator < x.share_high
    assert x.amount_low is not None and x.amount_high is not None and x.amount_low < x.amount < x.amount_high


def test_backtest_of_a_seasonal_series_with_a_trend_has_no_error():
    history = months("2021-01", "2024-12")
    series = {
        "A": [PATTERN[m.month - 1] + 2 * i for i, m in enumerate(history)],
        "B": [Decimal(300) - i for i in range(len(history))],
    }
    rows = backtest(months=history, volumes=series, owners=OWNERS, years=[2021, 2022, 2023, 2024])
    assert [r.year for r in rows] == [2022, 2023, 2024]  # 2021 has no year before it
    assert rows[0].method == SEASONAL  # one year of history: the trend cannot be seen yet
    for row in rows[1:]:
        assert row.method == TREND_SEASONAL
        assert row.share_error_pp == 0 and row.volume_error_percent == 0
        assert row.within_range == row.administrations == 2
    # The naive answer (last year's shares) misses the drift the trend catches.
    assert rows[-1].naive_share_error_pp > 0


volume = st.decimals(min_value=0, max_value=5000, places=0, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=30),
    data=st.data(),
    net=st.decimals(min_value=0, max_value=10**8, places=2, allow_nan=False, allow_infinity=False),
    digitalised=st.decimals(min_value=0, max_value=100, places=2),
)
def test_any_history_gives_shares_adding_to_one_and_amounts_to_the_net(n, data, net, digitalised):
    history = months("2020-01", "2024-12")[-n:]
    series = {g: data.draw(st.lists(volume, min_size=n, max_size=n)) for g in ("A", "B", "S", "C")}
    forecast = project(
        year=2025, months=history, volumes=series, owners=OWNERS, net=net, digitalisation={"S": digitalised}
    )
    assert all(f.volume >= 0 and f.low >= 0 and f.low <= f.volume <= f.high for f in forecast.monthly)
    assert all(v >= 0 for v in forecast.grouping_volumes.values())
    total_load = sum(a.load for a in forecast.administrations)
    if total_load == 0:
        return
    assert sum(a.share for a in forecast.administrations) == 1
    assert sum(a.percent for a in forecast.administrations) == 100
    assert sum(a.amount for a in forecast.administrations if a.amount is not None) == net
    for a in forecast.administrations:
        share = Decimal(a.share.numerator) / a.share.denominator
        assert 0 <= a.share_low <= share <= a.share_high <= 1
        assert a.amount_low is not None and a.amount_high is not None
        assert 0 <= a.amount_low <= a.amount <= a.amount_high <= net


@settings(max_examples=25, deadline=None)
@given(n=st.integers(min_value=1, max_value=30), data=st.data())
def test_the_order_of_the_groupings_never_changes_the_forecast(n, data):
    history = months("2020-01", "2024-12")[-n:]
    series = {g: data.draw(st.lists(volume, min_size=n, max_size=n)) for g in ("A", "B", "S", "C")}
    shuffled = dict(data.draw(st.permutations(list(series.items()))))
    first = project(year=2025, months=history, volumes=series, owners=OWNERS, net=Decimal("999.99"))
    second = project(year=2025, months=history, volumes=shuffled, owners=OWNERS, net=Decimal("999.99"))
    assert first.administrations == second.administrations
    assert first.monthly == second.monthly
