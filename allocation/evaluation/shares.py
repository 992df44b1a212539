"""The evaluation's section on shares and keys: the approved key of each year's co-financing pool,
every administration's share in it, and beside it the share measured over that year's cases by the
one rolling-share function (`allocation.publications.figures.rolling_share`, the 12 months ending
December: the calendar year, each month with its own grouping map)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from allocation.calculation import percentages
from allocation.evaluation.charts import grouped_bars
from allocation.evaluation.sections import Cell, Column, Section, Table
from allocation.evaluation.volumes import own_case_years
from allocation.publications.figures import RollingShare, rolling_share
from allocation.selectors import co_financing_key, co_financing_pools
from cases import formats
from cases.selectors import administration_names


def _person(user: Any) -> str:
    if user is None:
        return formats.DASH
    return user.get_full_name() or user.get_username()


def key_years(*, up_to: int) -> list[tuple[int, Any, Any]]:
    """(year, pool, approved key or None) for every co-financing pool up to `up_to`, oldest first."""
    pools = sorted(co_financing_pools().filter(year__lte=up_to), key=lambda p: p.year)
    return [(p.year, p, co_financing_key(year=p.year)) for p in pools]


def section(*, year: int) -> Section:
    """Pools up to the year after: the key decided during the year for the next one belongs to
    the evaluation of the year it was measured in."""
    title = _("Shares and keys")
    years = [(y, pool, key) for y, pool, key in key_years(up_to=year + 1) if key is not None]
    if not years:
        return Section(
            slug="shares",
            title=title,
            summary=_(
                "No co-financing pool up to %(year)s has an approved key yet. When the steering group has "
                "approved a key for a co-financing pool, its shares and the measured shares appear here."
            )
            % {"year": year + 1},
        )
    keys_table = Table(
        caption=_("The approved key of each year's co-financing pool"),
        columns=(
            Column(_("Budget year")),
            Column(_("Pool")),
            Column(_("Key")),
            Column(_("Basis")),
            Column(_("Measured on")),
            Column(_("Approved by")),
        ),
        rows=tuple(
            (
                str(y),
                pool.name,
                f"{key.name} (#{key.pk})",
                key.get_basis_display() or key.get_kind_display(),
                f"{formats.month(key.window_from)} – {formats.month(key.window_to)}" if key.window_from else "",
                f"{_person(key.decided_by)} {timezone.localtime(key.decided_at):%Y-%m-%d}"
                if key.decided_at
                else _person(key.decided_by),
            )
            for y, pool, key in years
        ),
    )
    names = administration_names()
    key_percent: dict[int, dict[str, Decimal]] = {}
    for y, _pool, key in years:
        loads = dict(key.shares.values_list("administration__code", "load"))
        key_percent[y] = percentages(loads) if any(loads.values()) else {}
    codes = sorted({c for p in key_percent.values() for c in p})
    # A year without any case of its own (next year's key) has nothing to measure yet.
    with_cases = own_case_years()
    rolling: dict[int, RollingShare] = {
        y: rolling_share(month=date(y, 12, 1), administrations=codes) for y, *_r in years if y in with_cases
    }
    measured: dict[int, dict[str, Decimal]] = {y: rolling[y].percent if y in rolling else {} for y, *_r in years}
    columns = [Column(pgettext("table column", "Administration"))]
    for y, *_r in years:
        columns += [
            Column(_("Key %(year)s (%%)") % {"year": y}, "share"),
            Column(_("Measured %(year)s (%%)") % {"year": y}, "share"),
        ]
    rows: list[tuple[Cell, ...]] = []
    for code in codes:
        row: list[Cell] = [f"{code} {names.get(code, '')}".strip()]
        for y, *_r in years:
            row += [key_percent[y].get(code), measured[y].get(code)]
        rows.append(tuple(row))
    if any(r.unowned_cases for r in rolling.values()):
        unowned: list[Cell] = [_("Groupings without an owner")]
        for y, *_r in years:
            unowned += [None, rolling[y].unowned_percent if y in rolling else None]
        rows.append(tuple(unowned))
    shares_table = Table(
        caption=_("Each administration's share in the key and measured on the year's cases"),
        columns=tuple(columns),
        rows=tuple(rows),
    )
    # The chart: the report's year (or the newest key before it) in the key and measured.
    shown = max((y for y, *_r in years if y <= year), default=years[0][0])
    chart = grouped_bars(
        codes,
        {
            _("Key %(year)s") % {"year": shown}: [key_percent[shown].get(c) for c in codes],
            _("Measured %(year)s") % {"year": shown}: [measured[shown].get(c) for c in codes],
        },
        title=_("Share in the key and measured (%)"),
        ylabel=_("Share (%)"),
    )
    return Section(
        slug="shares",
        title=title,
        summary=_summary(year, years, key_percent, measured, names),
        tables=(keys_table, shares_table),
        chart_png=chart,
    )


def _summary(
    year: int,
    years: list[tuple[int, Any, Any]],
    key_percent: dict[int, dict[str, Decimal]],
    measured: dict[int, dict[str, Decimal]],
    names: dict[str, str],
) -> str:
    parts = [
        _("The co-financing was shared by %(count)s approved keys: %(keys)s.")
        % {"count": len(years), "keys": "; ".join(f"{y} {key.name}" for y, _pool, key in years)}
        if len(years) > 1
        else _("The co-financing was shared by one approved key: %(keys)s.")
        % {"keys": f"{years[0][0]} {years[0][2].name}"}
    ]
    if year in key_percent and measured.get(year):
        gaps = {code: measured[year].get(code, Decimal(0)) - share for code, share in key_percent[year].items()}
        widest = max(gaps, key=lambda c: (abs(gaps[c]), c))
        parts.append(
            _(
                "In %(year)s the largest difference between the key and the year's measured share was "
                "%(admin)s's: %(key)s in the key, %(measured)s measured."
            )
            % {
                "year": year,
                "admin": f"{widest} {names.get(widest, '')}".strip(),
                "key": formats.share(key_percent[year][widest]),
                "measured": formats.share(measured[year].get(widest)),
            }
        )
    elif year in key_percent:
        parts.append(_("No case of %(year)s is loaded, so the year's share cannot be measured yet.") % {"year": year})
    return " ".join(parts)
