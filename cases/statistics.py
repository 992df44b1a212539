"""Monthly statistics from aggregate cells (DESIGN.md §5). Pure: no database access.

Cases of a split grouping count fractionally towards each owner; central groupings belong
to no administration. Rates are Decimals rounded for display only; counts stay exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

RATE = Decimal("0.0001")
SECONDS = Decimal("0.1")


@dataclass(frozen=True)
class Cell:
    month: date
    grouping: str
    channel: str
    cases: int
    handle_seconds: int
    handle_known: int
    wait_seconds: int
    wait_known: int
    answered_within_60: int
    resolved_first: int
    resolved_known: int
    forwarded: int
    abandoned: int = 0
    outcome_reported: int = 0


# The figures of an aggregate cell (cases.models.MonthlyAggregate), in the order of Cell.
AGGREGATE_FIGURES = tuple(f.name for f in fields(Cell))[3:]


Owners = Mapping[str, list[tuple[str | None, Decimal]]]  # grouping → [(administration or None, fraction)]


def _ratio(numerator: Decimal, denominator: Decimal, places: Decimal = RATE) -> Decimal | None:
    if denominator == 0:
        return None
    return (numerator / denominator).quantize(places)


def kpis(cells: Iterable[Cell], weight: Mapping[str, Decimal] | None = None) -> dict[str, Decimal | None]:
    """Volumes and service levels; `weight` (grouping → fraction) restricts to one administration."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for c in cells:
        w = Decimal(1) if weight is None else weight.get(c.grouping, Decimal(0))
        if w == 0:
            continue
        sums["cases"] += c.cases * w
        sums["handle_seconds"] += c.handle_seconds * w
        sums["handle_known"] += c.handle_known * w
        sums["resolved_first"] += c.resolved_first * w
        sums["resolved_known"] += c.resolved_known * w
        sums["forwarded"] += c.forwarded * w
        if c.channel == "phone":
            sums["phone_cases"] += c.cases * w
            sums["wait_seconds"] += c.wait_seconds * w
            sums["wait_known"] += c.wait_known * w
            sums["answered_within_60"] += c.answered_within_60 * w
    return {
        "cases": sums["cases"],
        "first_contact_resolution": _ratio(sums["resolved_first"], sums["resolved_known"]),
        "forwarded_rate": _ratio(sums["forwarded"], sums["cases"]),
        "average_handle_seconds": _ratio(sums["handle_seconds"], sums["handle_known"], SECONDS),
        "phone_cases": sums["phone_cases"],
        "phone_average_wait_seconds": _ratio(sums["wait_seconds"], sums["wait_known"], SECONDS),
        "phone_answered_within_60_rate": _ratio(sums["answered_within_60"], sums["wait_known"]),
    }


def accessibility(cells: Iterable[Cell], weight: Mapping[str, Decimal] | None = None) -> dict[str, Decimal] | None:
    """Phone accessibility (DESIGN.md §5) over the phone cells of sources that report outcomes:
    offered calls = handled + abandoned; abandonment rate = abandoned ÷ offered; average speed of
    answer = mean wait of handled calls; service level = handled within 60 s ÷ offered. None when
    no source reports outcomes (the page then says so instead of showing 0 %)."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for c in cells:
        if c.channel != "phone" or c.outcome_reported == 0:
            continue
        w = Decimal(1) if weight is None else weight.get(c.grouping, Decimal(0))
        if w == 0:
            continue
        sums["offered"] += c.outcome_reported * w
        sums["abandoned"] += c.abandoned * w
        sums["handled"] += (c.outcome_reported - c.abandoned) * w
        sums["wait_seconds"] += c.wait_seconds * w
        sums["wait_known"] += c.wait_known * w
        sums["within_60"] += c.answered_within_60 * w
    if sums["offered"] == 0:
        return None
    return {
        "offered": sums["offered"],
        "handled": sums["handled"],
        "abandoned": sums["abandoned"],
        "abandonment_rate": _ratio(sums["abandoned"], sums["offered"]),  # type: ignore[dict-item]
        "average_speed_of_answer_seconds": _ratio(sums["wait_seconds"], sums["wait_known"], SECONDS),  # type: ignore[dict-item]
        "service_level_60": _ratio(sums["within_60"], sums["offered"]),  # type: ignore[dict-item]
    }


def admin_weights(owners: Owners) -> dict[str, dict[str, Decimal]]:
    """administration → {grouping: fraction}."""
    out: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for grouping, group_owners in owners.items():
        for admin, fraction in group_owners:
            if admin is not None:
                out[admin][grouping] = fraction
    return out


def cases_by(cells: Iterable[Cell], key: str, weight: Mapping[str, Decimal] | None = None) -> dict[str, Decimal]:
    """Cases per channel, grouping or month ('channel', 'grouping', 'month'), optionally weighted."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for c in cells:
        w = Decimal(1) if weight is None else weight.get(c.grouping, Decimal(0))
        if w:
            label = f"{c.month:%Y-%m}" if key == "month" else getattr(c, key)
            out[label] += c.cases * w
    return dict(out)


def cases_by_administration(cells: Iterable[Cell], owners: Owners) -> tuple[dict[str, Decimal], Decimal, int]:
    """Co-financed cases per administration (fractional), central cases, and cases without an owner."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    central = Decimal(0)
    unmapped = 0
    for c in cells:
        group_owners = owners.get(c.grouping)
        if not group_owners:
            unmapped += c.cases
            continue
        for admin, fraction in group_owners:
            if admin is None:
                central += c.cases * fraction
            else:
                out[admin] += c.cases * fraction
    return dict(out), central, unmapped
