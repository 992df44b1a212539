"""The start page: links by role, and for finance staff what needs attention. It reads every app,
so it lives in the project package rather than in one of them (cases must not depend on the
others)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from allocation.models import AllocationKey, CostPool, Publication
from cases import roles
from cases.models import DataSource, MonthlyAggregate
from cases.selectors import administrations_visible_to
from imports.models import ImportBatch


@dataclass(frozen=True)
class Attention:
    """One thing a finance officer should look at, with where to do it."""

    text: str
    url: str


def attention_items() -> list[Attention]:
    items: list[Attention] = []
    since = timezone.now() - timedelta(days=30)
    batches = reverse("admin:imports_importbatch_changelist")
    failed = ImportBatch.objects.filter(status=ImportBatch.Status.FAILED, created_at__gte=since).count()
    if failed:
        items.append(
            Attention(f"{failed} import(er) misslyckades de senaste 30 dagarna.", batches + "?status__exact=failed")
        )
    waiting = ImportBatch.objects.filter(status=ImportBatch.Status.PENDING).count()
    if waiting:
        items.append(Attention(f"{waiting} import(er) väntar på att bearbetas.", batches + "?status__exact=pending"))
    for batch in ImportBatch.objects.filter(needs_confirmation=True, status=ImportBatch.Status.REJECTED)[:10]:
        items.append(
            Attention(
                f"Batch #{batch.pk} ({batch.original_name}) väntar på bekräftad ersättning: {batch.message[:160]}",
                reverse("admin:imports_importbatch_upload") + f"?batch={batch.pk}",
            )
        )
    last = MonthlyAggregate.objects.filter(source__is_reference=False).aggregate(m=Max("month"))["m"]
    if last is not None:
        latest = dict(
            MonthlyAggregate.objects.filter(source__is_reference=False)
            .values("source_id")
            .annotate(m=Max("month"))
            .values_list("source_id", "m")
        )
        for source in DataSource.objects.filter(is_reference=False, delivers_monthly=True).order_by("name"):
            if latest.get(source.pk) is None or latest[source.pk] < last:
                seen = latest.get(source.pk)
                items.append(
                    Attention(
                        f"Källan {source.name} saknar {last:%Y-%m}"
                        + (f" (senast {seen:%Y-%m})." if seen else " (ingen data alls)."),
                        reverse("admin:imports_importbatch_upload"),
                    )
                )
        published = set(Publication.objects.values_list("month", flat=True))
        months = sorted(
            set(
                MonthlyAggregate.objects.filter(source__is_reference=False, month__gte=last - timedelta(days=366))
                .values_list("month", flat=True)
                .distinct()
            )
            - published
        )
        if months:
            items.append(
                Attention(
                    "Månader med data som inte är publicerade: " + ", ".join(f"{m:%Y-%m}" for m in months) + ".",
                    reverse("statistics:list"),
                )
            )
    for key in AllocationKey.objects.filter(
        status__in=[AllocationKey.Status.DRAFT, AllocationKey.Status.PROPOSED], warnings__icontains="beräkna om"
    ):
        items.append(
            Attention(
                f"Nyckel #{key.pk} {key.name} bygger på data som har ändrats: beräkna om den.",
                reverse("allocation:key-detail", args=[key.pk]),
            )
        )
    year = timezone.localdate().year
    for pool in CostPool.objects.filter(year__in=[year, year + 1]).order_by("year", "name"):
        if not pool.runs.filter(is_charging=True).exists():
            items.append(
                Attention(
                    f"Kostnadspoolen {pool} har ingen debiteringskörning.",
                    reverse("allocation:pool-detail", args=[pool.pk]),
                )
            )
    return items


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    is_finance = roles.is_finance(user)
    context: dict[str, Any] = {
        "is_finance": is_finance,
        "is_steering": roles.is_steering(user),
        "is_head": roles.is_department_head(user),
        "administrations": administrations_visible_to(user),
        "latest": Publication.objects.order_by("-month", "-version").first(),
        "attention": attention_items() if is_finance else [],
        "awaiting_decision": AllocationKey.objects.filter(status=AllocationKey.Status.PROPOSED).order_by("pk")
        if roles.is_steering(user)
        else [],
    }
    return render(request, "cases/home.html", context)
