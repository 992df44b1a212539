"""Funding sources and their amounts per year: the audited writes, the register's amounts for a
budget year (what a pool's funding lines are filled from) and funding by source and year beside the
co-financing pools' net amounts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allocation import calculation
from allocation.models import CostPool, FundingSource, FundingSourceAmount
from cases import formats
from cases.services import audit_record

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _source_snapshot(source: FundingSource) -> dict[str, Any]:
    return {
        "name": source.name,
        "description": source.description,
        "last_year": source.last_year,
        "amounts": {str(a.year): str(a.amount) for a in source.amounts.order_by("year")},
    }


def funding_amounts_check(*, last_year: int | None, amounts: dict[int, Decimal]) -> None:
    """Years within reason, no negative amount, and nothing funded after the planned last year."""
    errors = []
    for year, amount in sorted(amounts.items()):
        if not FIRST_YEAR <= year <= LAST_YEAR:
            errors.append(_("%(year)s is not a budget year between 2000 and 2100.") % {"year": year})
        if amount < 0:
            errors.append(_("The amount for %(year)s cannot be negative.") % {"year": year})
        if last_year is not None and year > last_year and amount > 0:
            errors.append(
                _(
                    "The funding ends after %(last)s (its last year), but %(year)s has %(amount)s. "
                    "Remove the amount or move the last year."
                )
                % {"last": last_year, "year": year, "amount": formats.kronor(amount)}
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def funding_source_save(
    *, source: FundingSource, user: Any, amounts: dict[int, Decimal] | None = None, action: str = ""
) -> FundingSource:
    """Create or change a funding source and (if given) replace its amounts per year; audited."""
    stored = FundingSource.objects.filter(pk=source.pk).first() if source.pk else None
    before = _source_snapshot(stored) if stored is not None else None
    source.name = source.name.strip()
    clash = FundingSource.objects.filter(name__iexact=source.name).exclude(pk=source.pk).first()
    if clash is not None:
        raise ValidationError(_("A funding source named %(name)s already exists.") % {"name": clash.name})
    if amounts is None and stored is not None:
        amounts = {a.year: a.amount for a in stored.amounts.all()}
    funding_amounts_check(last_year=source.last_year, amounts=amounts or {})
    source.full_clean()
    source.save()
    if amounts is not None:
        source.amounts.all().delete()
        FundingSourceAmount.objects.bulk_create(
            [FundingSourceAmount(source=source, year=y, amount=a) for y, a in sorted(amounts.items())]
        )
    after = _source_snapshot(source)
    if before != after:
        audit_record(
            user=user,
            action=action or ("funding_source.change" if before else "funding_source.create"),
            obj_type="funding_source",
            obj_id=source.pk,
            before=before,
            after=after,
        )
    return source


def funding_source_for_label(*, label: str, user: Any) -> FundingSource:
    """The register's source a funding line names (its name, case ignored). A name the register
    does not hold is registered as a new source without yearly amounts (audited), so a pool's line
    is always a record; finance staff then give it amounts and a last year on the funding page."""
    name = label.strip()[:200]
    if not name:
        raise ValidationError(_("A funding line needs the name of its funding source."))
    found = FundingSource.objects.filter(name__iexact=name).first()
    if found is not None:
        return found
    return funding_source_save(
        source=FundingSource(name=name), user=user, amounts={}, action="funding_source.create_from_pool"
    )


def register_funding(year: int) -> list[tuple[FundingSource, Decimal]]:
    """The register's funding for a budget year: every source with an amount above zero that year,
    by name (a phased-out source has none after its last year)."""
    rows = FundingSourceAmount.objects.filter(year=year, amount__gt=0).select_related("source")
    return [
        (row.source, row.amount)
        for row in rows.order_by("source__name")
        if row.source.last_year is None or year <= row.source.last_year
    ]


@dataclass(frozen=True)
class FundingYear:
    """One budget year: each source's amount in the register (None: no amount), the total central
    funding, and the co-financing pool's gross cost and net amount (None: no co-financing pool)."""

    year: int
    by_source: tuple[Decimal | None, ...]
    central: Decimal
    co_financing_gross: Decimal | None
    co_financing_net: Decimal | None


@dataclass(frozen=True)
class FundingOverview:
    sources: tuple[FundingSource, ...]
    years: tuple[FundingYear, ...]


def funding_overview(*, years: range | None = None) -> FundingOverview:
    """Funding by source and year beside the co-financing: the years the register or a co-financing
    pool holds (or those asked for). The co-financing net is the pool's gross cost minus its own
    funding lines (DESIGN §4), as a run would use it."""
    sources = tuple(FundingSource.objects.order_by("name"))
    amounts = {(a.source_id, a.year): a.amount for a in FundingSourceAmount.objects.all()}
    pools = {
        p.year: p
        for p in CostPool.objects.filter(is_co_financing=True).prefetch_related("funding_lines").order_by("year")
    }
    wanted = sorted(set(years)) if years is not None else sorted({y for _s, y in amounts} | set(pools))
    out = []
    for year in wanted:
        by_source = tuple(amounts.get((s.pk, year)) for s in sources)
        pool = pools.get(year)
        net = None
        if pool is not None:
            try:
                net = calculation.net_amount(pool.gross_amount, [f.amount for f in pool.funding_lines.all()])
            except calculation.AllocationError:
                net = None
        out.append(
            FundingYear(
                year=year,
                by_source=by_source,
                central=sum((a for a in by_source if a is not None), Decimal(0)),
                co_financing_gross=pool.gross_amount if pool is not None else None,
                co_financing_net=net,
            )
        )
    return FundingOverview(sources=sources, years=tuple(out))
