"""Celery tasks for allocation: thin wrappers around the services."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    name="allocation.run_pool", autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=5
)
def run_pool(pool_id: int) -> int:
    """Re-run a pool with its key. Runs of one pool serialise on the pool row; each new run
    records the run it supersedes, so running twice gives two runs with identical amounts."""
    from allocation.models import CostPool
    from allocation.services import allocation_run_create

    pool = CostPool.objects.select_related("key").get(pk=pool_id)
    if pool.key is None:
        raise ValueError(f"Kostnadspoolen {pool} har ingen nyckel.")
    return allocation_run_create(key=pool.key, pool=pool).pk


@shared_task(name="allocation.flag_stale_keys", autoretry_for=(OperationalError, InterfaceError), retry_backoff=True)
def flag_stale_keys(months: list[str]) -> int:
    from allocation.services import allocation_keys_flag_stale

    return allocation_keys_flag_stale(months=[date.fromisoformat(m) for m in months])


@shared_task(
    name="allocation.publish_month",
    acks_late=True,  # publishing twice only adds a version; losing it would skip a month
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def publish_month(month: str) -> int:
    from allocation.publishing import publication_create

    return publication_create(month=date.fromisoformat(month)).pk


@shared_task(name="allocation.publish_due")
def publish_due() -> str | None:
    """Run daily by celery beat: on the scheduled working day, publish last month once."""
    from django.utils import timezone

    from allocation.models import Publication, PublicationSchedule

    schedule = PublicationSchedule.objects.first() or PublicationSchedule()
    today = timezone.localdate()
    if not schedule.enabled or working_day_of_month(today) != schedule.working_day:
        return None
    last_month = date(today.year - 1, 12, 1) if today.month == 1 else date(today.year, today.month - 1, 1)
    if Publication.objects.filter(month=last_month).exists():
        return None
    publish_month.delay(last_month.isoformat())
    return last_month.isoformat()


def working_day_of_month(day: date) -> int | None:
    """1 for the first Monday–Friday of the month, …; None on a weekend."""
    if day.weekday() >= 5:
        return None
    return sum(1 for d in range(1, day.day + 1) if date(day.year, day.month, d).weekday() < 5)
