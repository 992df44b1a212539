"""The effect goals' part of the yearly evaluation: each measure over the year against the year's
approved target and the baseline, and month by month, with the status in words and figures."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from allocation.evaluation.sections import Cell, Column, Section, Status, Table
from allocation.goals.charts import lines_chart_png
from allocation.goals.follow_up import FollowUpLine, follow_up
from allocation.goals.status import status_words


def _status(line: FollowUpLine, value: Decimal | None, level: str) -> Status:
    words = status_words(level=level, value=value, target=line.target, unit=line.unit)
    return Status(level=level, words=words)  # type: ignore[arg-type]


def section(*, year: int) -> Section:
    result = follow_up(year=year)
    title = _("Effect goals against targets")
    if not result.lines:
        return Section(
            slug="goals",
            title=title,
            summary=_(
                "There is no data and no approved target for %(year)s. Import the year's case logs, and let "
                "finance staff propose targets for the steering group to approve."
            )
            % {"year": year},
        )
    counts = {level: sum(1 for ln in result.lines if ln.year_level == level) for level in ("green", "amber", "red")}
    baseline = (
        _("Baseline: %(period)s.") % {"period": result.baseline.description}
        if result.baseline
        else _("No baseline yet: it needs 12 consecutive months with data.")
    )
    targets = (
        _("Of the measures with a target, %(green)s reached the target, %(amber)s came close and %(red)s did not.")
        % counts
        if result.target_set
        else _("No targets were approved for %(year)s, so no measure has a status.") % {"year": year}
    )
    rates = [ln for ln in result.lines if ln.unit == "rate"]
    waits = [ln for ln in result.lines if ln.unit != "rate"]

    def year_rows(lines: list[FollowUpLine]) -> tuple[tuple[Cell, ...], ...]:
        return tuple(
            (
                ln.label,
                _("higher is better") if ln.higher_is_better else _("lower is better"),
                ln.year_value,
                ln.target,
                ln.baseline,
                _status(ln, ln.year_value, ln.year_level),
            )
            for ln in lines
        )

    def columns(kind: str) -> tuple[Column, ...]:
        return (
            Column(_("Measure")),
            Column(_("Direction")),
            Column(_("The year"), kind),  # type: ignore[arg-type]
            Column(_("Target"), kind),  # type: ignore[arg-type]
            Column(_("Baseline"), kind),  # type: ignore[arg-type]
            Column(_("Status"), "status"),
        )

    tables = []
    if rates:
        tables.append(Table(_("Rates over the year's months with data"), columns("percent"), year_rows(rates)))
    if waits:
        tables.append(Table(_("Average wait over the year (seconds)"), columns("count"), year_rows(waits)))
    tables.append(
        Table(
            _("Month by month: each measure's status with its value and target"),
            (Column(_("Month"), "month"), *(Column(ln.label, "status") for ln in result.lines)),
            tuple(
                (f"{month:%Y-%m}", *(_status(ln, ln.points[i].value, ln.points[i].level) for ln in result.lines))
                for i, month in enumerate(result.months)
            ),
        )
    )
    return Section(
        slug="goals",
        title=title,
        summary=f"{baseline} {targets}",
        tables=tuple(tables),
        chart_png=lines_chart_png(list(result.lines)),
    )
