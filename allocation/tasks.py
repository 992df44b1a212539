"""Celery tasks for allocation: thin wrappers around the services."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _


@shared_task(
    name="allocation.run_pool",
    autoretry_for=(OperationalError, InterfaceError),  # e.g. PostgreSQL restarted: the run's transaction rolled back
    retry_backoff=True,
    retry_jitter=False,
    max_retries=8,
)
def run_pool(pool_id: int) -> int:
    """Re-run a pool with its key. Runs of one pool serialise on the pool row; each new run
    records the run it supersedes, so running twice gives two runs with identical amounts."""
    from allocation.models import CostPool
    from allocation.runs.allocate import allocation_run_create

    pool = CostPool.objects.select_related("key").get(pk=pool_id)
    if pool.key is None:
        raise ValueError(_("The cost pool %(pool)s has no key.") % {"pool": pool})
    return allocation_run_create(key=pool.key, pool=pool).pk


@shared_task(name="allocation.flag_stale_keys", autoretry_for=(OperationalError, InterfaceError), retry_backoff=True)
def flag_stale_keys(months: list[str]) -> int:
    from allocation.keys.compute import allocation_keys_flag_stale

    return allocation_keys_flag_stale(months=[date.fromisoformat(m) for m in months])


@shared_task(
    name="allocation.publish_request",
    acks_late=True,  # a request is published exactly once however often it is delivered
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=False,
    max_retries=8,
)
def publish_request(request_id: int) -> int | None:
    from allocation.publications.publishing import publication_request_process

    publication = publication_request_process(request_id=request_id)
    return publication.pk if publication else None


@shared_task(name="allocation.sweep_stuck_publications")
def sweep_stuck_publications(stale_seconds: int = 600) -> list[int]:
    """Run by celery beat: resend publication requests whose message or worker was lost."""
    from allocation.publications.publishing import publication_requests_sweep

    return publication_requests_sweep(stale_seconds=stale_seconds)


@shared_task(name="allocation.publish_due")
def publish_due() -> str | None:
    """Run daily by celery beat: on the scheduled working day, publish last month once."""
    from django.utils import timezone

    from allocation.models import Publication, PublicationRequest, PublicationSchedule
    from allocation.publications.publishing import publication_request_create

    schedule = PublicationSchedule.objects.first() or PublicationSchedule()
    today = timezone.localdate()
    if not schedule.enabled or working_day_of_month(today) != schedule.working_day:
        return None
    last_month = date(today.year - 1, 12, 1) if today.month == 1 else date(today.year, today.month - 1, 1)
    if Publication.objects.filter(month=last_month).exists():
        return None
    if PublicationRequest.objects.filter(month=last_month).exclude(status=PublicationRequest.Status.FAILED).exists():
        return None  # already asked for (today's earlier beat, or waiting for a worker)
    notify_missing_sources(last_month)
    publication_request_create(month=last_month, reason="schema")
    return last_month.isoformat()


def notify_missing_sources(month: date) -> None:
    """On the publication day: finance staff are told of monthly sources without that month."""
    from cases.formats import month as month_name
    from cases.models import DataSource, MonthlyAggregate
    from cases.notifications import notify, people_in
    from cases.roles import FINANCE

    delivered = set(MonthlyAggregate.objects.filter(month=month).values_list("source_id", flat=True))
    for source in DataSource.objects.filter(is_reference=False, delivers_monthly=True):
        if source.pk not in delivered:
            notify(
                kind="failure",
                event=f"source:{source.pk}:missing:{month:%Y-%m}",
                recipients=people_in(FINANCE),
                subject=(
                    _("The source %(source)s has not delivered %(month)s")
                    % {"source": source.name, "month": month_name(month)}
                ),
                body=_("The source %(source)s has no data for %(month)s on the publication day.")
                % {"source": source.name, "month": month_name(month)},
            )


def working_day_of_month(day: date) -> int | None:
    """1 for the first Monday–Friday of the month, …; None on a weekend."""
    if day.weekday() >= 5:
        return None
    return sum(1 for d in range(1, day.day + 1) if date(day.year, day.month, d).weekday() < 5)
