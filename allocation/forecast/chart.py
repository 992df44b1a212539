"""History and forecast in one picture (PNG, matplotlib): the months seen as a line, the
forecast year as a dashed line inside its shaded range, axes written the Swedish way through
`cases.formats`."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from allocation.forecast.projection import Forecast, month_index
from cases import formats


def forecast_chart(forecast: Forecast) -> bytes | None:
    """The chart's PNG bytes, or None when there is nothing to draw."""
    if not forecast.history:
        return None
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["text.parse_math"] = False  # labels are plain text
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    # Positions by calendar month, so the months between the data and the year show as a gap.
    months = sorted({m for m, _v in forecast.history} | {f.month for f in forecast.monthly})
    position = {m: month_index(months[0], m) for m in months}
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.plot(
        [position[m] for m, _v in forecast.history],
        [float(v) for _m, v in forecast.history],
        color="#0072B2",
        marker=".",
        label=_("Cases per month (measured)"),
    )
    x = [position[f.month] for f in forecast.monthly]
    ax.fill_between(
        x,
        [float(f.low) for f in forecast.monthly],
        [float(f.high) for f in forecast.monthly],
        color="#E69F00",
        alpha=0.25,
        label=_("Range of the forecast"),
    )
    ax.plot(
        x,
        [float(f.volume) for f in forecast.monthly],
        color="#D55E00",
        linestyle="--",
        marker="o",
        label=_("Forecast"),
    )
    ordered = months
    step = max(1, len(ordered) // 12)
    ax.set_xticks(
        [position[m] for m in ordered[::step]], [formats.month_short(m) for m in ordered[::step]], rotation=45
    )
    ax.tick_params(axis="x", labelsize=8)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: formats.number(float(value), 0)))
    ax.set_ylabel(_("Cases"))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    out = io.BytesIO()
    fig.savefig(out, format="png", bbox_inches="tight", dpi=96, metadata={"Software": None})
    plt.close(fig)
    return out.getvalue()
