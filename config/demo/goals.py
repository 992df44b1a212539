"""The demo's effect-goal targets: one approved set per year of the demo's logs (proposed by the
finance officer, approved by the steering group: two people, as four eyes require) and next
year's set waiting on the steering group's start page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection

from allocation.goals.measures import Line
from allocation.goals.targets import goal_target_set_decide, goal_target_set_save
from allocation.models import GoalTarget, GoalTargetDecision, GoalTargetSet
from cases.maintenance import frozen_records_lifted

# The last year's targets, set around what the demo's centre measures (about 56 % answered within
# 60 s, 69 % resolved at first contact, 13 % forwarded, 74 s wait), so its months show every status.
# The demo's logs report no abandoned calls: that target shows "not measured".
TARGETS: dict[Line, Decimal] = {
    ("service_level_60", None): Decimal("0.5600"),
    ("abandonment_rate", None): Decimal("0.0800"),
    ("first_contact_resolution", None): Decimal("0.6950"),
    ("first_contact_resolution", "phone"): Decimal("0.7450"),
    ("first_contact_resolution", "email"): Decimal("0.5900"),
    ("first_contact_resolution", "chat"): Decimal("0.7500"),
    ("forwarded_rate", None): Decimal("0.1300"),
    ("average_wait_seconds", None): Decimal("72.0"),
}
# Each year asks a little more of the centre than the one before.
STEP: dict[str, Decimal] = {
    "service_level_60": Decimal("0.01"),
    "first_contact_resolution": Decimal("0.005"),
    "average_wait_seconds": Decimal(-2),
}


def _year_targets(offset: int) -> dict[Line, Decimal]:
    """The targets `offset` years from the last year of the logs."""
    return {line: value + STEP.get(line[0], Decimal(0)) * offset for line, value in TARGETS.items()}


def _clear() -> None:
    """Approved target sets refuse changes in the database; the demo starts over from nothing."""
    with frozen_records_lifted(connection.alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(
                    "TRUNCATE allocation_goaltargetdecision, allocation_goaltarget, allocation_goaltargetset CASCADE"
                )
            return
        for model in (GoalTargetDecision, GoalTarget, GoalTargetSet):
            model.objects.all()._raw_delete(connection.alias)


def seed_goals(*, finance: Any, steering: Any, months: list[date]) -> list[GoalTargetSet]:
    """Approved targets for every year of `months`; next year's proposed, awaiting a decision."""
    _clear()
    years = sorted({m.year for m in months})
    made = []
    for year in [*years, years[-1] + 1]:
        target_set = goal_target_set_save(
            year=year, values=_year_targets(year - years[-1]), user=finance, comment=f"Effektmål för {year}."
        )
        target_set = goal_target_set_decide(
            target_set=target_set, status="proposed", user=finance, comment="Förslag till styrgruppen."
        )
        if year <= years[-1]:
            target_set = goal_target_set_decide(
                target_set=target_set, status="approved", user=steering, comment="Godkänt av styrgruppen."
            )
        made.append(target_set)
    return made
