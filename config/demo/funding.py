"""The demo's central funding (issue 31, parts 3 and 4): the three sources with amounts over the
demo's years and the start-up grant phased out, the pools' funding lines filled from the register,
the switchboard's extension list imported as a draft driver key (proposed), and a price-based pool
for the comparison of buy and sell with the co-financing key and frame adjustment. Deterministic."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Sum

from allocation.calculation import round_kronor
from allocation.funding.extensions import extension_register_import
from allocation.funding.sources import funding_source_save
from allocation.keys.decisions import allocation_key_decide
from allocation.models import (
    CostPool,
    Extension,
    ExtensionRegister,
    FrameAdjustment,
    FrameChange,
    FundingLine,
    FundingSource,
)
from allocation.runs.pools import cost_pool_fill_funding, cost_pool_save
from cases.models import MonthlyAggregate

# Relative to the demo's last year Y: (Y-2, Y-1, Y, Y+1, Y+2). Year Y and Y+1 keep the funding the
# demo's pools always had (3 850 000 kr a year), so the demo's charged amounts stay as before.
SOURCES = [
    (
        "Medborgarkontoret",
        "Medborgarkontoret finansieras centralt av kommunstyrelsen.",
        None,
        ["2000000", "2050000", "2100000", "2350000", "2400000"],
    ),
    (
        "Växeln",
        "Växeln debiterades tidigare per anknytning; nu centralt finansierad.",
        None,
        ["1250000", "1250000", "1250000", "1250000", "1300000"],
    ),
    (
        "Startbidrag",
        "Startbidrag från kommunstyrelsen under uppbyggnaden; trappas ned och upphör.",
        1,  # the last year: Y+1
        ["1000000", "750000", "500000", "250000", "0"],
    ),
]
# Extensions per administration in the telephony system's list (the switchboard's driver).
EXTENSIONS = {"KLF": 140, "UF": 420, "SOF": 310, "SBF": 95, "KFF": 60, "MSF": 45, "VOF": 380, "AVF": 120, "TF": 85}


def funding_reset() -> None:
    """The demo's funding records, removed before the demo starts over (the pools' lines go with
    the pools)."""
    FrameChange.objects.all().delete()
    FrameAdjustment.objects.all().delete()
    Extension.objects.all().delete()
    ExtensionRegister.objects.all().delete()
    FundingLine.objects.update(source=None)
    FundingSource.objects.all().delete()
    if connection.vendor == "postgresql":
        # The reset then TRUNCATEs these tables' neighbours, which PostgreSQL refuses while the
        # deferred foreign-key checks of the deletes above are pending: run them now.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def seed_funding(*, year: int, users: dict[str, Any]) -> None:
    finance, steering = users["ekonom"], users["styrgrupp"]
    del steering  # the driver key is left proposed: the steering group decides it in the demo
    for name, description, last, amounts in SOURCES:
        source = FundingSource(name=name, description=description, last_year=year + last if last else None)
        funding_source_save(
            source=source,
            user=finance,
            amounts={year - 2 + i: Decimal(a) for i, a in enumerate(amounts) if Decimal(a) > 0},
        )
    for pool in CostPool.objects.filter(is_co_financing=True).order_by("year"):
        cost_pool_fill_funding(pool=pool, user=finance)
    rows = ["förvaltning;anknytning"]
    number = 2000
    for code, count in EXTENSIONS.items():
        for _i in range(count):
            number += 1
            rows.append(f"{code};{number}")
    register = extension_register_import(
        year=year + 1, data="\n".join(rows).encode(), filename=f"anknytningar-{year + 1}.csv", user=finance
    )
    assert register.key is not None
    allocation_key_decide(key=register.key, status="proposed", user=finance, comment="Växelns anknytningar.")
    _buy_and_sell_pool(year=year, user=finance)


def _buy_and_sell_pool(*, year: int, user: Any) -> None:
    """A price-based pool of the year beside the co-financing pool, for the comparison page: a
    price per measured minute that recovers the co-financing's net cost at the year's pace."""
    co = CostPool.objects.filter(year=year, is_co_financing=True).first()
    measured = MonthlyAggregate.objects.filter(source__is_reference=False, month__year=year)
    months = measured.values("month").distinct().count()
    seconds = measured.aggregate(total=Sum("handle_seconds"))["total"] or 0
    if co is None or not months or not seconds:
        return
    net = co.gross_amount - sum((f.amount for f in co.funding_lines.all()), Decimal(0))
    minutes_a_year = Decimal(seconds) / 60 * 12 / months
    price = round_kronor(net / minutes_a_year)
    pool = CostPool(
        name="Jämförelse: köp och sälj",
        year=year,
        gross_amount=co.gross_amount,
        pricing=CostPool.Pricing.PER_MINUTE,
        price=max(price, Decimal("0.01")),
    )
    cost_pool_save(pool=pool, user=user, funding=[])
