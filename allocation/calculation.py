"""The arithmetic of co-financing (DESIGN.md §4). Pure: no database, no floats.

Loads and amounts are Decimals; every division goes through `fractions.Fraction` so
that nothing is rounded before the one rounding step, largest remainder.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

from cases import formats

ORE = Decimal("0.01")
KRONA = Decimal("1")
SHARE_PLACES = Decimal("0.000000000001")  # 12 decimals: never the source of a rounding error


def round_kronor(amount: Decimal, unit: Decimal = ORE) -> Decimal:
    """The one rounding of a single amount in kronor, shown or stored: to whole `unit`s (öre by
    default), half a unit away from zero (0.125 → 0.13, −0.125 → −0.13), the commercial rounding
    people check with a calculator and the rule `cases.formats` shows figures with. Where parts must
    add up to a total (a pool's amounts, a year's months, percentages) `largest_remainder` is used
    instead, never this."""
    return amount.quantize(unit, rounding=ROUND_HALF_UP)


class AllocationError(ValueError):
    """A key or run cannot be made; the message says what to fix."""


def largest_remainder(total: Decimal, weights: Mapping[str, Decimal], unit: Decimal = ORE) -> dict[str, Decimal]:
    """Split `total` in whole `unit`s in proportion to `weights`.

    Floor every exact amount, then hand the missing units one each to the largest
    remainders; ties go to the lower key (administration code, or month). The result
    always adds up to `total` exactly, and a zero weight always gets zero.
    """
    if unit <= 0:
        raise AllocationError(_("The rounding unit must be positive."))
    if total < 0:
        raise AllocationError(_("The amount %(amount)s is negative; nothing can be allocated.") % {"amount": total})
    units = Fraction(total) / Fraction(unit)
    if units.denominator != 1:
        raise AllocationError(
            _("The amount %(amount)s is not a whole number of the rounding unit %(unit)s.")
            % {"amount": total, "unit": unit}
        )
    for key, weight in weights.items():
        if weight < 0:
            raise AllocationError(_("Negative load for %(code)s: %(load)s.") % {"code": key, "load": weight})
    weight_sum = sum((Fraction(w) for w in weights.values()), Fraction(0))
    if weight_sum == 0:
        raise AllocationError(_("The total load is zero; there is nothing to allocate by."))
    floors: dict[str, int] = {}
    remainders: list[tuple[Fraction, str]] = []
    for key in sorted(weights):
        exact = units * Fraction(weights[key]) / weight_sum
        whole = exact.numerator // exact.denominator
        floors[key] = whole
        remainders.append((exact - whole, key))
    missing = int(units) - sum(floors.values())
    # Largest remainder first; on equal remainders the lower key wins (stable sort on sorted keys).
    remainders.sort(key=lambda item: -item[0])
    for _remainder, key in remainders[:missing]:
        floors[key] += 1
    return {key: Decimal(n) * unit for key, n in floors.items()}


def shares(loads: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Each load's share of the total, to 12 decimals (for display; amounts use the loads)."""
    total = sum((Fraction(v) for v in loads.values()), Fraction(0))
    if total == 0:
        raise AllocationError(_("The total load is zero; shares cannot be computed."))
    return {k: _decimal(Fraction(v) / total, SHARE_PLACES) for k, v in loads.items()}


def percentages(loads: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Percentages with two decimals that add up to exactly 100.00 (same largest-remainder rule)."""
    return largest_remainder(Decimal(100), loads, ORE)


def monthly_split(annual: Mapping[str, Decimal], unit: Decimal = ORE) -> dict[str, dict[int, Decimal]]:
    """Split each annual amount into 12 months adding up exactly to the year.

    Spare units go to the earliest months (the lower key), as the same rule prescribes.
    """
    months = {f"{m:02d}": Decimal(1) for m in range(1, 13)}
    result: dict[str, dict[int, Decimal]] = {}
    for admin, amount in annual.items():
        if amount == 0:
            result[admin] = {m: Decimal(0) * unit for m in range(1, 13)}
            continue
        split = largest_remainder(amount, months, unit)
        result[admin] = {int(k): v for k, v in split.items()}
    return result


def _decimal(value: Fraction, places: Decimal) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(places)


# --- Measured keys ------------------------------------------------------------------------


@dataclass(frozen=True)
class VolumeCell:
    """Volume of one grouping and channel over the key's window (from the monthly aggregates)."""

    grouping: str
    channel: str
    cases: int
    handle_seconds: int


@dataclass(frozen=True)
class MapOwner:
    administration: str | None  # None: central, not co-financed
    fraction: Decimal


@dataclass
class LoadLine:
    grouping: str
    channel: str
    administration: str | None
    cases: Decimal
    load: Decimal


@dataclass
class MeasuredLoads:
    loads: dict[str, Decimal]
    lines: list[LoadLine]
    central_load: Decimal
    unmapped: dict[str, int] = field(default_factory=dict)


BASES = ("cases", "minutes", "weighted")


def measured_loads(
    *,
    cells: Iterable[VolumeCell],
    grouping_map: Mapping[str, list[MapOwner]],
    basis: str,
    channel_weights: Mapping[str, Decimal],
    administrations: Iterable[str],
) -> MeasuredLoads:
    """Load per administration: Σ over groupings of weight(g) × fraction(g, admin).

    Basis `minutes` weighs a case by handle_seconds / 60; the loads are kept in seconds,
    which gives the same shares without a non-terminating division. Central groupings
    count in no administration's load and in no total; they are reported separately.
    """
    if basis not in BASES:
        raise AllocationError(_("Unknown basis %(basis)r; choose cases, minutes or weighted.") % {"basis": basis})
    loads: dict[str, Decimal] = {code: Decimal(0) for code in administrations}
    lines: list[LoadLine] = []
    central = Decimal(0)
    unmapped: dict[str, int] = defaultdict(int)
    for cell in cells:
        if cell.cases == 0:
            continue
        if basis == "cases":
            weight = Decimal(cell.cases)
        elif basis == "minutes":
            weight = Decimal(cell.handle_seconds)
        else:
            if cell.channel not in channel_weights:
                raise AllocationError(
                    _("The channel %(channel)r has no weight in the channel weights.") % {"channel": cell.channel}
                )
            weight = Decimal(cell.cases) * channel_weights[cell.channel]
        owners = grouping_map.get(cell.grouping)
        if not owners:
            unmapped[cell.grouping] += cell.cases
            continue
        for owner in owners:
            part = weight * owner.fraction
            if owner.administration is None:
                central += part
            else:
                loads[owner.administration] = loads.get(owner.administration, Decimal(0)) + part
            lines.append(
                LoadLine(cell.grouping, cell.channel, owner.administration, Decimal(cell.cases) * owner.fraction, part)
            )
    return MeasuredLoads(loads=loads, lines=lines, central_load=central, unmapped=dict(unmapped))


def check_loads(result: MeasuredLoads) -> None:
    """Refuse a key whose groupings lack owners, or whose total load is zero."""
    if result.unmapped:
        listed = ", ".join(
            _("%(code)s (%(cases)s cases)") % {"code": g, "cases": n}
            for g, n in sorted(result.unmapped.items(), key=lambda x: -x[1])
        )
        raise AllocationError(
            _("Groupings with volume in the period have no owner in the map in force: %(list)s") % {"list": listed}
        )
    if sum(result.loads.values(), Decimal(0)) == 0:
        raise AllocationError(_("The total load is zero: the period has no co-financed cases."))


def fixed_key_check(percent: Mapping[str, Decimal]) -> None:
    """Fixed keys are percentages decided by the council; they must add up to exactly 100."""
    total = sum(percent.values(), Decimal(0))
    if any(v < 0 for v in percent.values()):
        raise AllocationError(_("A fixed key cannot have negative percentages."))
    if total != Decimal(100):
        raise AllocationError(
            _("The fixed percentages add up to %(total)s, not 100.") % {"total": formats.decimal(total)}
        )


def net_amount(gross: Decimal, funding: Iterable[Decimal]) -> Decimal:
    """A pool's amount to co-finance: gross cost minus central funding lines; never negative."""
    net = gross - sum(funding, Decimal(0))
    if net < 0:
        raise AllocationError(
            _("The pool's net amount is negative (%(net)s kr): the central funding exceeds the gross cost.")
            % {"net": net}
        )
    return net


def format_amount(amount: Decimal) -> str:
    """An amount for a command's summary, which is written in Swedish: 14 550 000,00."""
    from django.utils import translation

    with translation.override("sv"):
        return formats.number(amount, 2)
