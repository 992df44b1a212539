"""Reads of the transfer register and of benefit realisation: the transfers with their minutes
per case (entered, or measured), the administrations' hour costs, and a year's benefit rows
computed by the pure `benefit` module from the monthly aggregates, the map in force each month and
the charging runs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Max, QuerySet, Sum

from allocation.models import AdministrationHourCost, AllocationRun, GroupingTransfer, RunAmount
from allocation.transfers.benefit import (
    BenefitRow,
    BenefitTotal,
    GroupingMonth,
    Owners,
    TransferTerms,
    benefit_rows,
    benefit_total,
    measured_minutes,
)
from cases.models import MonthlyAggregate
from cases.months import month_range, months_back
from cases.selectors import administrations_visible_to, grouping_map_on


def transfers_listed(*, user: Any = None) -> QuerySet[GroupingTransfer]:
    """The register, by wave and date; a department head sees their own administrations' rows."""
    qs = GroupingTransfer.objects.select_related("grouping", "administration", "created_by")
    if user is not None:
        qs = qs.filter(administration__in=administrations_visible_to(user))
    return qs.order_by("wave", "transferred_on", "grouping__code")


def hour_costs_listed(*, user: Any = None) -> QuerySet[AdministrationHourCost]:
    qs = AdministrationHourCost.objects.select_related("administration", "updated_by")
    if user is not None:
        qs = qs.filter(administration__in=administrations_visible_to(user))
    return qs.order_by("-year", "administration__code")


def measured_minutes_before(transfers: list[GroupingTransfer]) -> dict[int, Decimal | None]:
    """The default of each transfer's minutes per case: the grouping's measured mean handle time
    (own sources) over the 12 months up to and including the transfer's month, or over the
    grouping's newest 12 months when it has no data until then (a planned transfer). One query."""
    codes = {t.grouping.code for t in transfers}
    per_month: dict[str, dict[date, tuple[int, int]]] = defaultdict(dict)
    rows = (
        MonthlyAggregate.objects.filter(grouping__code__in=codes, source__is_reference=False)
        .values("grouping__code", "month")
        .annotate(seconds=Sum("handle_seconds"), known=Sum("handle_known"))
        .order_by()
    )
    for r in rows:
        per_month[r["grouping__code"]][r["month"]] = (int(r["seconds"] or 0), int(r["known"] or 0))
    out: dict[int, Decimal | None] = {}
    for t in transfers:
        months = per_month.get(t.grouping.code, {})
        start = t.transferred_on.replace(day=1)
        until = [m for m in months if m <= start]
        end = max(until) if until else (max(months) if months else None)
        if end is None:
            out[t.pk] = None
            continue
        window = [months[m] for m in months_back(end, 12) if m in months]
        out[t.pk] = measured_minutes(sum(s for s, _k in window), sum(k for _s, k in window))
    return out


@dataclass(frozen=True)
class TransferLine:
    """A register row as the pages show it: the minutes that count and where they come from."""

    transfer: GroupingTransfer
    minutes: Decimal | None  # None: neither entered nor measurable; the grouping relieves nothing
    measured: bool  # True: the measured default, not an entered value


def transfer_lines(*, user: Any = None) -> list[TransferLine]:
    transfers = list(transfers_listed(user=user))
    measured = measured_minutes_before([t for t in transfers if t.minutes_before is None])
    return [
        TransferLine(t, t.minutes_before, False)
        if t.minutes_before is not None
        else TransferLine(t, measured[t.pk], True)
        for t in transfers
    ]


def transfer_terms() -> dict[str, TransferTerms]:
    """Every transferred grouping's first counted month and minutes per case."""
    return {
        line.transfer.grouping.code: TransferTerms(
            line.transfer.grouping.code, line.transfer.transferred_on.replace(day=1), line.minutes
        )
        for line in transfer_lines()
        if line.minutes is not None
    }


def charged_by_month(*, year: int) -> dict[tuple[str, date], Decimal]:
    """What each administration is charged each month of the year: the newest charging run of
    every pool of the year (simulations are never charged)."""
    latest = (
        AllocationRun.objects.filter(pool__year=year, is_charging=True)
        .order_by()
        .values("pool_id")
        .annotate(last=Max("id"))
        .values("last")
    )
    out: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    for code, month, amount in RunAmount.objects.filter(run_id__in=latest, month__isnull=False).values_list(
        "administration__code", "month", "amount"
    ):
        out[(code, date(year, month, 1))] += amount
    return dict(out)


@dataclass(frozen=True)
class YearBenefit:
    """A year's benefit rows (every administration asked for × the months shown) and their totals."""

    year: int
    months: list[date]
    rows: list[BenefitRow]
    transfers: int  # transferred groupings counted in the year (transfer month ≤ the last month shown)
    hour_costs: dict[str, Decimal]

    def of(self, code: str) -> list[BenefitRow]:
        return [r for r in self.rows if r.administration == code]

    def total(self, code: str | None = None) -> BenefitTotal:
        return benefit_total(self.rows if code is None else self.of(code))

    def month_total(self, month: date) -> BenefitTotal:
        return benefit_total(r for r in self.rows if r.month == month)


def year_benefit(*, year: int, codes: list[str], through: date | None = None) -> YearBenefit:
    """The benefit rows of `codes` for the months of `year` from January to its last month with
    own data (or `through`, a publication's month, if earlier)."""
    last = MonthlyAggregate.objects.filter(source__is_reference=False, month__year=year).aggregate(m=Max("month"))["m"]
    if through is not None and last is not None:
        last = min(last, through.replace(day=1))
    months = month_range(date(year, 1, 1), last) if last is not None else []
    cells = [
        GroupingMonth(r["month"], r["grouping__code"], r["cases"], r["resolved"], r["forwarded"])
        for r in MonthlyAggregate.objects.filter(source__is_reference=False, month__in=months)
        .values("month", "grouping__code")
        .annotate(cases=Sum("cases"), resolved=Sum("resolved_first"), forwarded=Sum("forwarded"))
        .order_by()
    ]
    owners: dict[date, Owners] = {}
    for m in months:
        owners[m] = {
            g: [(line.administration, line.fraction) for line in lines] for g, lines in grouping_map_on(on=m).items()
        }
    terms = transfer_terms()
    hour_costs = dict(
        AdministrationHourCost.objects.filter(year=year, administration__code__in=codes).values_list(
            "administration__code", "cost_per_hour"
        )
    )
    rows = benefit_rows(
        months=months,
        administrations=codes,
        cells=cells,
        owners=owners,
        terms=terms,
        hour_costs={(code, year): cost for code, cost in hour_costs.items()},
        paid=charged_by_month(year=year),
    )
    counted = sum(1 for t in terms.values() if months and t.starts <= months[-1])
    return YearBenefit(year=year, months=months, rows=rows, transfers=counted, hour_costs=hour_costs)


def _row_doc(month: date | None, row: Any) -> dict[str, Any]:
    return {
        "month": f"{month:%Y-%m}" if month else None,
        "cases": str(row.cases),
        "resolved_first": str(row.resolved_first),
        "forwarded": str(row.forwarded),
        "hours": str(row.hours_shown),
        "kronor": None if row.relieved_kronor is None else str(row.relieved_kronor),
        "paid": None if row.paid is None else str(row.paid),
    }


def benefit_for_publication(*, month: date, codes: list[str]) -> dict[str, dict[str, Any]]:
    """Each administration's "What do we get for our money?" as a publication stores it (JSON):
    the months of the year up to the published one, the month itself and the year so far."""
    benefit = year_benefit(year=month.year, codes=codes, through=month)
    if not benefit.months or benefit.months[-1] != month.replace(day=1):
        return {}
    lines = transfer_lines()
    out: dict[str, dict[str, Any]] = {}
    for code in codes:
        rows = benefit.of(code)
        cost = benefit.hour_costs.get(code)
        out[code] = {
            "year": month.year,
            "hour_cost": None if cost is None else str(cost),
            "transfers": sum(
                1
                for line in lines
                if line.transfer.administration.code == code and line.transfer.transferred_on.replace(day=1) <= month
            ),
            "month": _row_doc(month, rows[-1]),
            "year_to_date": _row_doc(None, benefit.total(code)),
            "months": [_row_doc(r.month, r) for r in rows],
        }
    return out
