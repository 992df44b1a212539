"""The evaluation's charts as PNG (matplotlib, the publications' style and colours): figures on the
axes written the reader's way through `cases.formats`, so a Swedish report never shows 5000 or 12.5."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from decimal import Decimal

from allocation.publications.renderers import pyplot
from cases import formats


def png_bytes(fig: object) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})  # type: ignore[attr-defined]
    pyplot().close(fig)
    return out.getvalue()


def stacked_bars(labels: Sequence[str], series: Mapping[str, Sequence[Decimal]], *, title: str, ylabel: str) -> bytes:
    """One bar per label (a year), stacked by series (channels), with a legend naming each part."""
    from matplotlib.ticker import FuncFormatter

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    bottom = [0.0] * len(labels)
    for name, values in series.items():
        heights = [float(v) for v in values]
        ax.bar(list(labels), heights, bottom=bottom, label=name, width=0.6)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: formats.number(float(value), 0)))
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return png_bytes(fig)


def grouped_bars(
    labels: Sequence[str], series: Mapping[str, Sequence[Decimal | None]], *, title: str, ylabel: str
) -> bytes:
    """Bars side by side per label (an administration), one per series (the key, the measured share);
    a missing figure is a gap, not a zero."""
    from matplotlib.ticker import FuncFormatter

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        offset = (i - (len(series) - 1) / 2) * width
        ax.bar(
            [x + offset for x in range(len(labels))],
            [float(v) if v is not None else float("nan") for v in values],
            width=width,
            label=name,
        )
    ax.set_xticks(list(range(len(labels))), list(labels), rotation=45, fontsize=8)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: formats.number(float(value), 0)))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7)
    return png_bytes(fig)
