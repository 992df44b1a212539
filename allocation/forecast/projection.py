"""Next year's forecast from the monthly series (pure: no database, no floats).

Per grouping: the fitted series (`series`) projected over the forecast year's twelve months; a
transfer planned in the year replaces the projection from its month with its expected yearly
volume pro rata; a digitalisation assumption takes its percentage off every month. The yearly
volumes become loads through the grouping map in force on the year's first day, the loads shares
(exact, as Fractions) and amounts (`calculation.largest_remainder`, so they add up to the net
amount exactly).

The range: the forecast is made again with each past month left out in turn (the jackknife);
the spread of those forecasts, (n − 1)/n · Σ(θᵢ − θ̄)², is the uncertainty of the fitted trend
and pattern. The residual variance of each grouping's fit, over a year, is the month-to-month
noise the fit cannot explain; it reaches a share through the share's derivative by each
grouping's volume (the delta method, groupings independent). The range is the forecast ± two
standard deviations of the two variances added, kept within 0–100 % (and 0–the net amount).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from allocation.calculation import ORE, MapOwner, largest_remainder, percentages, round_kronor
from allocation.forecast.series import ZERO, Point, SeriesFit, fit, method_for

ONE = Decimal(1)
TWO = Decimal(2)


@dataclass(frozen=True)
class PlannedTransfer:
    """A grouping moving to the centre in calendar month `month` of the forecast year, with the
    cases it is expected to bring a year (None: nothing known, counted as nothing and named)."""

    grouping: str
    month: int
    cases_per_year: Decimal | None


@dataclass(frozen=True)
class AdministrationForecast:
    code: str
    load: Decimal
    share: Fraction
    percent: Decimal  # two decimals, adding up to 100.00 over the administrations
    share_low: Decimal
    share_high: Decimal
    amount: Decimal | None = None
    amount_low: Decimal | None = None
    amount_high: Decimal | None = None


@dataclass(frozen=True)
class ForecastMonth:
    month: date
    volume: Decimal
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class Forecast:
    year: int
    method: str | None
    months_used: int
    history: list[tuple[date, Decimal]]
    monthly: list[ForecastMonth]
    volume: Decimal
    volume_low: Decimal
    volume_high: Decimal
    administrations: list[AdministrationForecast]
    central: Decimal
    unowned: dict[str, Decimal]
    grouping_volumes: dict[str, Decimal]
    transfers_counted: dict[str, Decimal] = field(default_factory=dict)
    transfers_without_volume: list[str] = field(default_factory=list)
    digitalised: Decimal = ZERO


def month_index(first: date, month: date) -> int:
    return (month.year - first.year) * 12 + month.month - first.month


def _fits(
    months: Sequence[date], volumes: Mapping[str, Sequence[Decimal | None]], method: str, leave_out: int | None
) -> dict[str, SeriesFit]:
    first = months[0]
    out = {}
    for grouping, values in volumes.items():
        points = [
            Point(month_index(first, m), m.month, v)
            for i, (m, v) in enumerate(zip(months, values, strict=True))
            if v is not None and i != leave_out
        ]
        out[grouping] = fit(points, method)
    return out


@dataclass
class _Year:
    """The year's monthly volume per grouping, after transfers and digitalisation."""

    monthly: dict[str, list[Decimal]]
    kept_months: dict[str, int]  # months still from the fitted series (not replaced by a transfer)
    scale: dict[str, Decimal]  # 1 − digitalisation
    counted: dict[str, Decimal]
    digitalised: Decimal


def _year(
    fits: Mapping[str, SeriesFit],
    first: date,
    year: int,
    transfers: Sequence[PlannedTransfer],
    digitalisation: Mapping[str, Decimal],
) -> _Year:
    planned = {t.grouping: t for t in transfers if t.cases_per_year is not None}
    groupings = sorted(set(fits) | set(planned))
    result = _Year({}, {}, {}, {}, ZERO)
    for grouping in groupings:
        scale = ONE - digitalisation.get(grouping, ZERO) / 100
        transfer = planned.get(grouping)
        values = []
        kept = 0
        for m in range(1, 13):
            if transfer is not None and transfer.cases_per_year is not None and m >= transfer.month:
                value = transfer.cases_per_year / 12
                result.counted[grouping] = result.counted.get(grouping, ZERO) + value
            else:
                series_fit = fits.get(grouping)
                value = series_fit.at(month_index(first, date(year, m, 1)), m) if series_fit else ZERO
                kept += 1
            result.digitalised += value * (ONE - scale)
            values.append(value * scale)
        result.monthly[grouping] = values
        result.kept_months[grouping] = kept
        result.scale[grouping] = scale
    return result


def _loads(
    yearly: Mapping[str, Decimal], owners: Mapping[str, list[MapOwner]]
) -> tuple[dict[str, Decimal], Decimal, dict[str, Decimal]]:
    loads: dict[str, Decimal] = {}
    central = ZERO
    unowned: dict[str, Decimal] = {}
    for code in {o.administration for group in owners.values() for o in group if o.administration}:
        loads[code] = ZERO
    for grouping, volume in sorted(yearly.items()):
        group = owners.get(grouping)
        if not group:
            if volume:
                unowned[grouping] = volume
            continue
        for owner in group:
            if owner.administration is None:
                central += volume * owner.fraction
            else:
                loads[owner.administration] += volume * owner.fraction
    return loads, central, unowned


def _share_map(loads: Mapping[str, Decimal]) -> dict[str, Fraction]:
    total = sum((Fraction(v) for v in loads.values()), Fraction(0))
    return {code: (Fraction(v) / total if total else Fraction(0)) for code, v in loads.items()}


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _jackknife(replicates: Sequence[Decimal]) -> Decimal:
    n = len(replicates)
    if n < 2:
        return ZERO
    mean = sum(replicates, ZERO) / n
    return Decimal(n - 1) / n * sum(((r - mean) ** 2 for r in replicates), ZERO)


def _bounds(point: Decimal, variance: Decimal, low: Decimal, high: Decimal | None) -> tuple[Decimal, Decimal]:
    spread = TWO * variance.sqrt() if variance > 0 else ZERO
    upper = point + spread if high is None else min(point + spread, high)
    return max(point - spread, low), upper


def project(
    *,
    year: int,
    months: Sequence[date],
    volumes: Mapping[str, Sequence[Decimal | None]],
    owners: Mapping[str, list[MapOwner]],
    transfers: Sequence[PlannedTransfer] = (),
    digitalisation: Mapping[str, Decimal] | None = None,
    net: Decimal | None = None,
    unit: Decimal = ORE,
) -> Forecast:
    """The forecast of `year` from the history `months` (consecutive, all before the year;
    `volumes[g][i]` is grouping g's volume in months[i], None for a month without any data)."""
    digitalisation = digitalisation or {}
    observed = [i for i in range(len(months)) if any(v[i] is not None for v in volumes.values())]
    method = method_for(len(observed))
    missing = [t.grouping for t in transfers if t.cases_per_year is None]
    if method is None:
        return Forecast(year, None, 0, [], [], ZERO, ZERO, ZERO, [], ZERO, {}, {}, transfers_without_volume=missing)
    first = months[0]
    fits = _fits(months, volumes, method, None)
    point = _year(fits, first, year, transfers, digitalisation)
    yearly = {g: sum(v, ZERO) for g, v in point.monthly.items()}
    loads, central, unowned = _loads(yearly, owners)
    shares = _share_map(loads)
    month_totals = [sum((v[m] for v in point.monthly.values()), ZERO) for m in range(12)]
    volume = sum(month_totals, ZERO)

    # Leave each observed month out in turn and forecast again.
    share_reps: dict[str, list[Decimal]] = {code: [] for code in loads}
    volume_reps: list[Decimal] = []
    month_reps: list[list[Decimal]] = [[] for _ in range(12)]
    if len(observed) > 1:
        for i in observed:
            replicate = _year(_fits(months, volumes, method, i), first, year, transfers, digitalisation)
            rep_loads, _c, _u = _loads({g: sum(v, ZERO) for g, v in replicate.monthly.items()}, owners)
            for code, share in _share_map(rep_loads).items():
                share_reps.setdefault(code, []).append(_decimal(share))
            totals = [sum((v[m] for v in replicate.monthly.values()), ZERO) for m in range(12)]
            volume_reps.append(sum(totals, ZERO))
            for m in range(12):
                month_reps[m].append(totals[m])

    # The residual noise of each grouping over the months the fitted series still gives.
    noise = {
        g: fits[g].residual_variance * point.scale[g] ** 2
        for g in point.monthly
        if g in fits and fits[g].residual_variance
    }
    yearly_noise = {g: v * point.kept_months[g] for g, v in noise.items()}
    total_load = sum(loads.values(), ZERO)
    covered = {g: sum((o.fraction for o in owners.get(g, []) if o.administration), ZERO) for g in yearly_noise}
    fractions = {g: {o.administration: o.fraction for o in owners.get(g, []) if o.administration} for g in yearly_noise}

    amounts = largest_remainder(net, loads, unit) if net is not None and total_load > 0 else None
    rounded = percentages(loads) if total_load > 0 else dict.fromkeys(loads, ZERO)
    administrations = []
    for code in sorted(loads):
        point_share = _decimal(shares[code])
        residual = ZERO
        if total_load > 0:
            for g, v in yearly_noise.items():
                derivative = (fractions[g].get(code, ZERO) * total_load - loads[code] * covered[g]) / total_load**2
                residual += derivative * derivative * v
        low, high = _bounds(point_share, _jackknife(share_reps.get(code, [])) + residual, ZERO, ONE)
        amount = amount_low = amount_high = None
        if amounts is not None and net is not None:
            amount = amounts[code]
            amount_low = min(round_kronor(net * low, unit), amount)
            amount_high = max(min(round_kronor(net * high, unit), net), amount)
        administrations.append(
            AdministrationForecast(
                code, loads[code], shares[code], rounded[code], low, high, amount, amount_low, amount_high
            )
        )
    monthly = []
    month_noise = sum(noise.values(), ZERO)
    for m in range(12):
        low, high = _bounds(month_totals[m], _jackknife(month_reps[m]) + month_noise, ZERO, None)
        monthly.append(ForecastMonth(date(year, m + 1, 1), month_totals[m], low, high))
    volume_low, volume_high = _bounds(volume, _jackknife(volume_reps) + sum(yearly_noise.values(), ZERO), ZERO, None)
    history = [(months[i], sum((v[i] or ZERO for v in volumes.values()), ZERO)) for i in observed]
    return Forecast(
        year=year,
        method=method,
        months_used=len(observed),
        history=history,
        monthly=monthly,
        volume=volume,
        volume_low=volume_low,
        volume_high=volume_high,
        administrations=administrations,
        central=central,
        unowned=unowned,
        grouping_volumes=yearly,
        transfers_counted=point.counted,
        transfers_without_volume=missing,
        digitalised=point.digitalised,
    )
