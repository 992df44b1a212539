"""The effect goals' red/amber/green rule and the baseline period (pure: no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from allocation.goals.follow_up import baseline_period
from allocation.goals.status import RANK, goal_level
from cases.months import month_range

RATES = st.decimals(min_value=0, max_value=1, places=4)


def level(value: str | None, target: str | None = "0.80", baseline: str | None = "0.60", higher: bool = True) -> str:
    return goal_level(
        value=None if value is None else Decimal(value),
        target=None if target is None else Decimal(target),
        baseline=None if baseline is None else Decimal(baseline),
        higher_is_better=higher,
        tolerance=Decimal("0.01"),
    )


def test_meeting_the_target_is_green_and_a_quarter_of_the_gap_short_is_amber():
    # baseline 60 %, target 80 %: the amber band is a quarter of the 20 points, 5 points
    assert level("0.8000") == "green"
    assert level("0.9500") == "green"
    assert level("0.7500") == "amber"
    assert level("0.7499") == "red"


def test_lower_is_better_measures_turn_the_rule_around():
    # abandonment: baseline 12 %, target 8 %: band 1 point
    assert level("0.0700", target="0.08", baseline="0.12", higher=False) == "green"
    assert level("0.0900", target="0.08", baseline="0.12", higher=False) == "amber"
    assert level("0.0950", target="0.08", baseline="0.12", higher=False) == "red"


def test_the_band_is_never_narrower_than_the_tolerance():
    # a target right at the baseline still has a band of 1 percentage point
    assert level("0.7900", target="0.80", baseline="0.80") == "amber"
    assert level("0.7800", target="0.80", baseline="0.80") == "red"
    assert level("0.7900", target="0.80", baseline=None) == "amber"


def test_without_a_value_or_a_target_there_is_no_status():
    assert level(None) == "none"
    assert level("0.5", target=None) == "none"


@given(a=RATES, b=RATES, target=RATES, baseline=st.none() | RATES, higher=st.booleans())
def test_the_status_is_monotone_in_the_measured_value(a, b, target, baseline, higher):
    """For a fixed target, baseline and direction, a better value never gets a worse status."""
    worse, better = (min(a, b), max(a, b)) if higher else (max(a, b), min(a, b))
    common = {"target": target, "baseline": baseline, "higher_is_better": higher, "tolerance": Decimal("0.01")}
    assert RANK[goal_level(value=better, **common)] >= RANK[goal_level(value=worse, **common)]


def test_the_baseline_is_the_first_full_calendar_year():
    months = month_range(date(2024, 5, 1), date(2026, 3, 1))
    baseline = baseline_period(months)
    assert baseline is not None and baseline.calendar_year
    assert baseline.months[0] == date(2025, 1, 1) and baseline.months[-1] == date(2025, 12, 1)


def test_without_a_full_calendar_year_the_baseline_is_the_first_twelve_consecutive_months():
    # the demo's 12 months: November 2025 – October 2026 (a gap before them does not count)
    months = [date(2025, 6, 1), *month_range(date(2025, 11, 1), date(2026, 10, 1))]
    baseline = baseline_period(months)
    assert baseline is not None and not baseline.calendar_year
    assert (baseline.months[0], baseline.months[-1]) == (date(2025, 11, 1), date(2026, 10, 1))
    assert len(baseline.months) == 12


def test_fewer_than_twelve_consecutive_months_give_no_baseline():
    assert baseline_period(month_range(date(2025, 1, 1), date(2025, 11, 1))) is None
    assert baseline_period([]) is None
