"""The forecast tried on the past (pure): each year forecast from the years before it and set
beside what happened, with the measured key's naive answer (the last twelve months' shares) as
the yardstick a forecast must beat to earn its place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from allocation.calculation import MapOwner
from allocation.forecast.projection import project
from allocation.forecast.series import ZERO


@dataclass(frozen=True)
class BacktestYear:
    year: int
    method: str | None
    months_used: int
    share_error_pp: Decimal  # mean absolute error of the shares, percentage points
    naive_share_error_pp: Decimal  # the same for the last twelve months' shares
    volume_error_percent: Decimal  # (forecast − actual) / actual × 100, signed
    within_range: int  # administrations whose actual share lies in the forecast's range
    administrations: int


def _shares(volumes: Mapping[str, Decimal], owners: Mapping[str, list[MapOwner]]) -> dict[str, Fraction]:
    loads: dict[str, Fraction] = {}
    for grouping, volume in volumes.items():
        for owner in owners.get(grouping, []):
            if owner.administration is not None:
                loads[owner.administration] = loads.get(owner.administration, Fraction(0)) + Fraction(
                    volume
                ) * Fraction(owner.fraction)
    total = sum(loads.values(), Fraction(0))
    return {code: load / total for code, load in loads.items()} if total else {}


def _mean_abs_pp(a: Mapping[str, Fraction], b: Mapping[str, Fraction]) -> Decimal:
    codes = sorted(set(a) | set(b))
    if not codes:
        return ZERO
    total = sum((abs(a.get(c, Fraction(0)) - b.get(c, Fraction(0))) for c in codes), Fraction(0)) * 100 / len(codes)
    return Decimal(total.numerator) / Decimal(total.denominator)


def backtest(
    *,
    months: Sequence[date],
    volumes: Mapping[str, Sequence[Decimal | None]],
    owners: Mapping[str, list[MapOwner]],
    years: Sequence[int],
) -> list[BacktestYear]:
    """Forecast each of `years` from the months before it (at least twelve with data) and
    compare with the year's own twelve months (a year missing a month is skipped)."""
    rows = []
    for year in years:
        before = [i for i, m in enumerate(months) if m < date(year, 1, 1)]
        inside = [i for i, m in enumerate(months) if m.year == year]
        with_data = [i for i in before if any(v[i] is not None for v in volumes.values())]
        if len(with_data) < 12 or len(inside) != 12:
            continue
        if any(all(v[i] is None for v in volumes.values()) for i in inside):
            continue
        history = {g: list(v[: before[-1] + 1]) for g, v in volumes.items()}
        forecast = project(year=year, months=list(months[: before[-1] + 1]), volumes=history, owners=owners)
        actual = {g: sum((v[i] or ZERO for i in inside), ZERO) for g, v in volumes.items()}
        last_year = {g: sum((v[i] or ZERO for i in before[-12:]), ZERO) for g, v in volumes.items()}
        actual_shares = _shares(actual, owners)
        forecast_shares = {a.code: a.share for a in forecast.administrations}
        actual_volume = sum(actual.values(), ZERO)
        within = sum(
            1
            for a in forecast.administrations
            if a.share_low <= _decimal(actual_shares.get(a.code, Fraction(0))) <= a.share_high
        )
        rows.append(
            BacktestYear(
                year=year,
                method=forecast.method,
                months_used=forecast.months_used,
                share_error_pp=_mean_abs_pp(forecast_shares, actual_shares),
                naive_share_error_pp=_mean_abs_pp(_shares(last_year, owners), actual_shares),
                volume_error_percent=(forecast.volume - actual_volume) / actual_volume * 100 if actual_volume else ZERO,
                within_range=within,
                administrations=len(forecast.administrations),
            )
        )
    return rows


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)
