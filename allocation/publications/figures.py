"""The figures of a month's publication, computed once from the database and stored as the
publication's snapshot: the shape is written down here (MonthFigures), and the pages, the API and
the workbooks all read that shape.

Reads the monthly aggregates (own sources only), the grouping map in force each month, the
co-financing pool's approved key, and the newest charging runs of the month's budget year.
Numbers are stored as decimal strings (JSON), None where a figure does not exist.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypedDict

from django.db.models import Max

from allocation.calculation import percentages
from allocation.goals.follow_up import month_goals_doc
from allocation.models import AllocationRun, RunAmount
from allocation.runs.explanations import charge_explanations
from allocation.selectors import co_financing_key, map_owners, month_cells
from allocation.transfers.selectors import benefit_for_publication
from cases import statistics
from cases.models import Administration, Channel, Grouping
from cases.months import months_back
from cases.selectors import grouping_map_in_force

Figure = str | None  # a Decimal as text, or None where there is nothing to measure


class Kpis(TypedDict):
    cases: Figure
    first_contact_resolution: Figure
    forwarded_rate: Figure
    average_handle_seconds: Figure
    phone_cases: Figure
    phone_average_wait_seconds: Figure
    phone_answered_within_60_rate: Figure


class Accessibility(TypedDict):
    offered: Figure
    handled: Figure
    abandoned: Figure
    abandonment_rate: Figure
    average_speed_of_answer_seconds: Figure
    service_level_60: Figure


class ChannelCount(TypedDict):
    channel: str
    name: str
    cases: Figure


class GroupingCount(TypedDict):
    code: str
    name: str
    cases: Figure  # the cases that count: whole cases × fraction
    whole: Figure  # the grouping's whole cases (administration pages only)
    fraction: Figure  # the fraction that counts for the administration


class TrendPoint(TypedDict):
    month: str  # YYYY-MM
    cases: Figure  # None: no data that month (a gap, not a zero)
    offered_calls: Figure
    abandonment_rate: Figure
    service_level_60: Figure


class AdministrationRow(TypedDict):
    code: str
    name: str
    cases: Figure
    share_month: Figure  # percent of the month's co-financed cases
    share_rolling: Figure  # percent over the 12 months ending with this one
    share_key: Figure  # percent in the co-financing pool's approved key
    charged: Figure  # kronor charged this month (charging runs only)


class KeyRef(TypedDict):
    id: int
    name: str


class Unowned(TypedDict):
    cases: Figure  # cases over the 12 months in groupings without an owner in their month's map
    share: Figure  # their percent of the co-financed cases (beside the administrations' shares)


class Overview(TypedDict):
    month: str
    kpis: Kpis
    accessibility: Accessibility | None  # None: no source reports outcomes
    channels: list[ChannelCount]
    central_cases: Figure
    unmapped_cases: Figure
    unowned_rolling: Unowned
    trend: list[TrendPoint]
    key: KeyRef | None
    administrations: list[AdministrationRow]
    charged_total: Figure
    goals: dict[str, Any]  # allocation.goals.follow_up.month_goals_doc (absent in older publications)


class AdministrationFigures(TypedDict):
    code: str
    name: str
    cost_centre: str
    kpis: Kpis
    accessibility: Accessibility | None
    channels: list[ChannelCount]
    groupings: list[GroupingCount]
    trend: list[TrendPoint]
    share_month: Figure
    share_rolling: Figure
    share_key: Figure
    drift_pp: Figure
    charged: Figure
    why: dict[str, Any] | None  # "Varför betalar vi detta?" (allocation.runs.explanations.charge_explanations)
    benefit: dict[str, Any] | None  # "Vad får vi för pengarna?" (transfers.selectors.benefit_for_publication)


class MonthFigures(TypedDict):
    overview: Overview
    administrations: dict[str, AdministrationFigures]


def _text(value: Any) -> Any:
    """JSON-ready: Decimals as strings, everything else as is."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value


def _owners_for(month: date, cache: dict[int, statistics.Owners]) -> statistics.Owners:
    version = grouping_map_in_force(on=month)
    if version is None:
        return {}
    if version.pk not in cache:
        cache[version.pk] = {
            g: [(o.administration, o.fraction) for o in owners] for g, owners in map_owners(version).items()
        }
    return cache[version.pk]


def month_figures(month: date) -> MonthFigures:
    """Every figure of the month's pages, for the municipality and each administration."""
    month = month.replace(day=1)
    trend_months = months_back(month, 13)
    cells = month_cells(trend_months)
    owners_cache: dict[int, statistics.Owners] = {}
    owners = _owners_for(month, owners_cache)
    # Administrations that exist during the month: one ended before it is not listed.
    month_end = months_back(month, 1)[0].replace(day=28) + timedelta(days=4)
    admins = list(
        Administration.objects.filter(valid_from__lt=month_end.replace(day=1))
        .exclude(valid_to__lt=month)
        .order_by("code")
        .values_list("code", "name", "cost_centre")
    )
    names = dict(Grouping.objects.values_list("code", "name"))
    channel_names = dict(Channel.objects.values_list("code", "name"))  # the channel's own name, kept by finance staff
    now = cells.get(month, [])

    by_admin_month, central, unmapped = statistics.cases_by_administration(now, owners)
    codes = [a[0] for a in admins]
    rolling = _rolling(trend_months[1:], cells, owners_cache, codes)
    share_month = percentages({c: by_admin_month.get(c, Decimal(0)) for c in codes}) if by_admin_month else {}
    share_rolling = rolling.percent
    key = co_financing_key(year=month.year)
    key_loads = dict(key.shares.values_list("administration__code", "load")) if key else {}
    share_key = percentages(key_loads) if key_loads and any(key_loads.values()) else {}
    charged = _charged(month)
    weights = statistics.admin_weights(owners)
    why = charge_explanations(month=month, codes=[a[0] for a in admins])
    benefit = benefit_for_publication(month=month, codes=[a[0] for a in admins])

    def admin_doc(code: str, name: str, cost_centre: str) -> dict[str, Any]:
        weight = weights.get(code, {})
        groupings = statistics.cases_by(now, "grouping", weight)
        # A split grouping's whole cases beside the fraction that counts for the administration.
        whole = statistics.cases_by((c for c in now if c.grouping in groupings), "grouping")
        trend = []
        for m in trend_months:
            w = statistics.admin_weights(_owners_for(m, owners_cache)).get(code, {})
            month_access = statistics.accessibility(cells.get(m, []), w)
            trend.append(
                {
                    "month": f"{m:%Y-%m}",
                    "cases": sum(statistics.cases_by(cells.get(m, []), "month", w).values(), Decimal(0))
                    if cells.get(m)
                    else None,
                    "offered_calls": month_access["offered"] if month_access else None,
                    "abandonment_rate": month_access["abandonment_rate"] if month_access else None,
                    "service_level_60": month_access["service_level_60"] if month_access else None,
                }
            )
        return {
            "code": code,
            "name": name,
            "cost_centre": cost_centre,
            "kpis": statistics.kpis(now, weight),
            "accessibility": statistics.accessibility(now, weight),
            "channels": _channels(statistics.cases_by(now, "channel", weight), channel_names),
            "groupings": [
                {"code": g, "name": names.get(g, g), "cases": n, "whole": whole.get(g), "fraction": weight.get(g)}
                for g, n in sorted(groupings.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "trend": trend,
            "share_month": share_month.get(code),
            "share_rolling": share_rolling.get(code),
            "share_key": share_key.get(code),
            "drift_pp": (share_rolling[code] - share_key[code])
            if code in share_rolling and code in share_key
            else None,
            "charged": charged.get(code),
            "why": why.get(code),
            "benefit": benefit.get(code),
        }

    overview = {
        "month": f"{month:%Y-%m}",
        "kpis": statistics.kpis(now),
        "accessibility": statistics.accessibility(now),
        "channels": _channels(statistics.cases_by(now, "channel"), channel_names),
        "central_cases": central,
        "unmapped_cases": unmapped,
        "unowned_rolling": {"cases": Decimal(rolling.unowned_cases), "share": rolling.unowned_percent},
        "trend": [_overview_trend(m, cells.get(m, [])) for m in trend_months],
        "key": {"id": key.pk, "name": key.name} if key else None,
        "administrations": [
            {
                "code": code,
                "name": name,
                "cases": by_admin_month.get(code, Decimal(0)),
                "share_month": share_month.get(code),
                "share_rolling": share_rolling.get(code),
                "share_key": share_key.get(code),
                "charged": charged.get(code),
            }
            for code, name, _cc in admins
        ],
        "charged_total": sum(charged.values(), Decimal(0)) if charged else None,
        "goals": month_goals_doc(month),
    }
    figures: MonthFigures = _text({"overview": overview, "administrations": {a[0]: admin_doc(*a) for a in admins}})
    return figures


@dataclass(frozen=True)
class RollingShare:
    """Each administration's share of the co-financed cases over the 12 months ending with `month`.

    Every month is counted with the grouping map in force that month; split groupings count
    fractionally; central groupings are not co-financed and count nowhere. Cases of groupings
    without an owner stay in the total and are shown as their own share, never dropped: the
    percentages (two decimals, largest remainder) and `unowned_percent` add up to 100.00.
    """

    month: date
    window: tuple[date, date]
    cases: dict[str, Decimal]
    unowned_cases: int
    percent: dict[str, Decimal]  # empty when the window has no co-financed case
    unowned_percent: Decimal | None


# Sorts after every administration code, so on equal remainders the administrations go first.
_UNOWNED = "\uffff"


def rolling_share(*, month: date, administrations: list[str] | None = None) -> RollingShare:
    """The one rolling 12-month share: the published statistics, the drift page and the API all
    read it. `administrations` are listed even without cases (default: every administration)."""
    end = month.replace(day=1)
    window = months_back(end, 12)
    codes = (
        administrations if administrations is not None else list(Administration.objects.values_list("code", flat=True))
    )
    return _rolling(window, month_cells(window), {}, codes)


def _rolling(
    window: list[date],
    cells: dict[date, list[statistics.Cell]],
    owners_cache: dict[int, statistics.Owners],
    codes: list[str],
) -> RollingShare:
    by_admin: dict[str, Decimal] = {code: Decimal(0) for code in codes}
    unowned = 0
    for m in window:
        part, _central, unmapped = statistics.cases_by_administration(cells.get(m, []), _owners_for(m, owners_cache))
        unowned += unmapped
        for code, n in part.items():
            # An administration that ended inside the window keeps its cases in the total.
            by_admin[code] = by_admin.get(code, Decimal(0)) + n
    percent: dict[str, Decimal] = {}
    unowned_percent = None
    if any(by_admin.values()) or unowned:
        percent = percentages({**by_admin, _UNOWNED: Decimal(unowned)})
        unowned_percent = percent.pop(_UNOWNED)
    return RollingShare(
        month=window[-1],
        window=(window[0], window[-1]),
        cases=by_admin,
        unowned_cases=unowned,
        percent=percent,
        unowned_percent=unowned_percent,
    )


def _overview_trend(month: date, cells: list[statistics.Cell]) -> dict[str, Any]:
    access = statistics.accessibility(cells)
    return {
        "month": f"{month:%Y-%m}",
        "cases": sum((c.cases for c in cells), 0) if cells else None,
        "offered_calls": access["offered"] if access else None,
        "abandonment_rate": access["abandonment_rate"] if access else None,
        "service_level_60": access["service_level_60"] if access else None,
    }


def _channels(counts: dict[str, Decimal], names: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"channel": ch, "name": names.get(ch, ch), "cases": n}
        for ch, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _charged(month: date) -> dict[str, Decimal]:
    """This month's charge per administration: the newest charging run of each pool of the
    budget year (simulations are never charged)."""
    # order_by() clears the model's default ordering, which would otherwise split the GROUP BY.
    latest = (
        AllocationRun.objects.filter(pool__year=month.year, is_charging=True)
        .order_by()
        .values("pool_id")
        .annotate(last=Max("id"))
        .values("last")
    )
    out: dict[str, Decimal] = defaultdict(Decimal)
    for code, amount in RunAmount.objects.filter(run_id__in=latest, month=month.month).values_list(
        "administration__code", "amount"
    ):
        out[code] += amount
    return dict(out)
