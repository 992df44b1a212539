"""Import batches from the outside: an upload becomes a batch (kept file, duplicate and throttle
checks) and is queued; a batch is re-queued, confirmed as a replacement, marked failed or swept
when stuck. The processing itself is imports.processing."""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import date, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import formats
from cases.models import DataSource
from cases.services import audit_record
from imports import loading
from imports.models import ImportBatch

logger = logging.getLogger(__name__)


def _sha256(stream: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    stream.seek(0)
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return digest.hexdigest(), size


def import_batch_create(
    *,
    source: DataSource,
    stream: IO[bytes],
    filename: str,
    kind: str = ImportBatch.Kind.CASES,
    declared_month: date | None = None,
    load_valid_rows: bool = False,
    replace: bool = False,
    user: Any = None,
) -> ImportBatch:
    """Keep the uploaded file, record the batch and queue its processing after commit.

    Refuses the same bytes already live for the source, pointing at the earlier batch.
    `replace` confirms beforehand that the file may replace a loaded month even when the
    month's case count changes by more than 20 % (see _replacement_refusal).
    """
    if kind not in ImportBatch.Kind.values:
        raise ValidationError(_("Unknown format %(kind)r; choose cases or aggregated.") % {"kind": kind})
    if kind == ImportBatch.Kind.AGGREGATED and not source.is_reference:
        # Aggregates loaded beside the municipality's own case rows would count twice (or
        # replace the month's aggregates while its cases stay): only reference sources take them.
        raise ValidationError(
            _(
                "The source %(source)s is the municipality's own source and takes case logs only. "
                "Aggregated statistics are loaded into a reference source (marked as reference statistics)."
            )
            % {"source": source.name}
        )
    upload_throttle_check(user=user)
    sha, size = _sha256(stream)
    if size == 0:
        raise ValidationError(_("The file is empty."))
    if size > settings.IMPORT_MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is %(size)s MB; the largest size allowed is %(limit)s MB. Split it by month.")
            % {
                "size": formats.number(size / 1e6, 1),
                "limit": formats.number(settings.IMPORT_MAX_UPLOAD_BYTES / 1e6, 1),
            }
        )
    earlier = _live_duplicate(source=source, sha=sha)
    if earlier is not None:
        raise ValidationError(_duplicate_message(earlier))
    batch = ImportBatch(
        source=source,
        kind=kind,
        original_name=os.path.basename(filename)[:255] or "upload",
        size_bytes=size,
        sha256=sha,
        declared_month=declared_month,
        load_valid_rows=load_valid_rows,
        replace_confirmed=replace,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        language=translation.get_language() or "",
    )
    try:
        with transaction.atomic():
            batch.file.save(batch.original_name, File(stream), save=False)
            batch.full_clean(exclude=["file", "sha256"])
            batch.save()
            audit_record(
                user=user,
                action="import.upload",
                obj_type="import_batch",
                obj_id=batch.pk,
                after={"file": batch.original_name, "sha256": sha, "source": source.name},
            )
    except IntegrityError as exc:  # a simultaneous upload of the same bytes won the race
        earlier = _live_duplicate(source=source, sha=sha)
        raise ValidationError(_duplicate_message(earlier) if earlier else str(exc)) from exc
    _enqueue(batch.pk)
    return batch


class UploadThrottled(ValidationError):
    """Too many uploads by one user in the period of UPLOAD_THROTTLE_RATE."""

    def __init__(self, message: str, wait_seconds: int) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds


_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def upload_throttle_check(*, user: Any) -> None:
    """Count one upload for `user` (whatever page, API or command it comes from) and refuse it
    past UPLOAD_THROTTLE_RATE ("N/period", e.g. 120/hour). Uploads with no user (a command run
    without --user by the operating system's user) are not counted."""
    from config.auth import count_failure  # the count lives in the shared cache (Redis)

    if not getattr(user, "is_authenticated", False):
        return
    number, _slash, period = settings.UPLOAD_THROTTLE_RATE.partition("/")
    limit, seconds = int(number), _PERIODS[period.strip()[:1].lower()]
    if count_failure(f"uploads:{user.pk}", seconds) > limit:
        raise UploadThrottled(
            _("You have uploaded %(count)s files in a short time (limit %(rate)s). Wait a while and try again.")
            % {"count": limit, "rate": settings.UPLOAD_THROTTLE_RATE},
            wait_seconds=seconds,
        )


def _live_duplicate(*, source: DataSource, sha: str) -> ImportBatch | None:
    return (
        ImportBatch.objects.filter(source=source, sha256=sha, status__in=["pending", "processing", "loaded"])
        .order_by("created_at")
        .first()
    )


def _duplicate_message(earlier: ImportBatch) -> str:
    return _(
        "Exactly the same file is already uploaded as batch #%(batch)s (%(name)s, %(at)s, status: %(status)s). "
        "Upload a corrected file if the month is to be replaced."
    ) % {
        "batch": earlier.pk,
        "name": earlier.original_name,
        "at": f"{timezone.localtime(earlier.created_at):%Y-%m-%d %H:%M}",
        "status": earlier.get_status_display(),
    }


BROKER_DOWN_MESSAGE = gettext_lazy(
    "Waiting: the processing queue cannot be reached just now. The file is kept and the batch starts "
    "by itself when the queue is back."
)


def _enqueue(batch_id: int) -> None:
    """Send the batch's task once the batch row is committed.

    If the broker cannot be reached the upload is not lost: the batch stays pending with a
    message saying so, and the sweeper (imports.sweep_stuck_batches) sends it when it can.
    """
    transaction.on_commit(lambda: _send(batch_id))


def _send(batch_id: int) -> None:
    from config.celery import send_or_wait

    if not send_or_wait("imports.process_batch", batch_id):
        ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.PENDING).update(
            message=str(BROKER_DOWN_MESSAGE)
        )


@transaction.atomic
def import_batch_requeue(*, batch_id: int, user: Any = None) -> ImportBatch:
    """Put a failed or stuck batch back in the queue (admin action). Safe to call twice."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status not in (ImportBatch.Status.FAILED, ImportBatch.Status.PROCESSING, ImportBatch.Status.PENDING):
        raise ValidationError(
            _("Batch #%(batch)s has status %(status)s and is not run again.")
            % {"batch": batch.pk, "status": batch.get_status_display()}
        )
    batch.status = ImportBatch.Status.PENDING
    batch.message = ""
    batch.save(update_fields=["status", "message"])
    audit_record(user=user, action="import.requeue", obj_type="import_batch", obj_id=batch.pk)
    _enqueue(batch.pk)
    return batch


@transaction.atomic
def import_batch_confirm_replace(*, batch_id: int, user: Any = None) -> ImportBatch:
    """The uploader confirms that a batch refused for replacing a month too much (or for case
    ids of another source) is intended: it is loaded again, this time replacing the month."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
    if not (batch.status == ImportBatch.Status.REJECTED and batch.needs_confirmation):
        raise ValidationError(_("Batch #%(batch)s is not waiting for a confirmation.") % {"batch": batch.pk})
    refused_with = batch.message
    batch.status = ImportBatch.Status.PENDING
    batch.replace_confirmed = True
    batch.needs_confirmation = False
    batch.message = ""
    batch.save(update_fields=["status", "replace_confirmed", "needs_confirmation", "message"])
    audit_record(
        user=user,
        action="import.replace_confirmed",
        obj_type="import_batch",
        obj_id=batch.pk,
        before={"message": refused_with},
    )
    _enqueue(batch.pk)
    return batch


def import_batch_mark_failed(*, batch_id: int, reason: str) -> None:
    with transaction.atomic():
        failed = ImportBatch.objects.filter(pk=batch_id, status__in=["pending", "processing"]).update(
            status=ImportBatch.Status.FAILED, message=reason[:2000], finished_at=timezone.now()
        )
        if failed:
            from cases.notifications import link, notify, people_in
            from cases.roles import FINANCE

            batch = ImportBatch.objects.select_related("source").get(pk=batch_id)
            notify(
                kind="failure",
                event=f"import:{batch_id}:failed:{batch.attempts}",
                recipients=people_in(FINANCE),
                subject=_("The import of %(name)s failed") % {"name": batch.original_name},
                body=_("Batch #%(id)s (%(name)s, %(source)s) failed: %(reason)s")
                % {"id": batch.pk, "name": batch.original_name, "source": batch.source.name, "reason": reason}
                + f"\n{link('/admin/imports/importbatch/')}",
            )


def import_batches_sweep(*, stale_seconds: int = 600) -> list[int]:
    """Requeue batches whose work was lost: pending too long (a lost message) or processing
    without a sign of life while no worker holds their lock (a killed worker).

    Safe to run at any time and on any machine: a batch a live worker is processing holds its
    advisory lock and is left alone; requeuing an idle batch twice only delivers twice, which
    the idempotent task absorbs.
    """
    cutoff = timezone.now() - timedelta(seconds=stale_seconds)
    candidates = list(
        ImportBatch.objects.filter(
            Q(status=ImportBatch.Status.PENDING, created_at__lt=cutoff)
            | Q(status=ImportBatch.Status.PROCESSING, heartbeat_at__lt=cutoff)
        ).values_list("pk", flat=True)
    )
    requeued = []
    for batch_id in candidates:
        if not loading.try_lock_batch(batch_id):
            continue  # a live worker has it
        loading.unlock_batch(batch_id)
        try:
            import_batch_requeue(batch_id=batch_id)
        except ValidationError:
            continue  # finished in the meantime
        requeued.append(batch_id)
    if requeued:
        logger.warning("requeued import batches left behind: %s", requeued)
    return requeued
