"""The forecast's demo: digitalisation assumptions for next year on a few groupings where the
municipality plans e-services (issue 31, part 5), entered through the audited service."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from allocation.forecast.assumptions import digitalisation_assumption_save
from cases.models import Grouping

ASSUMPTIONS = [
    # grouping name, % moving to self-service, why
    ("Förskola – ansökan om plats", "30", "Ny e-tjänst för ansökan och placeringsbesked."),
    ("Förskola – avgift och inkomstuppgift", "40", "Inkomstuppgift lämnas i e-tjänst."),
    ("Bygglov – ansökan", "20", "Bygglovsansökan helt digital från våren."),
    ("Ekonomiskt bistånd – ansökan", "15", "Digital ansökan om ekonomiskt bistånd."),
]


def seed_forecast(*, year: int, user: Any) -> int:
    """Enter the demo's assumptions for `year`; returns how many were entered."""
    entered = 0
    for name, percent, comment in ASSUMPTIONS:
        grouping = Grouping.objects.filter(name=name).first()
        if grouping is None:
            continue
        digitalisation_assumption_save(
            grouping=grouping, year=year, percent=Decimal(percent), comment=comment, user=user
        )
        entered += 1
    return entered
