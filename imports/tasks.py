"""Celery tasks for imports: thin wrappers around the services."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.db import InterfaceError, OperationalError


class _MarksBatchFailed(DjangoTask):
    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        from imports.services import import_batch_mark_failed

        batch_id = args[0] if args else kwargs.get("batch_id")
        if batch_id is not None:
            import_batch_mark_failed(batch_id=batch_id, reason=f"Tekniskt fel: {type(exc).__name__}: {exc}")


@shared_task(
    name="imports.process_batch",
    base=_MarksBatchFailed,
    acks_late=True,  # the service is idempotent: a redelivered message is harmless
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def process_batch(batch_id: int) -> str:
    from imports.processing import import_batch_process

    return import_batch_process(batch_id=batch_id)


@shared_task(name="imports.sweep_stuck_batches")
def sweep_stuck_batches(stale_seconds: int = 600) -> list[int]:
    """Run by celery beat: requeue batches left pending or processing by a lost message or worker."""
    from imports.services import import_batches_sweep

    return import_batches_sweep(stale_seconds=stale_seconds)
