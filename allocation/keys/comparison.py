"""Side-by-side comparison of two keys and what-if changes to the grouping map, and why the
shares moved: each grouping's contribution to each administration's change (DESIGN §4). Pure.

The one explanation every reader gets (the comparison page, the memo, the what-if, the API and
the workbooks): `explain_change` gives the exact contributions, `drivers` orders the groupings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

from allocation.calculation import ORE, AllocationError, largest_remainder, percentages, round_kronor


@dataclass(frozen=True)
class AdminComparison:
    code: str
    percent_a: Decimal
    percent_b: Decimal
    diff_pp: Decimal
    amount_a: Decimal | None
    amount_b: Decimal | None
    diff_kr: Decimal | None


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


# --- Why the shares moved (DESIGN §4) --------------------------------------------------------

Line = tuple[str, str | None, Decimal]  # (grouping, administration or None for central, load)


@dataclass(frozen=True)
class Contribution:
    """What one grouping does to one administration's share, in share units (1 = 100 %).

    `total` = L_B(g, a)/T_B − L_A(g, a)/T_A = `owner` + `volume`, exactly (Fractions)."""

    grouping: str
    administration: str
    total: Fraction
    owner: Fraction
    volume: Fraction
    fraction_a: Fraction  # the part of the grouping that fell on the administration in A
    fraction_b: Fraction


@dataclass(frozen=True)
class Driver:
    """A grouping that moves shares, with every administration it moves."""

    grouping: str
    weight: Fraction  # Σ_a |c(g, a)|: what the drivers are ordered by
    parts: tuple[Contribution, ...]  # non-zero contributions, largest |c| first
    moved_from: tuple[str, ...]  # administrations whose fraction of the grouping fell
    moved_to: tuple[str, ...]  # administrations whose fraction rose
    volume_a: Fraction  # the grouping's weighed volume as a part of the total load, in A
    volume_b: Fraction
    volume_change: Fraction | None  # volume_b / volume_a − 1 (None: the grouping is new in B)


@dataclass(frozen=True)
class Explanation:
    """Key B against key A, grouping by grouping: contributions[(g, a)] and the shares they add up to."""

    contributions: dict[tuple[str, str], Contribution]
    share_a: dict[str, Fraction]
    share_b: dict[str, Fraction]
    volume_a: dict[str, Fraction]
    volume_b: dict[str, Fraction]

    def change(self, administration: str) -> Fraction:
        """share_B − share_A: "nytt − gällande"."""
        return self.share_b.get(administration, Fraction(0)) - self.share_a.get(administration, Fraction(0))


def _weighed(lines: Iterable[Line]) -> tuple[dict[str, Fraction], dict[tuple[str, str], Fraction], Fraction]:
    """w(g) (central part included), L(g, a) and T (co-financed load only) of one key's lines."""
    volume: dict[str, Fraction] = defaultdict(Fraction)
    loads: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    total = Fraction(0)
    for grouping, admin, load in lines:
        part = Fraction(load)
        volume[grouping] += part
        if admin is not None:
            loads[(grouping, admin)] += part
            total += part
    return dict(volume), dict(loads), total


def explain_change(lines_a: Iterable[Line], lines_b: Iterable[Line]) -> Explanation:
    """The contributions c(g, a) of every grouping to every administration's change in share.

    A grouping with no volume in one key takes its fractions from the other, so a grouping that
    appears or disappears counts as volume, not as a change of owner; the sums stay exact either way.
    """
    w_a, l_a, t_a = _weighed(lines_a)
    w_b, l_b, t_b = _weighed(lines_b)
    if t_a == 0 or t_b == 0:
        raise AllocationError(_("The total load is zero; the change cannot be explained."))
    out: dict[tuple[str, str], Contribution] = {}
    for grouping, admin in sorted(set(l_a) | set(l_b)):
        wa, wb = w_a.get(grouping, Fraction(0)), w_b.get(grouping, Fraction(0))
        fa = l_a.get((grouping, admin), Fraction(0)) / wa if wa else None
        fb = l_b.get((grouping, admin), Fraction(0)) / wb if wb else None
        fa = fb if fa is None else fa
        fb = fa if fb is None else fb
        if fa is None or fb is None:  # no weighed volume in either key: it moves nothing
            fa = fb = Fraction(0)
        owner = (fb - fa) * wb / t_b
        volume = fa * (wb / t_b - wa / t_a)
        out[(grouping, admin)] = Contribution(grouping, admin, owner + volume, owner, volume, fa, fb)
    shares_a: dict[str, Fraction] = defaultdict(Fraction)
    shares_b: dict[str, Fraction] = defaultdict(Fraction)
    for (_g, admin), load in l_a.items():
        shares_a[admin] += load / t_a
    for (_g, admin), load in l_b.items():
        shares_b[admin] += load / t_b
    return Explanation(
        contributions=out,
        share_a=dict(shares_a),
        share_b=dict(shares_b),
        volume_a={g: v / t_a for g, v in w_a.items()},
        volume_b={g: v / t_b for g, v in w_b.items()},
    )


def drivers(explanation: Explanation, top: int | None = 10) -> list[Driver]:
    """The groupings with the largest Σ_a |c(g, a)|, each with where it moved from and to."""
    by_grouping: dict[str, list[Contribution]] = defaultdict(list)
    for c in explanation.contributions.values():
        by_grouping[c.grouping].append(c)
    out = []
    for grouping, parts in by_grouping.items():
        weight = sum((abs(p.total) for p in parts), Fraction(0))
        if weight == 0:
            continue
        va = explanation.volume_a.get(grouping, Fraction(0))
        vb = explanation.volume_b.get(grouping, Fraction(0))
        out.append(
            Driver(
                grouping=grouping,
                weight=weight,
                parts=tuple(
                    sorted((p for p in parts if p.total or p.owner), key=lambda p: (-abs(p.total), p.administration))
                ),
                moved_from=tuple(sorted(p.administration for p in parts if p.fraction_b < p.fraction_a)),
                moved_to=tuple(sorted(p.administration for p in parts if p.fraction_b > p.fraction_a)),
                volume_a=va,
                volume_b=vb,
                volume_change=(vb / va - 1) if va else None,
            )
        )
    out.sort(key=lambda d: (-d.weight, d.grouping))
    return out if top is None else out[:top]


def points(share: Fraction, places: int = 10) -> Decimal:
    """A share (Fraction) as percentage points, rounded half-even to `places` decimals."""
    value = share * 100
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(1).scaleb(-places))


def kronor(share: Fraction, amount: Decimal | None) -> Decimal | None:
    """What a share of `amount` is, to the öre (an explanation's figure; charges use largest remainder)."""
    if amount is None:
        return None
    value = share * Fraction(amount)
    return round_kronor(Decimal(value.numerator) / Decimal(value.denominator))
