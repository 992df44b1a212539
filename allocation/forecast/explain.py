"""The forecast told in words (in the active language): how it was made, what the range means,
what it could not count. One text for the page, the API and the evaluation."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from allocation.forecast.projection import Forecast
from allocation.forecast.series import MEAN, SEASONAL, TREND_SEASONAL
from cases import formats


def method_words(forecast: Forecast) -> str:
    """How the volumes were projected, and why that way for this much history."""
    n = forecast.months_used
    if forecast.method == TREND_SEASONAL:
        return ngettext(
            "Trend and seasonal pattern from %(n)d month: each grouping's monthly cases are fitted with one "
            "level per calendar month and a common linear trend, and projected over the year.",
            "Trend and seasonal pattern from %(n)d months: each grouping's monthly cases are fitted with one "
            "level per calendar month and a common linear trend, and projected over the year.",
            n,
        ) % {"n": n}
    if forecast.method == SEASONAL:
        return ngettext(
            "Seasonal pattern without trend from %(n)d month: a trend needs at least 24 months, so each "
            "calendar month is forecast at its average so far.",
            "Seasonal pattern without trend from %(n)d months: a trend needs at least 24 months, so each "
            "calendar month is forecast at its average so far.",
            n,
        ) % {"n": n}
    if forecast.method == MEAN:
        return ngettext(
            "Only %(n)d month of data: too little for a seasonal pattern or a trend, so every month is "
            "forecast at the average month so far.",
            "Only %(n)d months of data: too little for a seasonal pattern or a trend, so every month is "
            "forecast at the average month so far.",
            n,
        ) % {"n": n}
    return _("There is no case data before the year, so nothing can be forecast.")


def range_words() -> str:
    return _(
        "The range is the forecast ± two standard deviations. The variance adds two parts: how much the "
        "forecast moves when each past month is left out in turn (leave-one-out, the uncertainty of the fitted "
        "trend and pattern), and the month-to-month scatter the fit leaves unexplained, summed over the year "
        "(the noise of the year itself). With normally distributed errors about 95 percent of outcomes would "
        "fall inside it."
    )


def caveats(forecast: Forecast, *, from_reference: list[str]) -> list[str]:
    """What the forecast counted from elsewhere, or could not count, named."""
    out = []
    for grouping, cases in sorted(forecast.transfers_counted.items()):
        out.append(
            _("Planned transfer of %(grouping)s counted with %(cases)s cases from its transfer month%(source)s.")
            % {
                "grouping": grouping,
                "cases": formats.number(cases),
                "source": _(" (volume from the reference statistics)") if grouping in from_reference else "",
            }
        )
    for grouping in forecast.transfers_without_volume:
        out.append(
            _(
                "Planned transfer of %(grouping)s counted as nothing: it has no expected volume and no reference "
                "statistics."
            )
            % {"grouping": grouping}
        )
    if forecast.unowned:
        out.append(
            _("Groupings without an owner in the map in force, left out of the shares: %(list)s.")
            % {"list": ", ".join(f"{g} ({formats.number(v)})" for g, v in sorted(forecast.unowned.items()))}
        )
    if forecast.digitalised:
        out.append(
            _("Digitalisation assumptions take %(cases)s cases off the year.")
            % {"cases": formats.number(forecast.digitalised)}
        )
    return out
