"""What the contact centre gives an administration for its money, per month (pure: no database).

For an administration a and a month m, with f(g, a) the fraction of grouping g it owns in the map
in force that month (split groupings count fractionally, as the statistics do; central and unowned
groupings count for nobody):

- cases(a, m) = Σ_g cases(g, m) · f(g, a), likewise solved in the first contact and forwarded;
- relieved minutes(a, m) = Σ over the groupings transferred in or before m of
  solved in the first contact(g, m) · f(g, a) · the grouping's minutes per case before the transfer;
- relieved hours = minutes / 60, and kronor = hours · the administration's stated cost per hour,
  exact (a Fraction) until the one rounding to the öre, `calculation.round_kronor`.

Every total (a year, the municipality) is the sum of the rounded monthly kronor, so a table adds up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from allocation.calculation import round_kronor

MINUTES_PLACES = Decimal("0.01")  # minutes per case are kept as the register holds them
Owners = Mapping[str, list[tuple[str | None, Decimal]]]  # grouping → [(administration or None, fraction)]


@dataclass(frozen=True)
class TransferTerms:
    """A transferred grouping: the first month it counts (its transfer's month) and the
    administration's minutes per case before the move."""

    grouping: str
    starts: date
    minutes_before: Decimal


@dataclass(frozen=True)
class GroupingMonth:
    """One grouping's handled cases in one month (the own sources' aggregates)."""

    month: date
    grouping: str
    cases: int
    resolved_first: int
    forwarded: int


class RelievedTime:
    """Relieved minutes as hours: exact (a Fraction, for the kronor) and as shown."""

    relieved_minutes: Decimal

    @property
    def relieved_hours(self) -> Fraction:
        return Fraction(self.relieved_minutes) / 60

    @property
    def hours_shown(self) -> Decimal:
        return hours(self.relieved_minutes)


@dataclass(frozen=True)
class BenefitRow(RelievedTime):
    administration: str
    month: date
    cases: Decimal
    resolved_first: Decimal
    forwarded: Decimal
    relieved_minutes: Decimal  # exact
    hour_cost: Decimal | None  # None: the administration has stated no cost for the year
    paid: Decimal | None  # charged this month by charging runs; None: nothing charged

    @property
    def relieved_kronor_exact(self) -> Fraction | None:
        return None if self.hour_cost is None else self.relieved_hours * Fraction(self.hour_cost)

    @property
    def relieved_kronor(self) -> Decimal | None:
        exact = self.relieved_kronor_exact
        return None if exact is None else round_kronor(fraction_decimal(exact))


def fraction_decimal(value: Fraction) -> Decimal:
    """A Fraction as a Decimal with 50 significant digits. The relieved kronor are N / (6 · 10^k):
    written out, either exact or repeating 3s and 6s, so at 50 digits never on a half öre
    that is not exactly there: the rounding after it is the rounding of the exact value."""
    with localcontext() as ctx:
        ctx.prec = 50
        return Decimal(value.numerator) / Decimal(value.denominator)


def measured_minutes(handle_seconds: int, handle_known: int) -> Decimal | None:
    """The measured mean handle time in minutes, as the register holds minutes (two decimals):
    the default of a transfer's minutes per case before the move. None without measured cases."""
    if handle_known <= 0:
        return None
    return (Decimal(handle_seconds) / Decimal(handle_known) / 60).quantize(MINUTES_PLACES, rounding=ROUND_HALF_UP)


def benefit_rows(
    *,
    months: list[date],
    administrations: Iterable[str],
    cells: Iterable[GroupingMonth],
    owners: Mapping[date, Owners],
    terms: Mapping[str, TransferTerms],
    hour_costs: Mapping[tuple[str, int], Decimal],
    paid: Mapping[tuple[str, date], Decimal],
) -> list[BenefitRow]:
    """One row per administration and month (every administration, every month, zeros included)."""
    zero = Decimal(0)
    sums: dict[tuple[str, date], list[Decimal]] = {
        (code, m): [zero, zero, zero, zero] for code in administrations for m in months
    }
    wanted = set(months)
    for cell in cells:
        if cell.month not in wanted:
            continue
        term = terms.get(cell.grouping)
        minutes = term.minutes_before if term is not None and term.starts <= cell.month else None
        for code, fraction in owners.get(cell.month, {}).get(cell.grouping, []):
            if code is None or (code, cell.month) not in sums:
                continue
            row = sums[(code, cell.month)]
            row[0] += cell.cases * fraction
            row[1] += cell.resolved_first * fraction
            row[2] += cell.forwarded * fraction
            if minutes is not None:
                row[3] += cell.resolved_first * fraction * minutes
    return [
        BenefitRow(
            administration=code,
            month=m,
            cases=values[0],
            resolved_first=values[1],
            forwarded=values[2],
            relieved_minutes=values[3],
            hour_cost=hour_costs.get((code, m.year)),
            paid=paid.get((code, m)),
        )
        for (code, m), values in sorted(sums.items())
    ]


@dataclass(frozen=True)
class BenefitTotal(RelievedTime):
    """The sum of rows (a year, the municipality, a month of every administration)."""

    cases: Decimal
    resolved_first: Decimal
    forwarded: Decimal
    relieved_minutes: Decimal
    relieved_kronor: Decimal | None  # the sum of the rows' rounded kronor; None if no row has a cost
    missing_hour_cost: bool  # some row with relieved time has no stated cost (its kronor are not in the sum)
    paid: Decimal | None


def benefit_total(rows: Iterable[BenefitRow]) -> BenefitTotal:
    rows = list(rows)
    kronor = [r.relieved_kronor for r in rows if r.relieved_kronor is not None]
    paid = [r.paid for r in rows if r.paid is not None]
    return BenefitTotal(
        cases=sum((r.cases for r in rows), Decimal(0)),
        resolved_first=sum((r.resolved_first for r in rows), Decimal(0)),
        forwarded=sum((r.forwarded for r in rows), Decimal(0)),
        relieved_minutes=sum((r.relieved_minutes for r in rows), Decimal(0)),
        relieved_kronor=sum(kronor, Decimal(0)) if kronor else None,
        missing_hour_cost=any(r.hour_cost is None and r.relieved_minutes for r in rows),
        paid=sum(paid, Decimal(0)) if paid else None,
    )


HOURS_SHOWN = Decimal("0.0001")


def hours(minutes: Decimal, places: Decimal = HOURS_SHOWN) -> Decimal:
    """Relieved minutes as hours for a page or a workbook, to 1/10 000 hour (pages show one
    decimal through cases.formats) or to `places`. Only shown: the kronor are computed from the
    exact minutes."""
    return fraction_decimal(Fraction(minutes) / 60).quantize(places, rounding=ROUND_HALF_UP)
