"""One grouping's monthly series fitted and projected (pure: no database, no floats).

The model is a regression on the month index with one level per calendar month (the seasonal
pattern) and one common slope (the trend). The slope is the within-month estimator: each
observation is compared with the mean of its own calendar month only, so a seasonal pattern can
never pass for a trend, nor a trend for a seasonal pattern. With less history the model
degrades: under 24 months there is no trend (a level per calendar month, the pattern of the
months seen), under 12 months no seasonal pattern either (the mean of the months seen).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)
TREND_SEASONAL = "trend_seasonal"
SEASONAL = "seasonal"
MEAN = "mean"
METHODS = (TREND_SEASONAL, SEASONAL, MEAN)
MONTHS_FOR_TREND = 24
MONTHS_FOR_SEASON = 12


def method_for(months_with_data: int) -> str | None:
    """The richest model the history supports; None when there is no history at all."""
    if months_with_data >= MONTHS_FOR_TREND:
        return TREND_SEASONAL
    if months_with_data >= MONTHS_FOR_SEASON:
        return SEASONAL
    return MEAN if months_with_data > 0 else None


@dataclass(frozen=True)
class Point:
    """One observed month: its index from the first month of the history, its calendar month
    (1–12) and its volume."""

    t: int
    month: int
    value: Decimal


@dataclass(frozen=True)
class SeriesFit:
    """A fitted series. `levels` maps a calendar month to (mean volume, mean month index) of its
    observations; `residual_variance` is the monthly variance of what the fit leaves unexplained
    (zero when the fit has no degrees of freedom left)."""

    method: str
    levels: dict[int, tuple[Decimal, Decimal]]
    slope: Decimal
    residual_variance: Decimal

    def at(self, t: int, month: int) -> Decimal:
        """The projected volume in month index `t` (calendar month `month`), never negative."""
        if not self.levels:
            return ZERO
        if month in self.levels:
            mean, t_mean = self.levels[month]
            value = mean + self.slope * (Decimal(t) - t_mean)
        else:
            # A calendar month never observed (or left out) counts as the average month.
            value = sum(
                (mean + self.slope * (Decimal(t) - t_mean) for mean, t_mean in self.levels.values()), ZERO
            ) / len(self.levels)
        return max(value, ZERO)


def fit(points: Sequence[Point], method: str) -> SeriesFit:
    """Fit the model of `method` to the observed points (see the module's docstring)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    if not points:
        return SeriesFit(method, {}, ZERO, ZERO)
    if method == MEAN:
        mean = sum((p.value for p in points), ZERO) / len(points)
        t_mean = Decimal(sum(p.t for p in points)) / len(points)
        levels = dict.fromkeys(range(1, 13), (mean, t_mean))
        parameters = 1
        slope = ZERO
    else:
        by_month: dict[int, list[Point]] = {}
        for p in points:
            by_month.setdefault(p.month, []).append(p)
        levels = {
            m: (sum((p.value for p in ps), ZERO) / len(ps), Decimal(sum(p.t for p in ps)) / len(ps))
            for m, ps in sorted(by_month.items())
        }
        slope = ZERO
        parameters = len(levels)
        if method == TREND_SEASONAL:
            parameters += 1
            across = ZERO
            spread = ZERO
            for p in points:
                mean, t_mean = levels[p.month]
                dt = Decimal(p.t) - t_mean
                across += dt * (p.value - mean)
                spread += dt * dt
            slope = across / spread if spread else ZERO
    residuals = ZERO
    for p in points:
        mean, t_mean = levels[p.month]
        residual = p.value - (mean + slope * (Decimal(p.t) - t_mean))
        residuals += residual * residual
    freedom = len(points) - parameters
    variance = residuals / freedom if freedom > 0 else ZERO
    return SeriesFit(method, levels, slope, variance)
