"""Reads for keys and runs: window volumes from the monthly aggregates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from allocation.calculation import MapOwner, VolumeCell
from cases import statistics
from cases.models import DataSource, GroupingMapVersion, MonthlyAggregate

if TYPE_CHECKING:
    from allocation.models import AllocationKey, CostPool, Publication, PublicationRequest, Settlement


def window_volumes(*, window_from: date, window_to: date, source_ids: list[int]) -> list[VolumeCell]:
    """Cases and handle time per grouping and channel over the window: one GROUP BY on aggregates."""
    rows = (
        MonthlyAggregate.objects.filter(month__gte=window_from, month__lte=window_to, source_id__in=source_ids)
        .values("grouping__code", "channel__code")
        .annotate(cases=Sum("cases"), handle=Sum("handle_seconds"))
        .order_by("grouping__code", "channel__code")
    )
    return [VolumeCell(r["grouping__code"], r["channel__code"], int(r["cases"]), int(r["handle"])) for r in rows]


def monthly_volumes(*, window_from: date, window_to: date, source_ids: list[int]) -> dict[date, list[VolumeCell]]:
    """The window's cells month by month: one GROUP BY on the aggregates."""
    rows = (
        MonthlyAggregate.objects.filter(month__gte=window_from, month__lte=window_to, source_id__in=source_ids)
        .values("month", "grouping__code", "channel__code")
        .annotate(cases=Sum("cases"), handle=Sum("handle_seconds"))
        .order_by("month", "grouping__code", "channel__code")
    )
    out: dict[date, list[VolumeCell]] = {}
    for r in rows:
        out.setdefault(r["month"], []).append(
            VolumeCell(r["grouping__code"], r["channel__code"], int(r["cases"]), int(r["handle"]))
        )
    return out


def months_with_data(*, window_from: date, window_to: date, source_ids: list[int]) -> dict[int, set[date]]:
    """Which months each source has any aggregate for (for the missing-month warnings)."""
    out: dict[int, set[date]] = {sid: set() for sid in source_ids}
    pairs = (
        MonthlyAggregate.objects.filter(month__gte=window_from, month__lte=window_to, source_id__in=source_ids)
        .values_list("source_id", "month")
        .distinct()
    )
    for source_id, month in pairs:
        out[source_id].add(month)
    return out


def own_source_ids() -> list[int]:
    return list(DataSource.objects.filter(is_reference=False).values_list("id", flat=True))


def month_cells(months: list[date]) -> dict[date, list[statistics.Cell]]:
    """Each month's aggregate cells of the centre's own sources (reference statistics are another
    city's): what the published figures, the rolling share and the effect goals are computed from."""
    rows = MonthlyAggregate.objects.filter(month__in=months, source_id__in=own_source_ids()).values_list(
        "month", "grouping__code", "channel__code", *statistics.AGGREGATE_FIGURES
    )
    out: dict[date, list[statistics.Cell]] = {}
    for r in rows:
        out.setdefault(r[0], []).append(statistics.Cell(*r))
    return out


def map_owners(version: GroupingMapVersion) -> dict[str, list[MapOwner]]:
    """The owners in force on the version's date (per-grouping dating: every grouping's newest
    rows on or before it); a draft version's rows are laid over the map in force on its date."""
    from cases.selectors import grouping_map_on

    lines = grouping_map_on(on=version.valid_from, draft=version if version.is_draft else None)
    return {g: [MapOwner(line.administration, line.fraction) for line in group] for g, group in lines.items()}


def co_financing_key(*, year: int) -> Any:
    """The approved key of the year's co-financing pool: the key the statistics, the drift and
    the robustness checks compare measured shares with. None when the year has no
    co-financing pool or its key is not approved. Driver and fixed keys never qualify."""
    from allocation.models import AllocationKey, CostPool

    pool = CostPool.objects.filter(year=year, is_co_financing=True).select_related("key").first()
    if pool is None or pool.key is None:
        return None
    key = pool.key
    if key.status != AllocationKey.Status.APPROVED or key.kind != AllocationKey.Kind.MEASURED:
        return None
    return key


def latest_charging_run(pool: Any) -> Any:
    """The pool's newest charging run (what it has charged), or None."""
    from allocation.models import AllocationRun

    return AllocationRun.objects.filter(pool=pool, is_charging=True).order_by("-created_at", "-id").first()


def key_loads(key) -> dict[str, Decimal]:
    return dict(key.shares.values_list("administration__code", "load"))


def key_lines(key) -> list[tuple[str, str | None, Decimal]]:
    return list(key.lines.values_list("grouping__code", "administration__code", "load"))


def records_fingerprint() -> str:
    """A SHA-256 over every key with its shares and load lines, every run with its amounts and
    every publication with its figures and file checksums, independent of row order.

    Two databases with the same fingerprint hold the same money decisions: this is how a
    restored backup is checked against the original.
    """
    import hashlib
    import json

    from allocation.models import AllocationKey, AllocationRun, Publication

    digest = hashlib.sha256()

    def feed(obj: object) -> None:
        digest.update(json.dumps(obj, sort_keys=True, default=str).encode())

    for key in AllocationKey.objects.order_by("pk"):
        feed(
            [
                key.pk,
                key.name,
                key.kind,
                key.basis,
                key.window_from,
                key.window_to,
                key.valid_from,
                key.status,
                key.sources,
                key.channel_weights,
                key.central_load,
                key.warnings,
            ]
        )
        feed(sorted(key.shares.values_list("administration__code", "load", "share")))
        feed(sorted(key.lines.values_list("grouping__code", "channel", "administration__code", "cases", "load")))
    for run in AllocationRun.objects.order_by("pk"):
        feed([run.pk, run.key_id, run.pool_id, run.net_amount, run.unit, run.inputs, run.supersedes_id])
        feed(sorted(run.amounts.values_list("administration__code", "month", "amount"), key=str))
    for publication in Publication.objects.order_by("pk"):
        feed([publication.pk, publication.month, publication.version, publication.figures])
        feed(sorted(publication.files.values_list("name", "sha256")))
    return digest.hexdigest()


def export_checksums() -> dict[str, str]:
    """SHA-256 of every download a person can take away, made afresh from the database: each
    key's and each run's workbook, and each publication's charts and workbooks made again from
    its stored figures (compare with the checksums stored with the publication's files).

    The exports carry their record's own time, not the clock's, so the same database gives the
    same checksums today, tomorrow and after a restore.
    """
    import hashlib

    from allocation.models import AllocationKey, AllocationRun, Publication
    from allocation.publications.renderers import publication_files
    from allocation.publications.workbooks import key_workbook, run_workbook

    out: dict[str, str] = {}
    for key in AllocationKey.objects.order_by("pk"):
        out[f"nyckel-{key.pk}.xlsx"] = hashlib.sha256(key_workbook(key)).hexdigest()
    for run in AllocationRun.objects.select_related("key", "pool").order_by("pk"):
        out[f"korning-{run.pk}.xlsx"] = hashlib.sha256(run_workbook(run)).hexdigest()
    for publication in Publication.objects.order_by("pk"):
        for _code, name, data in publication_files(publication.figures):
            out[f"{publication.month:%Y-%m}-v{publication.version}-{name}"] = hashlib.sha256(data).hexdigest()
    return out


def months_unpublished(*, within_days: int = 366) -> list[date]:
    """Months of the last year (counted back from the newest month with own data) that have own
    data but no publication, oldest first: what the start page and the statistics list offer to
    publish."""
    from datetime import timedelta

    from django.db.models import Max

    from allocation.models import Publication

    own = MonthlyAggregate.objects.filter(source__is_reference=False)
    last = own.aggregate(m=Max("month"))["m"]
    if last is None:
        return []
    recent = own.filter(month__gte=last - timedelta(days=within_days))
    with_data = set(recent.values_list("month", flat=True).distinct())
    return sorted(with_data - set(Publication.objects.values_list("month", flat=True).distinct()))


def month_has_own_data(month: date) -> bool:
    return MonthlyAggregate.objects.filter(source__is_reference=False, month=month).exists()


# --- The lists the pages show (reads of the pages, in one place) ------------------------------


def keys_listed() -> QuerySet[AllocationKey]:
    """Every key, newest first, with who decided it."""
    from allocation.models import AllocationKey

    return AllocationKey.objects.select_related("decided_by").order_by("-created_at")


def keys_other_than(key: AllocationKey, *, limit: int = 50) -> QuerySet[AllocationKey]:
    """The keys a key can be compared with, newest first."""
    from allocation.models import AllocationKey

    return AllocationKey.objects.exclude(pk=key.pk).order_by("-created_at")[:limit]


def pools_for_key(key: AllocationKey) -> QuerySet[CostPool]:
    """The pools the key may be proposed for: key-shared pools of its year or later (DESIGN §4)."""
    from allocation.models import CostPool

    return CostPool.objects.filter(pricing=CostPool.Pricing.KEY, year__gte=key.valid_from.year).order_by(
        "-year", "name"
    )


def pools_listed() -> QuerySet[CostPool]:
    """Every pool, newest year first, with its key and funding lines."""
    from allocation.models import CostPool

    return CostPool.objects.select_related("key").prefetch_related("funding_lines").order_by("-year", "name")


def co_financing_pools() -> QuerySet[CostPool]:
    from allocation.models import CostPool

    return CostPool.objects.filter(is_co_financing=True).order_by("-year")


def settlements_listed() -> QuerySet[Settlement]:
    from allocation.models import Settlement

    return Settlement.objects.select_related("pool").order_by("-created_at")


def publications_listed() -> QuerySet[Publication]:
    from allocation.models import Publication

    return Publication.objects.order_by("-month", "-version")


def publication_requests_in_progress() -> list[PublicationRequest]:
    """Work in progress, and failures of the last two weeks, so nobody wonders where a month is."""
    from allocation.models import PublicationRequest

    return list(
        PublicationRequest.objects.filter(
            status__in=[PublicationRequest.Status.PENDING, PublicationRequest.Status.RUNNING]
        ).order_by("month")
    ) + list(
        PublicationRequest.objects.filter(
            status=PublicationRequest.Status.FAILED, requested_at__gte=timezone.now() - timedelta(days=14)
        ).order_by("month")
    )
