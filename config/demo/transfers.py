"""The demo's transfers and benefit realisation: two waves of groupings moved to the contact
centre during the year of logs, one planned transfer next year (for the forecast), the
administrations' minutes per case before the move and their hour costs. Deterministic: the same
groupings give the same register. Written through the register's audited services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from allocation.calculation import KRONA, round_kronor
from allocation.models import AdministrationHourCost, GroupingTransfer
from allocation.transfers.register import grouping_transfer_save, hour_cost_save
from cases.models import Administration, Grouping
from cases.months import months_back
from config.demo.data import DemoGrouping
from config.demo.names import ADMINISTRATIONS

# Hour cost of a case officer's time per administration (kronor, the logs' year); the companies
# state theirs later, so HBAB shows what a missing hour cost looks like.
HOUR_COSTS = {"KLF": "640", "UF": "585", "SOF": "610", "SBF": "655", "KFF": "560", "MSF": "650", "VOF": "575"}
HOUR_COSTS |= {"AVF": "595", "TF": "620", "VAAB": "690"}


def transfers_reset() -> None:
    """Before the demo deletes groupings and administrations (the register protects them)."""
    GroupingTransfer.objects.all().delete()
    AdministrationHourCost.objects.all().delete()


def seed_transfers(*, groupings: list[DemoGrouping], last: date, user: Any) -> int:
    """Wave 1 in the second month of the logs, wave 2 in the seventh, a planned wave in March next
    year; every fourth transfer leaves its minutes empty (the measured handle time counts)."""
    months = months_back(last, 12)
    owned = sorted((g for g in groupings if g.owners), key=lambda g: (-g.popularity, g.code))
    waves = [(1, months[1], owned[0:10]), (2, months[6], owned[10:25]), (3, date(last.year + 1, 3, 1), owned[25:30])]
    by_code = {g.code: g for g in Grouping.objects.filter(code__in=[g.code for g in owned[:30]])}
    admins = {a.code: a for a in Administration.objects.all()}
    count = 0
    for wave, on, chosen in waves:
        for i, g in enumerate(chosen):
            minutes = None if count % 4 == 3 else Decimal(9 + (count * 7) % 19) + Decimal("0.5") * (count % 2)
            grouping_transfer_save(
                transfer=GroupingTransfer(
                    grouping=by_code[g.code],
                    administration=admins[g.owners[0][0]],
                    wave=wave,
                    transferred_on=on,
                    minutes_before=minutes,
                    expected_cases_per_year=None if on <= last else 400 + 150 * i,
                    comment="Planerad" if on > last else "",
                ),
                user=user,
            )
            count += 1
    for code, _name, _cc in ADMINISTRATIONS:
        if code not in HOUR_COSTS:
            continue
        for year, factor in ((last.year - 1, Decimal("0.97")), (last.year, Decimal(1))):
            cost = round_kronor(Decimal(HOUR_COSTS[code]) * factor, KRONA)
            hour_cost_save(administration=admins[code], year=year, cost_per_hour=cost, user=user)
    return count
