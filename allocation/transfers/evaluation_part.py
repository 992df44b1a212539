"""The yearly evaluation's part on transfers and benefit realisation: the transfers by wave, and
per administration what the centre handled, solved in the first contact and relieved, beside what
each paid, with a chart of the relieved hours month by month."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from allocation.evaluation.sections import Column, Section, Table
from allocation.transfers.benefit import hours
from allocation.transfers.selectors import YearBenefit, transfer_lines, year_benefit
from cases import formats
from cases.models import Administration

# The report shows hours with one decimal: each administration's hours are rounded to that once and
# the municipality's are their sum, so the column adds up as the reader sees it.
HOURS_IN_REPORT = Decimal("0.1")


def section(*, year: int) -> Section:
    lines = [line for line in transfer_lines() if line.transfer.transferred_on <= date(year, 12, 31)]
    every = list(Administration.objects.order_by("code").values_list("code", "name"))
    benefit = year_benefit(year=year, codes=[code for code, _name in every])
    title = _("Transfers and benefit realisation")
    if not lines and not benefit.months:
        return Section(
            slug="transfers",
            title=title,
            sheet=_("Transfers and benefit"),
            summary=_(
                "No grouping is registered as transferred to the contact centre by %(year)s and no case logs are "
                "loaded for the year. Finance staff register transfers (or import a file) and each administration's "
                "cost per case-officer hour under Transfers and benefit."
            )
            % {"year": year},
        )
    total = benefit.total()
    hours_of = {code: hours(benefit.total(code).relieved_minutes, HOURS_IN_REPORT) for code, _name in every}
    total_hours = sum(hours_of.values(), Decimal(0))
    wave_count = len({line.transfer.wave for line in lines})
    summary = [
        ngettext(
            "By the end of %(year)s, %(count)s groupings were registered as transferred to the contact centre "
            "in %(waves)s wave.",
            "By the end of %(year)s, %(count)s groupings were registered as transferred to the contact centre "
            "in %(waves)s waves.",
            wave_count,
        )
        % {"year": year, "count": len(lines), "waves": wave_count}
    ]
    if benefit.months:
        summary.append(
            _(
                "From %(first)s to %(last)s the centre handled %(cases)s cases for the administrations and solved "
                "%(solved)s in the first contact; in the transferred groupings that relieved the administrations' case "
                "officers of %(hours)s hours."
            )
            % {
                "first": formats.month(benefit.months[0]),
                "last": formats.month(benefit.months[-1]),
                "cases": formats.cases(total.cases),
                "solved": formats.cases(total.resolved_first),
                "hours": formats.number(total_hours, 1),
            }
        )
        if total.relieved_kronor is not None:
            summary.append(
                _("At the hour costs the administrations state, that time is worth %(kronor)s; they paid %(paid)s.")
                % {"kronor": formats.kronor(total.relieved_kronor), "paid": formats.kronor(total.paid)}
            )
        if total.missing_hour_cost or total.relieved_kronor is None:
            summary.append(_("Administrations without a stated hour cost have their relieved time in hours only."))
    waves: dict[int, list[date]] = defaultdict(list)
    for line in lines:
        waves[line.transfer.wave].append(line.transfer.transferred_on)
    wave_table = Table(
        caption=_("Transfers by wave"),
        columns=(
            Column(_("Wave"), "count"),
            Column(_("Groupings"), "count"),
            Column(_("First transfer"), "text"),
            Column(_("Last transfer"), "text"),
        ),
        rows=tuple((w, len(d), f"{min(d):%Y-%m-%d}", f"{max(d):%Y-%m-%d}") for w, d in sorted(waves.items())),
    )
    names = dict(every)
    admin_rows = []
    for code, _name in every:
        t = benefit.total(code)
        admin_rows.append(
            (
                f"{code} {names[code]}",
                t.cases,
                t.resolved_first,
                t.forwarded,
                hours_of[code],
                benefit.hour_costs.get(code),
                t.relieved_kronor,
                t.paid,
            )
        )
    admin_rows.append(
        (
            _("The municipality"),
            total.cases,
            total.resolved_first,
            total.forwarded,
            total_hours,
            None,
            total.relieved_kronor,
            total.paid,
        )
    )
    benefit_table = Table(
        caption=_("What each administration got for its money, %(year)s") % {"year": year},
        columns=(
            Column(_("Administration"), "text"),
            Column(_("Cases handled"), "count"),
            Column(_("Solved in the first contact"), "count"),
            Column(_("Forwarded"), "count"),
            Column(_("Relieved hours"), "hours"),
            Column(_("Cost per hour"), "kronor"),
            Column(_("Relieved, kronor"), "kronor"),
            Column(_("Paid"), "kronor"),
        ),
        rows=tuple(admin_rows),
    )
    return Section(
        slug="transfers",
        title=title,
        sheet=_("Transfers and benefit"),
        summary=" ".join(summary),
        tables=(wave_table, benefit_table),
        chart_png=_chart(benefit) if benefit.months else None,
    )


def _chart(benefit: YearBenefit) -> bytes:
    """Relieved hours of the whole municipality per month, axes written the reader's way."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    months = benefit.months
    values = [float(benefit.month_total(m).hours_shown) for m in months]
    fig, ax = plt.subplots(figsize=(7, 2.8))
    ax.bar([formats.month_short(m) for m in months], values, color="#0072B2")
    ax.set_title(_("Case-officer hours relieved per month"))
    ax.set_ylabel(_("Hours"))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: formats.number(Decimal(str(value)), 0)))
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    ax.grid(axis="y", alpha=0.3)
    out = io.BytesIO()
    fig.savefig(out, format="png", bbox_inches="tight", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return out.getvalue()
