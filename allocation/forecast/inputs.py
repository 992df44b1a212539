"""What a forecast needs, read from the database, and the forecast made from it: the monthly
series of the own sources, the map in force on the year's first day, the transfers planned in
the year, the digitalisation assumptions and the pool whose net amount is split. Reads only:
nothing is written, so a forecast can never become a key, a run or a posting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Max, Sum

from allocation.calculation import ORE, AllocationError, MapOwner
from allocation.forecast.projection import Forecast, PlannedTransfer, project
from allocation.models import CostPool, DigitalisationAssumption, GroupingTransfer
from allocation.runs.allocate import UNITS, cost_pool_net_amount
from cases.models import MonthlyAggregate
from cases.months import month_range, months_back
from cases.selectors import administration_names, grouping_map_on


@dataclass(frozen=True)
class ForecastContext:
    """A forecast with what it was made from, for a page, the API or the evaluation."""

    forecast: Forecast
    names: dict[str, str]
    pool: CostPool | None
    pool_is_this_years: bool  # True: the year has no co-financing pool; "med årets belopp"
    map_date: date
    transfers_from_reference: list[str] = field(default_factory=list)
    assumptions: dict[str, Decimal] = field(default_factory=dict)
    amount_refusal: str | None = None  # why the pool's amount could not be split (shares are still given)


def monthly_series(*, before: date) -> tuple[list[date], dict[str, list[Decimal | None]]]:
    """Cases per grouping and month of the own sources, every month from the first with data to
    the last before `before`; a month without any data is None for every grouping, a grouping
    without cases in a month with data is 0."""
    rows = (
        MonthlyAggregate.objects.filter(source__is_reference=False, month__lt=before)
        .values("month", "grouping__code")
        .annotate(cases=Sum("cases"))
        .order_by("month", "grouping__code")
    )
    cells: dict[tuple[date, str], int] = {(r["month"], r["grouping__code"]): int(r["cases"]) for r in rows}
    if not cells:
        return [], {}
    seen = {m for m, _g in cells}
    months = month_range(min(seen), max(seen))
    groupings = sorted({g for _m, g in cells})
    volumes: dict[str, list[Decimal | None]] = {
        g: [Decimal(cells.get((m, g), 0)) if m in seen else None for m in months] for g in groupings
    }
    return months, volumes


def reference_volume(*, grouping_id: int) -> Decimal | None:
    """A grouping's cases over the last twelve months of the reference statistics, or None."""
    last = MonthlyAggregate.objects.filter(source__is_reference=True).aggregate(m=Max("month"))["m"]
    if last is None:
        return None
    first = months_back(last, 12)[0]
    total = MonthlyAggregate.objects.filter(
        source__is_reference=True, grouping_id=grouping_id, month__gte=first, month__lte=last
    ).aggregate(n=Sum("cases"))["n"]
    return Decimal(total) if total else None


def co_financing_pool(*, year: int) -> tuple[CostPool | None, bool]:
    """The year's co-financing pool, else last year's (then the second value is True)."""
    pool = CostPool.objects.filter(year=year, is_co_financing=True).prefetch_related("funding_lines").first()
    if pool is not None:
        return pool, False
    pool = CostPool.objects.filter(year=year - 1, is_co_financing=True).prefetch_related("funding_lines").first()
    return pool, pool is not None


def forecast_for_year(*, year: int) -> ForecastContext:
    """The forecast of `year` from every month of data before it."""
    start = date(year, 1, 1)
    months, volumes = monthly_series(before=start)
    owners = {
        g: [MapOwner(line.administration, line.fraction) for line in lines]
        for g, lines in grouping_map_on(on=start).items()
    }
    transfers = []
    from_reference = []
    for transfer in GroupingTransfer.objects.filter(transferred_on__year=year).select_related(
        "grouping", "administration"
    ):
        code = transfer.grouping.code
        expected: Decimal | None = None
        if transfer.expected_cases_per_year is not None:
            expected = Decimal(transfer.expected_cases_per_year)
        else:
            expected = reference_volume(grouping_id=transfer.grouping_id)
            if expected is not None:
                from_reference.append(code)
        transfers.append(PlannedTransfer(code, transfer.transferred_on.month, expected))
        # A grouping not yet in the map counts for the administration the transfer names.
        owners.setdefault(code, [MapOwner(transfer.administration.code, Decimal(1))])
    assumptions = {
        a.grouping.code: a.percent
        for a in DigitalisationAssumption.objects.filter(year=year).select_related("grouping")
    }
    pool, this_years = co_financing_pool(year=year)
    net = cost_pool_net_amount(pool) if pool is not None else None
    unit = UNITS[CostPool.Unit(pool.unit)] if pool is not None else ORE
    inputs = {
        "year": year,
        "months": months,
        "volumes": volumes,
        "owners": owners,
        "transfers": transfers,
        "digitalisation": assumptions,
    }
    refusal = None
    try:
        forecast = project(**inputs, net=net, unit=unit)  # type: ignore[arg-type]
    except AllocationError as exc:
        # The same refusal a run of the pool would meet (a net that is not a whole number of
        # the pool's unit): the forecast keeps its shares and says why it has no amounts.
        refusal = str(exc)
        forecast = project(**inputs)  # type: ignore[arg-type]
    return ForecastContext(
        forecast=forecast,
        names=administration_names(),
        pool=pool,
        pool_is_this_years=this_years,
        map_date=start,
        transfers_from_reference=from_reference,
        assumptions=assumptions,
        amount_refusal=refusal,
    )


def default_year() -> int:
    """Next year: the year after the newest month of own data (this year + 1 without data)."""
    last = MonthlyAggregate.objects.filter(source__is_reference=False).aggregate(m=Max("month"))["m"]
    return (last.year if last else date.today().year) + 1
