"""The start page: links by role, and for finance staff what needs attention. It reads every app,
so it lives in the project package rather than in one of them (cases must not depend on the
others)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, Max, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from allocation.goals.follow_up import target_sets_awaiting
from allocation.models import AllocationKey, AllocationRun, CostPool, PoolPrice, Publication, Settlement
from allocation.selectors import months_unpublished
from cases import formats, roles
from cases.models import DataSource, MonthlyAggregate, Notification
from cases.notifications import ATTEMPTS
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
    batches = reverse("imports:batches")
    failed = ImportBatch.objects.filter(status=ImportBatch.Status.FAILED, created_at__gte=since).count()
    if failed:
        items.append(
            Attention(
                (_("%(count)s import(s) failed in the last 30 days.") % {"count": failed}),
                batches + "?status=failed",
            )
        )
    waiting = ImportBatch.objects.filter(status=ImportBatch.Status.PENDING).count()
    if waiting:
        items.append(
            Attention(
                _("%(count)s import(s) are waiting to be processed.") % {"count": waiting},
                batches + "?status=pending",
            )
        )
    for batch in ImportBatch.objects.filter(needs_confirmation=True, status=ImportBatch.Status.REJECTED)[:10]:
        items.append(
            Attention(
                _("Batch #%(id)s (%(name)s) is waiting for a confirmed replacement: %(message)s")
                % {"id": batch.pk, "name": batch.original_name, "message": batch.message[:160]},
                reverse("imports:batch", args=[batch.pk]),
            )
        )
    given_up = Notification.objects.filter(sent_at__isnull=True, attempts__gte=ATTEMPTS, created_at__gte=since).count()
    if given_up:
        items.append(
            Attention(
                _("%(count)s e-mail notification(s) could not be sent after %(attempts)s attempts.")
                % {"count": given_up, "attempts": ATTEMPTS},
                reverse("admin:cases_notification_changelist") + "?sent_at__isnull=True",
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
                        (
                            _("The source %(source)s lacks %(month)s (last %(seen)s).")
                            % {"source": source.name, "month": formats.month(last), "seen": formats.month(seen)}
                            if seen
                            else _("The source %(source)s lacks %(month)s (no data at all).")
                            % {"source": source.name, "month": formats.month(last)}
                        ),
                        reverse("imports:upload"),
                    )
                )
        months = months_unpublished()
        if months:
            items.append(
                Attention(
                    _("Months with data that are not published: %(months)s.")
                    % {"months": ", ".join(formats.month(m) for m in months)},
                    reverse("statistics:list") + "#unpublished",
                )
            )
    with translation.override(settings.LANGUAGE_CODE):  # the stale-data warning is stored in the site's language
        stale = _("compute the key again")
    for key in AllocationKey.objects.filter(
        status__in=[AllocationKey.Status.DRAFT, AllocationKey.Status.PROPOSED], warnings__icontains=stale
    ):
        items.append(
            Attention(
                _("Key #%(id)s %(name)s is built on data that has changed: compute it again.")
                % {"id": key.pk, "name": key.name},
                reverse("allocation:key-detail", args=[key.pk]),
            )
        )
    year = timezone.localdate().year
    charged = AllocationRun.objects.filter(pool=OuterRef("pk"), is_charging=True)
    for pool in (
        CostPool.objects.filter(year__in=[year, year + 1]).annotate(charged=Exists(charged)).order_by("year", "name")
    ):
        if not pool.charged:
            items.append(
                Attention(
                    _("The cost pool %(pool)s has no charging run.") % {"pool": pool},
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
        "unpublished": months_unpublished() if is_finance else [],
        "awaiting_decision": AllocationKey.objects.filter(status=AllocationKey.Status.PROPOSED).order_by("pk")
        if roles.is_steering(user)
        else [],
        # Settlements and prices wait for the same decision as keys (DESIGN §4).
        "settlements_awaiting": Settlement.objects.filter(status=Settlement.Status.PROPOSED)
        .select_related("pool")
        .order_by("pk")
        if roles.is_steering(user)
        else [],
        "prices_awaiting": PoolPrice.objects.filter(status=PoolPrice.Status.PROPOSED)
        .select_related("pool")
        .order_by("pk")
        if roles.is_steering(user)
        else [],
        "goal_targets_awaiting": target_sets_awaiting() if roles.is_steering(user) else [],
    }
    return render(request, "cases/home.html", context)
