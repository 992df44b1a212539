"""Why the shares moved, ready to read: the pure contributions (allocation.keys.comparison) with
administration and grouping names, percentage points and kronor. The comparison page, the memo,
the what-if, the API and the key workbook all take their explanation from `key_explanation` /
`lines_explanation`, so they cannot disagree.

Signs are always B − A, "nytt − gällande": a positive figure means the administration pays more
under the new key. Kronor before a pool exists come from `explanation_amount`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from allocation.keys import comparison
from allocation.keys.comparison import Line
from allocation.models import AllocationKey, CostPool
from allocation.runs.allocate import cost_pool_net_amount
from allocation.selectors import key_lines, key_loads
from cases import formats
from cases.models import Grouping
from cases.selectors import administration_names


@dataclass(frozen=True)
class ExplanationAmount:
    """The kronor an explanation is written in, and where they come from."""

    amount: Decimal | None
    pool: CostPool | None
    label: str
    this_year: bool = False  # "med årets belopp": not the key's own pool, this year's


def explanation_amount(key: AllocationKey) -> ExplanationAmount:
    """The pool the key is proposed for; else the co-financing pool of the key's year; else this
    year's co-financing pool's net amount, "med årets belopp" (a key for next year is decided
    before next year's pool can hold it, and the steering group still needs kronor)."""
    pool = key.pool
    if pool is not None:
        return ExplanationAmount(cost_pool_net_amount(pool), pool, _("the pool's amount"))
    pool = CostPool.objects.filter(year=key.valid_from.year, is_co_financing=True).first()
    if pool is not None:
        return ExplanationAmount(cost_pool_net_amount(pool), pool, _("the pool's amount"))
    pool = CostPool.objects.filter(year=date.today().year, is_co_financing=True).first()
    if pool is not None:
        return ExplanationAmount(cost_pool_net_amount(pool), pool, _("with this year's amount"), this_year=True)
    return ExplanationAmount(None, None, "")


@dataclass(frozen=True)
class Admin:
    code: str
    name: str

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


@dataclass(frozen=True)
class PartRow:
    """One administration's part in one grouping's change: points to 10 decimals, kronor to the öre."""

    administration: Admin
    contribution_pp: Decimal
    owner_pp: Decimal
    volume_pp: Decimal
    contribution_kr: Decimal | None
    owner_kr: Decimal | None
    volume_kr: Decimal | None


@dataclass(frozen=True)
class DriverRow:
    grouping: str
    name: str
    weight_pp: Decimal  # Σ_a |c(g, a)| in percentage points
    moved_from: list[Admin]
    moved_to: list[Admin]
    volume_change: Decimal | None  # the grouping's part of all volume, relative change (0.18 = +18 %)
    parts: list[PartRow]

    @property
    def words(self) -> str:
        """ "flyttad från TF Tekniska förvaltningen till SBF …; volymen ökade 18 %"."""
        said = []
        if self.moved_from or self.moved_to:
            said.append(
                _("moved from %(from)s to %(to)s")
                % {
                    "from": ", ".join(str(a) for a in self.moved_from) or "–",
                    "to": ", ".join(str(a) for a in self.moved_to) or "–",
                }
            )
        if self.volume_change is None:
            said.append(_("new in the new key"))
        elif self.volume_change.quantize(Decimal("0.01")) != 0:
            words = {"percent": formats.percent(abs(self.volume_change), 0)}
            said.append(
                (_("the volume rose %(percent)s") if self.volume_change > 0 else _("the volume fell %(percent)s"))
                % words
            )
        return "; ".join(said)


@dataclass(frozen=True)
class KeyExplanation:
    rows: list[Any]  # comparison.AdminComparison per administration
    names: dict[str, str]
    drivers: list[DriverRow]
    explained: bool  # False when a key has no load lines (driver and fixed keys)


def _drivers(
    explanation: comparison.Explanation, amount: Decimal | None, top: int | None, names: dict[str, str]
) -> list[DriverRow]:
    ordered = comparison.drivers(explanation, top)
    grouping_names = dict(Grouping.objects.filter(code__in=[d.grouping for d in ordered]).values_list("code", "name"))

    def admin(code: str) -> Admin:
        return Admin(code, names.get(code, ""))

    out = []
    for d in ordered:
        change = None
        if d.volume_change is not None:
            change = comparison.points(d.volume_change, 12) / 100
        out.append(
            DriverRow(
                grouping=d.grouping,
                name=grouping_names.get(d.grouping, ""),
                weight_pp=comparison.points(d.weight),
                moved_from=[admin(c) for c in d.moved_from],
                moved_to=[admin(c) for c in d.moved_to],
                volume_change=change,
                parts=[
                    PartRow(
                        administration=admin(p.administration),
                        contribution_pp=comparison.points(p.total),
                        owner_pp=comparison.points(p.owner),
                        volume_pp=comparison.points(p.volume),
                        contribution_kr=comparison.kronor(p.total, amount),
                        owner_kr=comparison.kronor(p.owner, amount),
                        volume_kr=comparison.kronor(p.volume, amount),
                    )
                    for p in d.parts
                ],
            )
        )
    return out


def lines_explanation(
    lines_a: Iterable[Line], lines_b: Iterable[Line], amount: Decimal | None, top: int | None = 10
) -> list[DriverRow]:
    """The driving groupings of B against A (both as load lines), with names and kronor."""
    names = administration_names()
    a, b = list(lines_a), list(lines_b)
    if not a or not b:
        return []
    return _drivers(comparison.explain_change(a, b), amount, top, names)


def key_explanation(a: AllocationKey, b: AllocationKey, amount: Decimal | None, top: int | None = 10) -> KeyExplanation:
    """Key B against key A: each administration's share and amount in both, and the groupings
    that drive the difference. Raises calculation.AllocationError when a key cannot be compared."""
    rows = comparison.compare_loads(key_loads(a), key_loads(b), amount)
    names = administration_names()
    lines_a, lines_b = key_lines(a), key_lines(b)
    drivers = lines_explanation(lines_a, lines_b, amount, top) if lines_a and lines_b else []
    return KeyExplanation(rows=rows, names=names, drivers=drivers, explained=bool(lines_a and lines_b))


def driver_document(d: DriverRow) -> dict[str, Any]:
    """A driver for the API (full precision; points and the volume change as decimal strings)."""

    def admin(a: Admin) -> dict[str, str]:
        return {"administration": a.code, "name": a.name}

    def text(v: Decimal | None) -> str | None:
        return None if v is None else str(v)

    return {
        "grouping": d.grouping,
        "name": d.name,
        "weight_pp": str(d.weight_pp),
        "moved_from": [admin(a) for a in d.moved_from],
        "moved_to": [admin(a) for a in d.moved_to],
        "volume_change": text(d.volume_change),
        "explanation": d.words,
        "administrations": [
            {
                **admin(p.administration),
                "contribution_pp": str(p.contribution_pp),
                "owner_pp": str(p.owner_pp),
                "volume_pp": str(p.volume_pp),
                "contribution_kr": text(p.contribution_kr),
                "owner_kr": text(p.owner_kr),
                "volume_kr": text(p.volume_kr),
            }
            for p in d.parts
        ],
    }


def charge_explanations(*, month: date, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The department head's "Varför betalar vi detta?" for every administration of a month's
    publication (stored in its figures, so the page and the workbook read the same thing).

    The key in force is the approved key of the year's co-financing pool and the amounts are its
    newest charging run's. Each grouping the administration carries in the key gets a part of the
    month's and the year's charge in proportion to its load, by largest remainder, so the parts
    add up to the charge to the öre. Cases are the whole cases of the key's window; a split
    grouping shows the fraction that counts for the administration.
    """
    from collections import defaultdict
    from fractions import Fraction

    from allocation.calculation import largest_remainder
    from allocation.models import RunAmount
    from allocation.selectors import co_financing_key, latest_charging_run

    key = co_financing_key(year=month.year)
    if key is None:
        return {}
    pool = CostPool.objects.filter(year=month.year, is_co_financing=True).first()
    run = latest_charging_run(pool) if pool is not None else None
    year_amounts: dict[str, Decimal] = defaultdict(Decimal)
    month_amounts: dict[str, Decimal] = {}
    if run is not None:
        for code, m, amount in RunAmount.objects.filter(run=run).values_list("administration__code", "month", "amount"):
            year_amounts[code] += amount
            if m == month.month:
                month_amounts[code] = amount
    whole: dict[str, Fraction] = defaultdict(Fraction)
    volume: dict[str, Fraction] = defaultdict(Fraction)
    carried: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for grouping, admin, cases, load in key.lines.values_list(
        "grouping__code", "administration__code", "cases", "load"
    ):
        whole[grouping] += Fraction(cases)
        volume[grouping] += Fraction(load)
        if admin is not None:
            carried[admin][grouping] += load
    names = dict(Grouping.objects.values_list("code", "name"))
    decider = key.decided_by.get_full_name() or key.decided_by.username if key.decided_by else ""
    about = {
        "id": key.pk,
        "name": key.name,
        "window_from": f"{key.window_from:%Y-%m}" if key.window_from else None,
        "window_to": f"{key.window_to:%Y-%m}" if key.window_to else None,
        "basis": key.get_basis_display(),
        "approved_at": f"{key.decided_at:%Y-%m-%d}" if key.decided_at else None,
        "approved_by": decider,
        "pool": pool.name if pool is not None else "",
    }
    out = {}
    for code in codes:
        loads = {g: v for g, v in carried.get(code, {}).items() if v}
        month_amount, year_amount = month_amounts.get(code), year_amounts.get(code)
        month_split = largest_remainder(month_amount, loads) if loads and month_amount is not None else {}
        year_split = largest_remainder(year_amount, loads) if loads and year_amount is not None else {}
        rows = []
        split = False
        for g in sorted(loads, key=lambda g: (-loads[g], g)):
            fraction = Fraction(loads[g]) / volume[g] if volume[g] else Fraction(1)
            split = split or fraction < 1
            rows.append(
                {
                    "code": g,
                    "name": names.get(g, g),
                    "cases": str(round(whole[g])),
                    "fraction": str(comparison.points(fraction, 10) / 100),
                    "load": str(loads[g]),
                    "kronor_month": str(month_split[g]) if g in month_split else None,
                    "kronor_year": str(year_split[g]) if g in year_split else None,
                }
            )
        out[code] = {
            "key": about,
            "month_amount": None if month_amount is None else str(month_amount),
            "year_amount": None if year_amount is None else str(year_amount),
            "groupings": rows,
            "split": split,
        }
    return out
