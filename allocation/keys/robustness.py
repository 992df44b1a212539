"""How much a measured key depends on one month (leave one out) and which months stand out
(unusual months). Pure: no database; exact like the key itself.

Unusual months use the modified z-score of Iglewicz and Hoaglin on the median absolute
deviation: M = 0.6745 × (x − median) / MAD, flagged when |M| > 3.5. It is robust: one extreme
month cannot hide itself by inflating the spread, as it would with a mean and a standard
deviation. Applied to each month's total volume and to each administration's monthly share."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from statistics import median

from allocation import calculation
from allocation.calculation import MapOwner, VolumeCell

THRESHOLD = Decimal("3.5")
CONSISTENCY = Decimal("0.6745")


def merge_cells(groups: Iterable[list[VolumeCell]]) -> list[VolumeCell]:
    """Cells of several months as one window: cases and handle time added per grouping and channel."""
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for cells in groups:
        for c in cells:
            pair = sums[(c.grouping, c.channel)]
            pair[0] += c.cases
            pair[1] += c.handle_seconds
    return [VolumeCell(g, ch, n, s) for (g, ch), (n, s) in sorted(sums.items())]


def leave_one_out(
    *,
    by_month: Mapping[date, list[VolumeCell]],
    grouping_map: Mapping[str, list[MapOwner]],
    basis: str,
    channel_weights: Mapping[str, Decimal],
    administrations: list[str],
) -> dict[date, dict[str, Decimal]]:
    """The key's shares with each month of the window left out in turn."""
    out: dict[date, dict[str, Decimal]] = {}
    for month in sorted(by_month):
        cells = merge_cells(cells for m, cells in by_month.items() if m != month)
        result = calculation.measured_loads(
            cells=cells,
            grouping_map=grouping_map,
            basis=basis,
            channel_weights=channel_weights,
            administrations=administrations,
        )
        if not any(result.loads.values()):
            continue
        out[month] = calculation.shares(result.loads)
    return out


def _scores(values: Mapping[date, Decimal]) -> dict[date, Decimal]:
    if len(values) < 3:
        return {}
    middle = Decimal(median(values.values()))
    mad = Decimal(median(abs(v - middle) for v in values.values()))
    if mad == 0:
        # More than half the months are equal: fall back on the mean absolute deviation
        # (scaled so the two agree for normally distributed data).
        mean_ad = sum((abs(v - middle) for v in values.values()), Decimal(0)) / len(values)
        if mean_ad == 0:
            return {}
        return {m: (v - middle) / (Decimal("1.253314") * mean_ad) for m, v in values.items()}
    return {m: CONSISTENCY * (v - middle) / mad for m, v in values.items()}


def unusual_months(
    *, totals: Mapping[date, Decimal], shares: Mapping[date, Mapping[str, Decimal]], basis: str = "cases"
) -> dict[date, list[dict[str, str]]]:
    """Months whose total volume, or an administration's share, stands far from the others,
    with the reasons as figures (`describe_unusual` words them in the reader's language)."""
    reasons: dict[date, list[dict[str, str]]] = defaultdict(list)
    for month, score in _scores(totals).items():
        if abs(score) > THRESHOLD:
            middle = Decimal(median(totals.values()))
            reasons[month].append(
                {
                    "kind": "volume",
                    "basis": basis,
                    "value": f"{totals[month]:.0f}",
                    "median": f"{middle:.0f}",
                    "score": f"{score:.1f}",
                }
            )
    codes = sorted({c for s in shares.values() for c in s})
    for code in codes:
        series = {m: s.get(code, Decimal(0)) * 100 for m, s in shares.items()}
        for month, score in _scores(series).items():
            if abs(score) > THRESHOLD:
                middle = Decimal(median(series.values()))
                reasons[month].append(
                    {
                        "kind": "share",
                        "code": code,
                        "value": f"{series[month]:.2f}",
                        "median": f"{middle:.2f}",
                        "score": f"{score:.1f}",
                    }
                )
    return dict(sorted(reasons.items()))


class Reason(str):
    """A reason a month stands out, in the steering group's words; `score_text` holds the modified
    z-score for a tooltip and the workbook (the figure itself is not the group's language)."""

    score_text: str

    def __new__(cls, text: str, score_text: str = "") -> Reason:
        reason = super().__new__(cls, text)
        reason.score_text = score_text
        return reason


def describe_unusual(reason: str | dict[str, str]) -> Reason:
    """One reason a month stands out, in words with the figures ("ovanlig månad: 7 629 ärenden mot
    normalt 12 154"; keys stored before the reasons were kept as figures carry them as Swedish
    text, shown as they are)."""
    from django.utils.translation import gettext as _

    from cases import formats

    if isinstance(reason, str):
        return Reason(reason)
    score = _("modified z-score %(score)s") % {"score": formats.number(reason["score"], 1)}
    words = {"median": reason["median"], "code": reason.get("code", "")}
    if reason["kind"] == "volume":
        basis = reason.get("basis", "cases")
        # A minutes key's load is kept in seconds (allocation.calculation): read it as minutes.
        scale = Decimal(60) if basis == "minutes" else Decimal(1)
        words.update(
            value=formats.number(Decimal(reason["value"]) / scale),
            median=formats.number(Decimal(reason["median"]) / scale),
        )
        if basis == "minutes":
            return Reason(_("unusual month: %(value)s minutes against normally %(median)s") % words, score)
        if basis == "weighted":
            return Reason(_("unusual month: %(value)s weighed cases against normally %(median)s") % words, score)
        return Reason(_("unusual month: %(value)s cases against normally %(median)s") % words, score)
    words.update(value=formats.share(reason["value"]), median=formats.share(reason["median"]))
    return Reason(_("%(code)s's share %(value)s against normally %(median)s") % words, score)


def unusual_reasons(stored: dict[str, list[str | dict[str, str]]] | None) -> dict[str, list[Reason]]:
    """A key's stored unusual months with their reasons in words: {"YYYY-MM": [reason, …]}."""
    return {month: [describe_unusual(r) for r in reasons] for month, reasons in (stored or {}).items()}
