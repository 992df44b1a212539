"""The yearly evaluation's part on funding: funding by source over the years up to the evaluated
year, beside the co-financing, with the planned phase-outs in words (issue 31, part 3)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from allocation.evaluation.sections import Cell, Column, Section, Table
from allocation.funding.charts import funding_chart_png
from allocation.funding.sources import funding_overview
from cases import formats

SLUG = "funding"


def section(*, year: int) -> Section:
    overview = funding_overview()
    years = [y for y in overview.years if y.year <= year]
    title = _("Funding by source")
    if not years:
        return Section(
            slug=SLUG,
            title=title,
            summary=_(
                "No funding source and no co-financing pool up to %(year)s. Register the central funding "
                "(citizen office, switchboard, start-up grant) with its amounts per year on the funding page."
            )
            % {"year": year},
        )
    columns = (
        Column(_("Budget year"), "text"),
        *(Column(s.name, "kronor") for s in overview.sources),
        Column(_("Central funding"), "kronor"),
        Column(_("Co-financing (net)"), "kronor"),
        Column(_("Central funding's share"), "percent"),
    )
    rows: list[tuple[Cell, ...]] = []
    for y in years:
        whole = y.central + (y.co_financing_net or Decimal(0))
        share = (y.central / whole) if whole else None
        rows.append((str(y.year), *y.by_source, y.central, y.co_financing_net, share))
    last = years[-1]
    sentences = [
        _("%(year)s: central funding %(central)s, co-financed by the administrations %(net)s.")
        % {
            "year": last.year,
            "central": formats.kronor(last.central),
            "net": formats.kronor(last.co_financing_net) if last.co_financing_net is not None else "–",
        }
    ]
    for source in overview.sources:
        if source.last_year is not None:
            sentences.append(
                _("%(name)s ends after %(last)s.") % {"name": source.name, "last": source.last_year}
                if source.last_year >= year
                else _("%(name)s ended after %(last)s.") % {"name": source.name, "last": source.last_year}
            )
    return Section(
        slug=SLUG,
        title=title,
        summary=" ".join(sentences),
        tables=(Table(caption=_("Funding per budget year"), columns=columns, rows=tuple(rows)),),
        chart_png=funding_chart_png(overview),
    )
