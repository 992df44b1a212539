"""A chart per effect-goal measure (matplotlib PNG): the monthly value, the target line and the
baseline line, with Swedish axis formats in the Swedish interface (cases.formats)."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _

from allocation.axes import figures_axis
from allocation.goals.follow_up import FollowUpLine
from cases import formats


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["text.parse_math"] = False  # channel names are typed by people
    import matplotlib.pyplot as plt

    return plt


def _draw(ax: Any, line: FollowUpLine) -> None:
    """The line's months as points (a month without a value is a gap), the target as a dashed line
    and the baseline as a dotted one; the y axis in percent or seconds as the reader writes them."""
    scale = 100.0 if line.unit == "rate" else 1.0
    labels = [formats.month_short(p.month) for p in line.points]
    values = [float(p.value) * scale if p.value is not None else float("nan") for p in line.points]
    # Okabe–Ito colours, told apart with every common colour-vision deficiency; the lines also
    # differ by style and are named in the legend.
    ax.plot(labels, values, marker="o", color="#0072B2", label=_("The month"))
    if line.target is not None:
        ax.axhline(float(line.target) * scale, color="#009E73", linestyle="--", label=_("Target"))
    if line.baseline is not None:
        ax.axhline(float(line.baseline) * scale, color="#E69F00", linestyle=":", label=_("Baseline"))
    ax.set_title(line.label, fontsize=10)
    ax.set_ylabel(_("Percent") if line.unit == "rate" else _("Seconds"))
    figures_axis(ax.yaxis, 1 if scale == 100 else 0)
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")


def _png(fig: Any, plt: Any) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=80, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return out.getvalue()


def line_chart_png(line: FollowUpLine) -> bytes:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 2.6))
    _draw(ax, line)
    return _png(fig, plt)


def chart_png_cached(line: FollowUpLine) -> bytes:
    """`line_chart_png`, kept a day in the cache under the line's figures and the language: the
    same figures draw the same chart, and drawing a dozen takes seconds."""
    import hashlib

    from django.core.cache import cache
    from django.utils.translation import get_language

    key = "goal-chart:" + hashlib.sha256(repr((line, get_language())).encode()).hexdigest()
    png = cache.get(key)
    if png is None:
        png = line_chart_png(line)
        cache.set(key, png, 86400)
    return png


def lines_chart_png(lines: list[FollowUpLine]) -> bytes | None:
    """Every measure over all channels, and each channel with a target, in one picture, two to a row
    (the evaluation report has one chart per part)."""
    lines = [
        line
        for line in lines
        if any(p.value is not None for p in line.points) and (line.channel is None or line.target is not None)
    ]
    if not lines:
        return None
    plt = _pyplot()
    rows = (len(lines) + 1) // 2
    fig, axes = plt.subplots(rows, 2, figsize=(11, 2.8 * rows), squeeze=False)
    for ax, line in zip(axes.flat, lines, strict=False):
        _draw(ax, line)
    for ax in list(axes.flat)[len(lines) :]:
        ax.set_visible(False)
        ax.axis("off")  # no axis of its own (0.0 … 1.0) on a panel left empty
    fig.tight_layout()
    return _png(fig, plt)
