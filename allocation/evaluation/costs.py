"""The evaluation's section on costs: each year's co-financing pool (gross, central funding, net),
what a case and a handled minute cost, and what every administration was charged.

A pool is a year's budget while the logs may cover only part of the year, so the cost per case
takes the pool's cost of the months with data (gross × months ÷ 12) over those months' cases;
every figure is rounded once, with `calculation.round_kronor`."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from allocation.calculation import round_kronor
from allocation.evaluation.sections import Cell, Column, Section, Table
from allocation.evaluation.volumes import YearVolume, yearly_volumes
from allocation.models import AllocationRun, RunAmount
from allocation.publications.figures import rolling_share
from allocation.selectors import co_financing_pools
from cases import formats
from cases.selectors import administration_names


def _per(amount: Decimal, months: int, quantity: Decimal) -> Decimal | None:
    """The part of a year's amount that falls on `months` months, per unit of `quantity`."""
    if not months or not quantity:
        return None
    return round_kronor(amount * months / 12 / quantity)


def charged_by_year(*, up_to: int) -> dict[int, dict[str, Decimal]]:
    """Year → administration → the year's charge: the newest charging run of every pool of the
    year (simulations are never charged), the year's amounts."""
    # order_by() clears the model's default ordering, which would otherwise split the GROUP BY.
    latest = (
        AllocationRun.objects.filter(pool__year__lte=up_to, is_charging=True)
        .order_by()
        .values("pool_id")
        .annotate(last=Max("id"))
        .values("last")
    )
    out: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for pool_year, code, amount in RunAmount.objects.filter(run_id__in=latest, month__isnull=True).values_list(
        "run__pool__year", "administration__code", "amount"
    ):
        out[pool_year][code] += amount
    return out


def section(*, year: int) -> Section:
    title = _("Costs")
    pools = sorted(co_financing_pools().filter(year__lte=year).prefetch_related("funding_lines"), key=lambda p: p.year)
    charged = charged_by_year(up_to=year)
    if not pools and not charged:
        return Section(
            slug="costs",
            title=title,
            summary=_(
                "There is no co-financing pool and no charging run up to %(year)s. Enter the year's pool "
                "(Kostnadspooler) to see the costs, the cost per case and minute, and what each administration paid."
            )
            % {"year": year},
        )
    own = {v.year: v for v in yearly_volumes(up_to=year) if not v.reference}
    rows: list[tuple[Cell, ...]] = []
    unit_rows: list[tuple[Cell, ...]] = []
    figures: dict[int, dict[str, Any]] = {}
    for pool in pools:
        funding = sum((line.amount for line in pool.funding_lines.all()), Decimal(0))
        net = pool.gross_amount - funding  # shown as it stands, even where a run would refuse it
        volume = own.get(pool.year) or YearVolume(pool.year, False)
        months = len(volume.months)
        co_financed = (
            sum(rolling_share(month=date(pool.year, 12, 1), administrations=[]).cases.values(), Decimal(0))
            if months
            else Decimal(0)
        )
        f: dict[str, Any] = {
            "gross": pool.gross_amount,
            "funding": funding,
            "net": net,
            "months": months,
            "cases": volume.cases,
            "minutes": volume.handle_minutes,
            "per_case": _per(pool.gross_amount, months, Decimal(volume.cases)),
            "per_minute": _per(pool.gross_amount, months, volume.handle_minutes),
            "net_per_case": _per(net, months, co_financed),
        }
        figures[pool.year] = f
        rows.append((str(pool.year), f["gross"], f["funding"], f["net"]))
        unit_rows.append(
            (
                str(pool.year),
                months,
                volume.cases,
                f["minutes"] if volume.handle_known else None,
                f["per_case"],
                f["per_minute"] if volume.handle_known else None,
                f["net_per_case"],
            )
        )
    pool_table = Table(
        caption=_("The co-financing pool per year"),
        columns=(
            Column(_("Year")),
            Column(_("Gross cost"), "kronor"),
            Column(_("Central funding"), "kronor"),
            Column(_("Co-financed (net)"), "kronor"),
        ),
        rows=tuple(rows),
    )
    unit_table = Table(
        caption=_("What a case and a handled minute cost on the months with data"),
        columns=(
            Column(_("Year")),
            Column(_("Months with data"), "count"),
            Column(_("Cases"), "count"),
            Column(_("Handled minutes"), "minutes"),
            Column(_("Cost per case"), "kronor"),
            Column(_("Cost per handled minute"), "kronor"),
            Column(_("Co-financed per co-financed case"), "kronor"),
        ),
        rows=tuple(unit_rows),
    )
    tables = [pool_table, unit_table] if pools else []
    if charged:
        names = administration_names()
        years = sorted(charged)
        codes = sorted({c for amounts in charged.values() for c in amounts})
        charge_rows: list[tuple[Cell, ...]] = [
            (f"{code} {names.get(code, '')}".strip(), *(charged[y].get(code) for y in years)) for code in codes
        ]
        charge_rows.append((_("Total"), *(sum(charged[y].values(), Decimal(0)) for y in years)))
        tables.append(
            Table(
                caption=_("Charged per administration (the newest charging run of every pool of the year)"),
                columns=(
                    Column(pgettext("table column", "Administration")),
                    *(Column(str(y), "kronor") for y in years),
                ),
                rows=tuple(charge_rows),
            )
        )
    return Section(slug="costs", title=title, summary=_summary(year, figures, charged), tables=tuple(tables))


def _summary(year: int, figures: dict[int, dict[str, Any]], charged: dict[int, dict[str, Decimal]]) -> str:
    f = figures.get(year)
    if f is None:
        parts = [_("There is no co-financing pool for %(year)s.") % {"year": year}]
    else:
        parts = [
            _(
                "In %(year)s the contact centre's co-financing pool cost %(gross)s; central funding paid "
                "%(funding)s and the administrations shared %(net)s."
            )
            % {
                "year": year,
                "gross": formats.kronor(f["gross"]),
                "funding": formats.kronor(f["funding"]),
                "net": formats.kronor(f["net"]),
            }
        ]
        if f["per_case"] is not None:
            parts.append(
                _("On the %(months)s months with data a case cost %(case)s and a handled minute %(minute)s.")
                % {
                    "months": f["months"],
                    "case": formats.kronor(f["per_case"]),
                    "minute": formats.kronor(f["per_minute"]),
                }
            )
        else:
            parts.append(_("No case of the year is loaded, so the cost per case cannot be measured yet."))
    if year in charged:
        parts.append(
            _("Charging runs charged the administrations %(total)s for the year.")
            % {"total": formats.kronor(sum(charged[year].values(), Decimal(0)))}
        )
    else:
        parts.append(_("No charging run has charged the year yet."))
    return " ".join(parts)
