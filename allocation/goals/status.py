"""The red/amber/green rule of an effect goal (pure), and the words that say it without colour.

A month's value meets its target: green ("reached"). It falls short by no more than the amber
band: amber ("close to the target"). It falls short by more: red ("not reached"). The amber band
is a quarter of the distance between the baseline and the target, and never less than the
measure's tolerance (1 percentage point for a rate, 5 seconds for the wait), so a target set
close to the baseline still has a band. Without a baseline the band is the tolerance. Without a
value or a target there is no status ("none"). For a fixed target, baseline and direction the
status only gets better as the value gets better (tests/allocation/test_goals_status.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext as _

from allocation.goals.measures import Measure
from cases import formats

Level = Literal["green", "amber", "red", "none"]
AMBER_SHARE = Decimal("0.25")
RANK: dict[str, int] = {"red": 0, "amber": 1, "green": 2}


def amber_band(*, target: Decimal, baseline: Decimal | None, tolerance: Decimal) -> Decimal:
    if baseline is None:
        return tolerance
    return max(tolerance, abs(target - baseline) * AMBER_SHARE)


def goal_level(
    *,
    value: Decimal | None,
    target: Decimal | None,
    baseline: Decimal | None,
    higher_is_better: bool,
    tolerance: Decimal,
) -> Level:
    if value is None or target is None:
        return "none"
    shortfall = target - value if higher_is_better else value - target
    if shortfall <= 0:
        return "green"
    if shortfall <= amber_band(target=target, baseline=baseline, tolerance=tolerance):
        return "amber"
    return "red"


def figure(value: Decimal | str | None, unit: str) -> str:
    """A measure's value as the reader writes it: 81,2 % or 1 min 15 s."""
    return formats.percent(value) if unit == "rate" else formats.duration(value)


def level_word(level: str) -> str:
    return {
        "green": _("Reached"),
        "amber": _("Close to the target"),
        "red": _("Not reached"),
    }.get(level, _("No status"))


def missing_words(*, value: Decimal | str | None, target: Decimal | str | None) -> str:
    """Why there is no status: nothing was measured, or there is no target."""
    return _("Not measured") if value is None else _("No target") if target is None else _("No status")


def status_words(*, level: str, value: Decimal | str | None, target: Decimal | str | None, unit: str) -> str:
    """The status in full, figures included: "Uppnått: 82,0 % mot målet 80,0 %"."""
    if value is None:
        return _("Not measured")
    if target is None:
        return _("No target: %(value)s") % {"value": figure(value, unit)}
    return _("%(word)s: %(value)s against the target %(target)s") % {
        "word": level_word(level),
        "value": figure(value, unit),
        "target": figure(target, unit),
    }


def measure_level(
    measure: Measure, *, value: Decimal | None, target: Decimal | None, baseline: Decimal | None
) -> Level:
    return goal_level(
        value=value,
        target=target,
        baseline=baseline,
        higher_is_better=measure.higher_is_better,
        tolerance=measure.tolerance,
    )
