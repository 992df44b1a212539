"""A key's robustness as the steering group reads it: per administration its share, the range
with one month left out and the swing in kronor, and the same as a chart."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from allocation import calculation
from allocation.models import AllocationKey
from allocation.runs.explanations import explanation_amount
from cases.selectors import administration_names


def robustness_rows(key: AllocationKey) -> tuple[list[dict[str, Any]], Decimal | None]:
    """Per administration: its share in the key, the lowest and highest with one month left out,
    and the largest swing in kronor on the co-financing pool of the key's year."""
    robust = key.robustness or {}
    ranges = robust.get("range", {})
    if not ranges:
        return [], None
    amount = explanation_amount(key).amount
    names = administration_names()
    shares = dict(key.shares.values_list("administration__code", "share"))
    rows = []
    for code in sorted(ranges):
        low, high = Decimal(ranges[code]["min"]), Decimal(ranges[code]["max"])
        share = shares.get(code, Decimal(0))
        swing = max(abs(high - share), abs(share - low))
        rows.append(
            {
                "code": code,
                "name": names.get(code, ""),
                "share": share * 100,
                "low": low * 100,
                "high": high * 100,
                "swing_pp": swing * 100,
                "swing_kr": calculation.round_kronor(swing * amount) if amount is not None else None,
            }
        )
    return rows, amount


def robustness_chart(rows: list[dict[str, Any]]) -> str | None:
    """Each administration's share with its leave-one-out range, as an SVG data URI."""
    if not rows:
        return None
    from allocation.axes import figures_axis
    from allocation.publications.renderers import pyplot, svg_bytes

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3))
    x = list(range(len(rows)))
    shares = [float(r["share"]) for r in rows]
    below = [float(r["share"] - r["low"]) for r in rows]
    above = [float(r["high"] - r["share"]) for r in rows]
    ax.bar(x, shares, color="#4a90b8", label=_("Share in the key"))
    ax.errorbar(x, shares, yerr=[below, above], fmt="none", ecolor="#222", capsize=4, label=_("One month left out"))
    ax.set_xticks(x, [r["code"] for r in rows], rotation=45, fontsize=8)
    ax.set_ylabel(_("Share (%)"))
    figures_axis(ax.yaxis)
    ax.legend(fontsize=8)
    return "data:image/svg+xml;base64," + base64.b64encode(svg_bytes(fig)).decode()
