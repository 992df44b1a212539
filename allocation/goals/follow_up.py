"""The effect goals followed up month by month (reads): each measure's value per month (and per
channel for first-contact resolution) from the monthly aggregates of the centre's own sources,
beside the year's approved target and the baseline, with a red/amber/green status.

The baseline is the first full calendar year with data in every month; while there is none, the
first 12 consecutive months with data. The pages say which months it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from allocation.goals.measures import BY_CODE, MEASURES, Line, measure_label, measure_values
from allocation.goals.status import Level, measure_level
from allocation.models import GoalTargetSet
from allocation.selectors import month_cells, own_source_ids
from cases import formats
from cases.models import Channel, MonthlyAggregate
from cases.months import month_range


def months_with_data() -> list[date]:
    return sorted(
        set(
            MonthlyAggregate.objects.filter(source_id__in=own_source_ids(), cases__gt=0)
            .order_by()
            .values_list("month", flat=True)
            .distinct()
        )
    )


@dataclass(frozen=True)
class Baseline:
    """The period the goals are measured from: `calendar_year` True for a full calendar year."""

    months: tuple[date, ...]
    calendar_year: bool

    @property
    def description(self) -> str:
        from django.utils.translation import gettext as _

        first, last = formats.month(self.months[0]), formats.month(self.months[-1])
        if self.calendar_year:
            return _("the calendar year %(year)s (the first full year with data)") % {"year": self.months[0].year}
        return _(
            "%(first)s – %(last)s (the first 12 consecutive months with data: there is no full calendar year yet)"
        ) % {"first": first, "last": last}


def baseline_period(months: list[date] | None = None) -> Baseline | None:
    """The first full calendar year of data, else the first 12 consecutive months with data."""
    have = set(months_with_data() if months is None else months)
    for year in sorted({m.year for m in have}):
        year_months = [date(year, m, 1) for m in range(1, 13)]
        if all(m in have for m in year_months):
            return Baseline(tuple(year_months), True)
    for start in sorted(have):
        last = start.year * 12 + start.month - 1 + 11  # eleven months after the start
        window = month_range(start, date(last // 12, last % 12 + 1, 1))
        if all(m in have for m in window):
            return Baseline(tuple(window), False)
    return None


def baseline_values(baseline: Baseline | None) -> dict[Line, Decimal | None]:
    """Each measure over the whole baseline period (its cells pooled, not an average of months)."""
    if baseline is None:
        return {}
    cells = month_cells(list(baseline.months))
    return measure_values(c for m in baseline.months for c in cells.get(m, []))


def approved_target_set(year: int) -> GoalTargetSet | None:
    return GoalTargetSet.objects.filter(year=year, status=GoalTargetSet.Status.APPROVED).first()


def set_targets(target_set: GoalTargetSet | None) -> dict[Line, Decimal]:
    if target_set is None:
        return {}
    return {
        (t.measure, t.channel.code if t.channel else None): t.value
        for t in target_set.targets.select_related("channel")
    }


def goal_years() -> list[int]:
    """The years a follow-up can show: years with data, and years with targets."""
    years = {m.year for m in months_with_data()}
    years |= set(GoalTargetSet.objects.values_list("year", flat=True))
    return sorted(years)


def target_sets_listed() -> QuerySet[GoalTargetSet]:
    return GoalTargetSet.objects.select_related("created_by").prefetch_related("targets")


def target_sets_awaiting() -> QuerySet[GoalTargetSet]:
    """Proposed target sets: the steering group's start page lists them."""
    return GoalTargetSet.objects.filter(status=GoalTargetSet.Status.PROPOSED).order_by("year", "pk")


@dataclass(frozen=True)
class Point:
    month: date
    value: Decimal | None
    level: Level


@dataclass(frozen=True)
class FollowUpLine:
    measure: str
    channel: str | None
    channel_name: str | None
    label: str
    unit: str
    higher_is_better: bool
    target: Decimal | None
    baseline: Decimal | None
    points: tuple[Point, ...]
    year_value: Decimal | None
    year_level: Level


@dataclass(frozen=True)
class FollowUp:
    year: int
    target_set: GoalTargetSet | None
    baseline: Baseline | None
    months: tuple[date, ...]
    lines: tuple[FollowUpLine, ...]


def _line_order(line: Line, channel_names: dict[str, str]) -> tuple[int, str]:
    codes = [m.code for m in MEASURES]
    return (codes.index(line[0]), "" if line[1] is None else channel_names.get(line[1], line[1]))


def follow_up(*, year: int, months: list[date] | None = None) -> FollowUp:
    """The year's months with data (or `months`), every measure per month against the year's
    approved target and the baseline. A line is shown when it has a target or a value."""
    if months is None:
        months = [m for m in months_with_data() if m.year == year]
    cells = month_cells(months)
    per_month = {m: measure_values(cells.get(m, [])) for m in months}
    year_values = measure_values(c for m in months for c in cells.get(m, []))
    target_set = approved_target_set(year)
    targets = set_targets(target_set)
    baseline = baseline_period()
    base = baseline_values(baseline)
    channel_names = dict(Channel.objects.values_list("code", "name"))
    lines = {line for values in per_month.values() for line, v in values.items() if v is not None} | set(targets)
    out = []
    for line in sorted(lines, key=lambda ln: _line_order(ln, channel_names)):
        measure = BY_CODE[line[0]]
        target, baseline_value = targets.get(line), base.get(line)
        channel_name = channel_names.get(line[1], line[1]) if line[1] else None

        def level(value: Decimal | None) -> Level:
            return measure_level(measure, value=value, target=target, baseline=baseline_value)  # noqa: B023

        points = tuple(Point(m, per_month[m].get(line), level(per_month[m].get(line))) for m in months)
        out.append(
            FollowUpLine(
                measure=line[0],
                channel=line[1],
                channel_name=channel_name,
                label=measure_label(line[0], channel_name),
                unit=measure.unit,
                higher_is_better=measure.higher_is_better,
                target=target,
                baseline=baseline_value,
                points=points,
                year_value=year_values.get(line),
                year_level=level(year_values.get(line)),
            )
        )
    return FollowUp(year, target_set, baseline, tuple(months), tuple(out))


def month_goals_doc(month: date) -> dict[str, Any]:
    """The month's goals as a publication stores them (JSON: decimals as text): each measure's value
    against the year's approved target and the baseline, with its status level. The monthly
    statistics page and workbook show it."""
    month = month.replace(day=1)
    result = follow_up(year=month.year, months=[month])
    baseline = result.baseline
    return {
        "year": month.year,
        "target_set": result.target_set.pk if result.target_set else None,
        "baseline_from": f"{baseline.months[0]:%Y-%m}" if baseline else None,
        "baseline_to": f"{baseline.months[-1]:%Y-%m}" if baseline else None,
        "baseline_calendar_year": baseline.calendar_year if baseline else None,
        "lines": [
            {
                "measure": line.measure,
                "channel": line.channel,
                "channel_name": line.channel_name,
                "unit": line.unit,
                "higher_is_better": line.higher_is_better,
                "value": _text(line.points[0].value),
                "target": _text(line.target),
                "baseline": _text(line.baseline),
                "level": line.points[0].level,
            }
            for line in result.lines
        ],
    }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
