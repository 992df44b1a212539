from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from cases.months import month_range, months_back, parse_year_month


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31)), st.integers(min_value=1, max_value=40))
def test_months_back_ends_with_the_month_and_counts_right(day, count):
    last = day.replace(day=1)
    months = months_back(last, count)
    assert len(months) == count and months[-1] == last
    assert months == month_range(months[0], last)
    assert all(m.day == 1 for m in months)


def test_a_rolling_year_crosses_new_year():
    assert months_back(date(2026, 2, 1), 12)[0] == date(2025, 3, 1)


def test_parse_year_month():
    assert parse_year_month("2026-03") == date(2026, 3, 1)
    for bad in ("2026-13", "2026-3", "mars", "2026-03-01", ""):
        assert parse_year_month(bad) is None
