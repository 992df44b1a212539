"""Side-by-side comparison of two keys and what-if changes to the grouping map. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from allocation.calculation import ORE, largest_remainder, percentages


@dataclass(frozen=True)
class AdminComparison:
    code: str
    percent_a: Decimal
    percent_b: Decimal
    diff_pp: Decimal
    amount_a: Decimal | None
    amount_b: Decimal | None
    diff_kr: Decimal | None


@dataclass(frozen=True)
class GroupingDriver:
    grouping: str
    administrations: str
    percent_a: Decimal
    percent_b: Decimal
    diff_pp: Decimal


def compare_loads(
    loads_a: Mapping[str, Decimal], loads_b: Mapping[str, Decimal], amount: Decimal | None = None, unit: Decimal = ORE
) -> list[AdminComparison]:
    """Percentages (two decimals adding to 100.00), amounts and their differences per administration."""
    codes = sorted(set(loads_a) | set(loads_b))
    a = {c: loads_a.get(c, Decimal(0)) for c in codes}
    b = {c: loads_b.get(c, Decimal(0)) for c in codes}
    pa, pb = percentages(a), percentages(b)
    amounts_a = largest_remainder(amount, a, unit) if amount is not None else None
    amounts_b = largest_remainder(amount, b, unit) if amount is not None else None
    rows = []
    for c in codes:
        amt_a = amounts_a[c] if amounts_a else None
        amt_b = amounts_b[c] if amounts_b else None
        rows.append(
            AdminComparison(
                code=c,
                percent_a=pa[c],
                percent_b=pb[c],
                diff_pp=pb[c] - pa[c],
                amount_a=amt_a,
                amount_b=amt_b,
                diff_kr=(amt_b - amt_a) if amt_a is not None and amt_b is not None else None,
            )
        )
    return rows


def grouping_drivers(
    lines_a: list[tuple[str, str | None, Decimal]],
    lines_b: list[tuple[str, str | None, Decimal]],
    top: int = 10,
) -> list[GroupingDriver]:
    """Which groupings move the shares most: each grouping's part of the co-financed load in A and B.

    Lines are (grouping, administration or None for central, load). Central load is left out.
    """

    def parts(lines: list[tuple[str, str | None, Decimal]]) -> tuple[dict[str, Decimal], dict[str, set[str]]]:
        by_grouping: dict[str, Decimal] = defaultdict(Decimal)
        owners: dict[str, set[str]] = defaultdict(set)
        for grouping, admin, load in lines:
            if admin is None:
                continue
            by_grouping[grouping] += load
            owners[grouping].add(admin)
        total = sum(by_grouping.values(), Decimal(0))
        if total == 0:
            return {}, owners
        return {g: (v * 100 / total).quantize(ORE) for g, v in by_grouping.items()}, owners

    pa, owners_a = parts(lines_a)
    pb, owners_b = parts(lines_b)
    drivers = []
    for g in set(pa) | set(pb):
        a, b = pa.get(g, Decimal(0)), pb.get(g, Decimal(0))
        owners = sorted(owners_a.get(g, set()) | owners_b.get(g, set()))
        drivers.append(GroupingDriver(g, ", ".join(owners), a, b, b - a))
    drivers.sort(key=lambda d: (-abs(d.diff_pp), d.grouping))
    return drivers[:top]
