"""Celery tasks for allocation: thin wrappers around the services."""

from __future__ import annotations

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
    from datetime import date

    from allocation.services import allocation_keys_flag_stale

    return allocation_keys_flag_stale(months=[date.fromisoformat(m) for m in months])
