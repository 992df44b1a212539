"""Reads of import batches."""

from __future__ import annotations

import time

from imports.models import ImportBatch

UNFINISHED = (ImportBatch.Status.PENDING, ImportBatch.Status.PROCESSING)


def import_batch_wait(*, batch_id: int, timeout: float = 3600, poll: float = 0.5) -> ImportBatch:
    """Block until the batch has left pending/processing (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    while True:
        batch = ImportBatch.objects.select_related("source").get(pk=batch_id)
        if batch.status not in UNFINISHED or time.monotonic() > deadline:
            return batch
        time.sleep(poll)
