"""The statistics of design §5 on cells made by hand: pure, no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cases import statistics
from cases.statistics import Cell

MARCH = date(2026, 3, 1)
OWNERS = {
    "UF-01": [("UF", Decimal(1))],
    "SPLIT-01": [("SOF", Decimal("0.6")), ("TF", Decimal("0.4"))],
    "CEN-01": [(None, Decimal(1))],
}


def _cell(grouping: str, channel: str, cases: int, **counts: int) -> Cell:
    fields = {
        "handle_seconds": 0,
        "handle_known": 0,
        "wait_seconds": 0,
        "wait_known": 0,
        "answered_within_60": 0,
        "resolved_first": 0,
        "resolved_known": 0,
        "forwarded": 0,
        **counts,
    }
    return Cell(MARCH, grouping, channel, cases, **fields)


CELLS = [
    _cell("UF-01", "phone", 3, handle_seconds=360, handle_known=3, resolved_first=2, resolved_known=3, forwarded=1),
    _cell("SPLIT-01", "phone", 5, handle_seconds=300, handle_known=5, resolved_first=5, resolved_known=5),
    _cell("CEN-01", "email", 10),
    _cell("GONE-01", "chat", 2),
]


def test_split_groupings_count_fractionally_and_central_and_unowned_apart():
    by_admin, central, unmapped = statistics.cases_by_administration(CELLS, OWNERS)
    assert by_admin == {"UF": Decimal(3), "SOF": Decimal(3), "TF": Decimal(2)}
    assert central == Decimal(10) and unmapped == 2


def test_kpis_are_ratios_of_the_known_values_only():
    kpis = statistics.kpis(CELLS)
    assert kpis["cases"] == 20
    assert kpis["first_contact_resolution"] == Decimal("0.8750")  # 7 of the 8 with the flag known
    assert kpis["forwarded_rate"] == Decimal("0.0500")  # 1 of 20
    assert kpis["average_handle_seconds"] == Decimal("82.5")  # 660 s over the 8 known


def test_an_administrations_figures_are_weighted_by_its_share_of_each_grouping():
    weights = statistics.admin_weights(OWNERS)
    assert weights["SOF"] == {"SPLIT-01": Decimal("0.6")}
    assert statistics.cases_by(CELLS, "channel", weights["SOF"]) == {"phone": Decimal("3.0")}
    assert statistics.kpis(CELLS, weights["TF"])["cases"] == Decimal("2.0")


def test_phone_accessibility_counts_offered_calls_and_is_none_without_outcomes():
    assert statistics.accessibility(CELLS) is None  # no source reports outcomes: not 0 %
    calls = [
        _cell(
            "UF-01", "phone", 8, wait_seconds=400, wait_known=8, answered_within_60=6, outcome_reported=10, abandoned=2
        )
    ]
    access = statistics.accessibility(calls)
    assert access is not None
    assert (access["offered"], access["handled"], access["abandoned"]) == (10, 8, 2)
    assert access["abandonment_rate"] == Decimal("0.2000")
    assert access["service_level_60"] == Decimal("0.6000")  # answered within 60 s of all offered
    assert access["average_speed_of_answer_seconds"] == Decimal("50.0")
