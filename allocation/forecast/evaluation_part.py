"""The forecast's part of the yearly evaluation: next year's shares and amounts with their
ranges, and the method in words (texts in the active language, values raw)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from allocation.evaluation.sections import Column, Section, Table
from allocation.forecast.chart import forecast_chart
from allocation.forecast.explain import caveats, method_words, range_words
from allocation.forecast.inputs import forecast_for_year
from cases import formats


def section(*, year: int) -> Section:
    """The evaluation of `year` looks ahead: the forecast of the year after it."""
    context = forecast_for_year(year=year + 1)
    forecast = context.forecast
    title = _("Forecast %(year)d – never charged") % {"year": year + 1}
    if forecast.method is None or not forecast.administrations:
        return Section(
            slug="forecast",
            title=title,
            summary=_(
                "There is no case data to forecast %(year)d from. Import the case logs of the months before it, "
                "and the forecast of its shares and amounts appears here."
            )
            % {"year": year + 1},
        )
    amounts = context.pool is not None and context.amount_refusal is None
    columns = [
        Column(_("Administration"), "text"),
        Column(_("Share"), "share"),
        Column(_("Share, low"), "percent"),
        Column(_("Share, high"), "percent"),
    ]
    if amounts:
        columns += [
            Column(_("Amount"), "kronor"),
            Column(_("Amount, low"), "kronor"),
            Column(_("Amount, high"), "kronor"),
        ]
    rows = []
    for a in forecast.administrations:
        row: list[object] = [f"{a.code} {context.names.get(a.code, '')}".strip(), a.percent, a.share_low, a.share_high]
        if amounts:
            row += [a.amount, a.amount_low, a.amount_high]
        rows.append(tuple(row))
    caption = _("Forecast shares and amounts %(year)d") % {"year": year + 1}
    if context.pool is not None and context.pool_is_this_years:
        caption += " · " + _("with this year's amounts")
    summary = " ".join(
        [
            _("%(cases)s cases are forecast for %(year)d (range %(low)s–%(high)s).")
            % {
                "cases": formats.number(forecast.volume),
                "year": year + 1,
                "low": formats.number(forecast.volume_low),
                "high": formats.number(forecast.volume_high),
            },
            method_words(forecast),
            range_words(),
            *caveats(forecast, from_reference=context.transfers_from_reference),
        ]
    )
    return Section(
        slug="forecast",
        title=title,
        summary=summary,
        tables=(Table(caption, tuple(columns), tuple(rows)),),  # type: ignore[arg-type]
        chart_png=forecast_chart(forecast),
    )
