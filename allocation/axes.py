"""Chart axes as the reader writes numbers (pure but for matplotlib's formatter): one formatter for
every chart of every capability, so a tick reads 5 000, 12,5 or −0,04 and never 0.0 or -0."""

from __future__ import annotations

from typing import Any

from cases import formats

__all__ = ["figures_axis"]


def figures_axis(axis: Any, places: int = 0) -> None:
    """Tick labels as the reader writes numbers (5 000, 12,5, −0,04), through cases.formats: at
    least `places` decimals, and as many as the ticks' spacing needs (0,02 steps get two)."""
    import itertools
    import math

    from matplotlib.ticker import FuncFormatter

    def label(value: float, _pos: Any) -> str:
        ticks = sorted(axis.get_majorticklocs())
        steps = [b - a for a, b in itertools.pairwise(ticks) if b > a]
        needed = max(0, -math.floor(math.log10(min(steps)) + 1e-9)) if steps else 0
        return formats.number(float(value) + 0.0, max(places, needed))  # + 0.0: no "-0"

    axis.set_major_formatter(FuncFormatter(label))
