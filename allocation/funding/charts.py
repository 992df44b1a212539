"""The funding overview's chart: stacked bars per budget year, one layer per funding source and
the co-financing on top, so a bar's height is what the centre costs that year. PNG, with Swedish
(or English) number formats on the axis through `cases.formats`."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from allocation.funding.sources import FundingOverview
from cases import formats

# Okabe–Ito, as the publications' charts: told apart with every common colour-vision deficiency;
# each layer also has its name in the legend, never colour alone.
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def funding_chart_png(overview: FundingOverview) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    with matplotlib.rc_context({"text.parse_math": False}):
        fig, ax = plt.subplots(figsize=(7, 3.4))
        labels = [str(y.year) for y in overview.years]
        bottom = [0.0] * len(labels)
        layers = [
            (s.name, [float(y.by_source[i] or 0) for y in overview.years]) for i, s in enumerate(overview.sources)
        ]
        layers.append((_("Co-financing (net)"), [float(y.co_financing_net or 0) for y in overview.years]))
        for index, (name, values) in enumerate(layers):
            if not any(values):
                continue
            hatch = "//" if index == len(layers) - 1 else None
            ax.bar(labels, values, bottom=bottom, label=name, color=COLOURS[index % len(COLOURS)], hatch=hatch)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_title(_("Funding of the contact centre by source and year"))
        ax.set_ylabel(_("Million kronor"))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: formats.number(value / 1_000_000, 1)))
        ax.grid(axis="y", alpha=0.3)
        if labels:
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
    return out.getvalue()
