"""The evaluation's first section: the cases of every year with data, per channel, and the
reference statistics' year beside them, labelled as such (the first key was built on them)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from allocation.evaluation.charts import stacked_bars
from allocation.evaluation.sections import Cell, Column, Section, Table
from cases import formats
from cases.models import Channel, MonthlyAggregate


@dataclass
class YearVolume:
    """One year's cases of one kind of source: the contact centre's own logs, or reference statistics."""

    year: int
    reference: bool
    months: set[date] = field(default_factory=set)
    by_channel: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    handle_seconds: int = 0
    handle_known: int = 0
    resolved_first: int = 0
    resolved_known: int = 0
    forwarded: int = 0

    @property
    def cases(self) -> int:
        return sum(self.by_channel.values())

    @property
    def per_month(self) -> Decimal | None:
        return Decimal(self.cases) / len(self.months) if self.months else None

    @property
    def handle_minutes(self) -> Decimal:
        return Decimal(self.handle_seconds) / 60

    def label(self) -> str:
        return _("%(year)s (reference statistics)") % {"year": self.year} if self.reference else str(self.year)


def yearly_volumes(*, up_to: int) -> list[YearVolume]:
    """Every year up to `up_to` with cases, reference statistics first within a year: one GROUP BY."""
    rows = (
        MonthlyAggregate.objects.filter(month__lt=date(up_to + 1, 1, 1))
        .values("month", "source__is_reference", "channel__code")
        .annotate(
            n=Sum("cases"),
            handle=Sum("handle_seconds"),
            handle_known=Sum("handle_known"),
            resolved_first=Sum("resolved_first"),
            resolved_known=Sum("resolved_known"),
            forwarded=Sum("forwarded"),
        )
        .order_by()
    )
    years: dict[tuple[int, bool], YearVolume] = {}
    for r in rows:
        month: date = r["month"]
        reference = bool(r["source__is_reference"])
        volume = years.setdefault((month.year, reference), YearVolume(month.year, reference))
        volume.months.add(month)
        volume.by_channel[r["channel__code"]] += int(r["n"] or 0)
        volume.handle_seconds += int(r["handle"] or 0)
        volume.handle_known += int(r["handle_known"] or 0)
        volume.resolved_first += int(r["resolved_first"] or 0)
        volume.resolved_known += int(r["resolved_known"] or 0)
        volume.forwarded += int(r["forwarded"] or 0)
    return [years[k] for k in sorted(years, key=lambda k: (k[0], not k[1]))]


def own_case_years() -> set[int]:
    """The years with any case of the contact centre's own logs."""
    return {m.year for m in MonthlyAggregate.objects.filter(source__is_reference=False).dates("month", "year")}


def _rate(numerator: int, denominator: int) -> Decimal | None:
    return Decimal(numerator) / denominator if denominator else None


def section(*, year: int) -> Section:
    volumes = yearly_volumes(up_to=year)
    title = _("Volumes and channels over the years")
    if not volumes:
        return Section(
            slug="volumes",
            title=title,
            summary=_(
                "No cases are loaded for %(year)s or the years before. Import the contact centre's case logs "
                "(and the reference statistics the first key was built on) to see the volumes here."
            )
            % {"year": year},
        )
    channel_names = dict(Channel.objects.values_list("code", "name"))
    used = sorted(
        {c for v in volumes for c, n in v.by_channel.items() if n},
        key=lambda c: (-sum(v.by_channel.get(c, 0) for v in volumes), c),
    )
    per_channel = Table(
        caption=_("Cases per channel and year"),
        columns=(
            Column(_("Year")),
            Column(_("Months with data"), "count"),
            *(Column(channel_names.get(c, c), "count") for c in used),
            Column(_("All channels"), "count"),
        ),
        rows=tuple((v.label(), len(v.months), *(v.by_channel.get(c, 0) for c in used), v.cases) for v in volumes),
    )
    service_rows: list[tuple[Cell, ...]] = [
        (
            v.label(),
            v.per_month,
            v.handle_minutes / v.handle_known if v.handle_known else None,
            _rate(v.resolved_first, v.resolved_known),
            None if v.reference else _rate(v.forwarded, v.cases),  # reference statistics do not tell
        )
        for v in volumes
    ]
    service = Table(
        caption=_("Cases per month and how they were handled"),
        columns=(
            Column(_("Year")),
            Column(_("Cases per month with data"), "count"),
            Column(_("Average handle time (min)"), "minutes"),
            Column(_("Resolved at first contact"), "percent"),
            Column(_("Forwarded"), "percent"),
        ),
        rows=tuple(service_rows),
    )
    chart = stacked_bars(
        [v.label() for v in volumes],
        {channel_names.get(c, c): [Decimal(v.by_channel.get(c, 0)) for v in volumes] for c in used},
        title=_("Cases per year and channel"),
        ylabel=_("Cases"),
    )
    return Section(
        slug="volumes",
        title=title,
        summary=_summary(year, volumes, channel_names),
        tables=(per_channel, service),
        chart_png=chart,
    )


def _summary(year: int, volumes: list[YearVolume], channel_names: dict[str, str]) -> str:
    own = {v.year: v for v in volumes if not v.reference}
    parts: list[str] = []
    this = own.get(year)
    if this is None or not this.cases:
        parts.append(_("The contact centre's own logs hold no case of %(year)s.") % {"year": year})
    else:
        top = max(this.by_channel, key=lambda c: (this.by_channel[c], c))
        parts.append(
            _(
                "In %(year)s the contact centre handled %(cases)s cases in %(months)s months with data "
                "(%(per_month)s a month); %(channel)s was the largest channel with %(share)s."
            )
            % {
                "year": year,
                "cases": formats.cases(this.cases),
                "months": len(this.months),
                "per_month": formats.cases(this.per_month),
                "channel": channel_names.get(top, top),
                "share": formats.percent(Decimal(this.by_channel[top]) / this.cases),
            }
        )
        before = own.get(year - 1)
        if before is not None and before.per_month and this.per_month is not None:
            parts.append(
                _("Cases per month changed by %(change)s from %(before)s.")
                % {"change": formats.percent(this.per_month / before.per_month - 1), "before": year - 1}
            )
    for v in volumes:
        if v.reference:
            parts.append(
                _(
                    "The reference statistics of %(year)s (another municipality's, the first key's basis) "
                    "counted %(cases)s cases."
                )
                % {"year": v.year, "cases": formats.cases(v.cases)}
            )
    return " ".join(parts)
