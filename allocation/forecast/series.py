"""One grouping's monthly series fitted and projected (pure: no database, no floats).

The model is a regression on the month index with one level per calendar month (the seasonal
pattern) and one common slope (the trend). The slope is the within-month estimator: each
observation is compared with the mean of its own calendar month only, so a seasonal pattern can
never pass for a trend, nor a trend for a seasonal pattern. The slope is then shrunk by its
evidence (see `fit`), so noise is not extrapolated as if it were a trend. With less history the model
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
# A slope counts only beyond two standard errors (4 = 2²) and then only by its excess: the
# conventional 95 % evidence; bench/forecast_backtest.py --shrinkage compares 1, 4 and 9.
SHRINKAGE = Decimal(4)


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
        slope = spread = ZERO
    else:
        by_month: dict[int, list[Point]] = {}
        for p in points:
            by_month.setdefault(p.month, []).append(p)
        levels = {
            m: (sum((p.value for p in ps), ZERO) / len(ps), Decimal(sum(p.t for p in ps)) / len(ps))
            for m, ps in sorted(by_month.items())
        }
        slope = ZERO
        spread = ZERO
        parameters = len(levels)
        if method == TREND_SEASONAL:
            parameters += 1
            across = ZERO
            for p in points:
                mean, t_mean = levels[p.month]
                dt = Decimal(p.t) - t_mean
                across += dt * (p.value - mean)
                spread += dt * dt
            slope = across / spread if spread else ZERO
    variance = _residual_variance(points, levels, slope, parameters)
    if method == TREND_SEASONAL and slope and spread:
        # Shrink the slope by its own evidence (a positive-part James–Stein factor
        # 1 − k·se²/slope², se² = variance / spread): a slope within two standard errors of
        # zero becomes no trend, a clear one stays nearly whole. A grouping's few cases a month
        # are noisy, and an unshrunk slope extrapolated over a year overshoots (measured by
        # the backtest in bench/).
        slope *= max(ZERO, 1 - SHRINKAGE * variance / spread / (slope * slope))
        variance = _residual_variance(points, levels, slope, parameters)
    return SeriesFit(method, levels, slope, variance)


def _residual_variance(
    points: Sequence[Point], levels: dict[int, tuple[Decimal, Decimal]], slope: Decimal, parameters: int
) -> Decimal:
    residuals = ZERO
    for p in points:
        mean, t_mean = levels[p.month]
        residual = p.value - (mean + slope * (Decimal(p.t) - t_mean))
        residuals += residual * residual
    freedom = len(points) - parameters
    return residuals / freedom if freedom > 0 else ZERO
