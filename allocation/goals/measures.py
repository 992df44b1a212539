"""The effect goals' measures (pure): what each is, which way is better, and its value for a
set of aggregate cells, computed by `cases.statistics` (the same functions as the monthly
statistics, so a goal's figure is the statistics page's figure).

Rates are fractions (0.8123 = 81.23 %); the wait is seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy

from cases import statistics


@dataclass(frozen=True)
class Measure:
    code: str
    label: Any  # a lazy text: said in the language active when it is shown
    higher_is_better: bool
    unit: str  # "rate" (a fraction) or "seconds"
    per_channel: bool = False
    # The smallest amber band (see status.goal_status): 1 percentage point, or 5 seconds.
    tolerance: Decimal = Decimal("0.01")


MEASURES: tuple[Measure, ...] = (
    Measure("service_level_60", gettext_lazy("Answered within 60 s"), True, "rate"),
    Measure("abandonment_rate", gettext_lazy("Abandoned calls"), False, "rate"),
    Measure("first_contact_resolution", gettext_lazy("Resolved at first contact"), True, "rate", True),
    Measure("forwarded_rate", gettext_lazy("Forwarded"), False, "rate"),
    Measure("average_wait_seconds", gettext_lazy("Average wait (phone)"), False, "seconds", False, Decimal(5)),
)
BY_CODE = {m.code: m for m in MEASURES}


def measure_label(code: str, channel_name: str | None = None) -> str:
    """The measure's name in the active language, with the channel's name where it is per channel."""
    label = str(BY_CODE[code].label) if code in BY_CODE else code
    return f"{label}: {channel_name}" if channel_name else label


Line = tuple[str, str | None]  # (measure code, channel code or None for every channel)


def measure_values(cells: Iterable[statistics.Cell]) -> dict[Line, Decimal | None]:
    """Every measure over the cells (one month, or a baseline period pooled): None where nothing
    was measured. Service level, abandonment and the wait come from the phone accessibility where
    a source reports answered and abandoned calls; where none does every call was answered
    (DESIGN §5), so the service level and the wait are those of the handled calls and
    abandonment is not measured. First-contact resolution is given for every channel and per
    channel."""
    cells = list(cells)
    kpis = statistics.kpis(cells)
    access = statistics.accessibility(cells)
    out: dict[Line, Decimal | None] = {
        ("service_level_60", None): access["service_level_60"] if access else kpis["phone_answered_within_60_rate"],
        ("abandonment_rate", None): access["abandonment_rate"] if access else None,
        ("first_contact_resolution", None): kpis["first_contact_resolution"],
        ("forwarded_rate", None): kpis["forwarded_rate"],
        ("average_wait_seconds", None): access["average_speed_of_answer_seconds"]
        if access
        else kpis["phone_average_wait_seconds"],
    }
    for channel in sorted({c.channel for c in cells}):
        channel_kpis = statistics.kpis([c for c in cells if c.channel == channel])
        out[("first_contact_resolution", channel)] = channel_kpis["first_contact_resolution"]
    return out
