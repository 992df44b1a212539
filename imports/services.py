"""Import batches: creating them from uploads and processing them (the one write path)."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import queue
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import formats
from cases.models import Administration, Channel, DataSource, Grouping, MonthlyAggregate
from cases.services import (
    AdministrationRow,
    MapRow,
    administrations_upsert,
    audit_record,
    grouping_map_version_create,
    monthly_aggregates_refresh,
)
from imports import loading
from imports.models import ImportBatch, ImportRowError
from imports.parsing import (
    ADMIN_COLUMNS,
    ADMIN_REQUIRED,
    AGGREGATE_COLUMNS,
    AGGREGATE_REQUIRED,
    CASE_COLUMNS,
    CASE_REQUIRED,
    MAP_COLUMNS,
    MAP_REQUIRED,
    CaseRowValidator,
    FileRejected,
    Header,
    References,
    RowError,
    Skipped,
    XlsxLimits,
    cell,
    channel_code,
    describe_error,
    is_blank,
    locate_header,
    locate_profiled_header,
    open_table,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_month,
    profile_row,
)
from imports.signals import batch_loaded

logger = logging.getLogger(__name__)

# Rows per staging write and progress update: large enough that COPY overhead is
# negligible, small enough that progress moves every second or so.
CHUNK_ROWS = 50_000


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


def _xlsx_limits() -> XlsxLimits:
    return XlsxLimits(
        shared_strings=settings.IMPORT_MAX_XLSX_SHARED_STRINGS,
        shared_strings_bytes=settings.IMPORT_MAX_XLSX_SHARED_STRINGS_BYTES,
    )


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


# A corrected month passes without a question; a change of the month's case count beyond this
# (a one-row file replacing 9,416 cases) needs the uploader's explicit confirmation.
REPLACE_TOLERANCE = Decimal("0.20")


class _NeedsConfirmation(Exception):
    pass


def _replacement_refusal(batch: ImportBatch, month_dates: list[date], *, staged: bool) -> str | None:
    """Why this batch may not replace its months without a confirmation, with the numbers."""
    if batch.replace_confirmed:
        return None
    parts = []
    for month, old, new in loading.replacement_counts(
        batch_id=batch.pk, source_id=batch.source_id, months=month_dates, staged=staged
    ):
        if old and abs(new - old) > REPLACE_TOLERANCE * old:
            change = (Decimal(new - old) * 100 / old).quantize(Decimal("0.1"))
            parts.append(
                _("replaces %(old)s cases in %(source)s %(month)s with %(new)s (%(change)s)")
                % {
                    "old": formats.number(old),
                    "source": batch.source.name,
                    "month": f"{month:%Y-%m}",
                    "new": formats.number(new),
                    "change": ("+" if change > 0 else "") + formats.number(change, 1) + " %",
                }
            )
    others = dict(DataSource.objects.filter(is_reference=False).exclude(pk=batch.source_id).values_list("pk", "name"))
    sampled, found = loading.ids_in_other_sources(batch_id=batch.pk, source_ids=list(others), staged=staged)
    if sampled and found * 2 > sampled:
        parts.append(
            _(
                "%(found)s of %(sampled)s case ids checked already exist in %(others)s: "
                "is the file uploaded under the wrong source (chosen: %(source)s)?"
            )
            % {
                "found": found,
                "sampled": sampled,
                "others": ", ".join(sorted(others.values())),
                "source": batch.source.name,
            }
        )
    if not parts:
        return None
    return _(
        "Nothing was loaded: the file %(reasons)s. Confirm the replacement if it is intended "
        "(the button Confirm replacement, --replace or replace=true)."
    ) % {"reasons": "; ".join(parts)}


def _finish_needs_confirmation(batch: ImportBatch, message: str, reading: Any) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.REJECTED,
        needs_confirmation=True,
        progress=100,
        rows_read=reading.rows_read,
        rows_loaded=0,
        rows_rejected=reading.error_rows,
        message=message[:4000],
        finished_at=timezone.now(),
    )


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
                subject=f"Importen av {batch.original_name} misslyckades",
                body=(
                    f"Batch #{batch.pk} ({batch.original_name}, {batch.source.name}) misslyckades: {reason}\n"
                    f"{link('/admin/imports/importbatch/')}"
                ),
            )


# --- Processing ----------------------------------------------------------------------------


def import_batch_process(*, batch_id: int) -> str:
    """Process one batch: validate, stage, and load atomically. Idempotent.

    A second delivery of the same message finds the batch finished (or locked by the
    worker still on it) and does nothing. A delivery after a worker died finds the
    advisory lock free, clears the dead attempt's staging rows and starts over.
    Returns the batch's final status.
    """
    if not loading.try_lock_batch(batch_id):
        return "locked"
    try:
        claimed = ImportBatch.objects.filter(pk=batch_id, status__in=["pending", "processing"]).update(
            status=ImportBatch.Status.PROCESSING,
            attempts=F("attempts") + 1,
            started_at=timezone.now(),
            heartbeat_at=timezone.now(),
            progress=0,
        )
        batch = ImportBatch.objects.select_related("source").get(pk=batch_id)
        if not claimed:
            return batch.status
        loading.staging_clear(batch_id)
        ImportRowError.objects.filter(batch_id=batch_id).delete()
        try:
            if batch.kind == ImportBatch.Kind.AGGREGATED:
                _process_aggregated(batch)
            else:
                _process_cases(batch)
        except FileRejected as exc:
            _finish_rejected(batch, str(exc), [], 0)
        finally:
            loading.staging_clear(batch_id)
        batch.refresh_from_db(fields=["status"])
        return batch.status
    finally:
        loading.unlock_batch(batch_id)


def _references() -> References:
    return References(
        groupings=dict(Grouping.objects.values_list("code", "id")),
        channels=dict(Channel.objects.values_list("code", "id")),
        administrations=dict(Administration.objects.values_list("code", "id")),
    )


def _heartbeat(batch: ImportBatch, *, progress: float, rows_read: int) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(
        progress=min(int(progress * 100), 99), rows_read=rows_read, heartbeat_at=timezone.now()
    )


@dataclass
class _Reading:
    """What reading a case log found, filled in while its chunks are consumed."""

    rows_read: int = 0
    error_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    months: set[str] = field(default_factory=set)
    # Rows the source's profile skips (header=value → count): counted and named, never lost.
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped.values())

    def month_dates(self, declared: date | None) -> list[date]:
        dates = sorted(date.fromisoformat(m) for m in self.months)
        if declared and declared not in dates:
            dates.append(declared)
        return dates


class _Rejected(Exception):
    """Rows failed and the user asked for all or nothing: roll the transaction back."""


def _validated_chunks(
    batch: ImportBatch, reading: _Reading, refs: References, copy_prefix: str | None = None
) -> Iterator[list[Any]]:
    """Stream the kept file, validate every row, and yield the valid rows in chunks.

    With all-or-nothing, once a row has failed nothing will load, so nothing more is yielded;
    the rest of the file is still read so that every error is reported. Items are tuples,
    or ready COPY lines when `copy_prefix` is given (see CaseRowValidator).
    """
    limit = settings.IMPORT_STORED_ERRORS
    max_rows = settings.IMPORT_MAX_ROWS
    all_or_nothing = not batch.load_valid_rows
    profile = batch.source.read_profile()
    with batch.file.open("rb") as stream:
        table = open_table(
            stream,
            size=batch.size_bytes,
            max_xlsx_bytes=settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES,
            xlsx_limits=_xlsx_limits(),
            sheet=profile.sheet,
        )
        profiled = None
        if not profile.columns:
            header = locate_header(table, synonyms=CASE_COLUMNS, required=CASE_REQUIRED)
        else:
            found = locate_profiled_header(table, profile=profile, synonyms=CASE_COLUMNS, required=CASE_REQUIRED)
            if profile.is_plain:
                # Renamed columns (and a date format) only: the file's own rows go straight to the
                # validator and its fast path, as canonical files do.
                header = Header(row=found.row, index={c: i[0] for c, i in found.sources.items()}, width=found.width)
            else:
                profiled, header = found, found.canonical
        validate_row = CaseRowValidator(
            header=header,
            refs=refs,
            declared_month=batch.declared_month,
            date_format=profile.date_format,
            copy_prefix=copy_prefix,
            cell_separator=table.delimiter or " | ",
            duration_unit=profile.duration_unit,
        )
        validate: Any = validate_row
        if profiled is not None:
            validate = _through_profile(profiled, validate_row, reading, table.delimiter or " | ")
        chunk: list[Any] = []
        months = reading.months
        rows_read = 0
        # The hot loop: about a million iterations a file, so everything it needs is local.
        for row_no, cells in table.rows:
            if is_blank(cells):
                continue
            rows_read += 1
            result = validate(row_no, cells)
            if result is _SKIPPED:
                rows_read -= 1  # a skipped row is neither read as a case nor an error
                continue
            if result.__class__ is list:
                reading.error_rows += 1
                if len(reading.errors) < limit:
                    reading.errors.extend(result)  # type: ignore[arg-type]
                if rows_read > max_rows:
                    break
                continue
            if result.__class__ is tuple:
                months.add(result[3])  # type: ignore[index, arg-type]
            if all_or_nothing and reading.error_rows:
                continue
            chunk.append(result)
            if len(chunk) >= CHUNK_ROWS:
                if rows_read > max_rows:
                    break
                yield chunk
                chunk = []
                reading.rows_read = rows_read
                # Reading is 0–80 % of the progress bar; checks and the atomic load the rest.
                _heartbeat(batch, progress=table.progress() * 0.8, rows_read=rows_read)
        reading.rows_read = rows_read
        months |= validate_row.line_months
        if rows_read > max_rows:
            raise FileRejected(
                _("The file has more than %(limit)s rows (the limit). Split it by month.")
                % {"limit": formats.number(max_rows)}
            )
        if chunk and not (all_or_nothing and reading.error_rows):
            yield chunk
    _heartbeat(batch, progress=0.8, rows_read=rows_read)
    if rows_read == 0:
        if reading.skipped:
            raise FileRejected(
                _("Every row of the file was skipped by the source's profile (%(skipped)s); nothing to load.")
                % {"skipped": ", ".join(f"{k}: {n}" for k, n in sorted(reading.skipped.items()))}
            )
        raise FileRejected(_("The file contains a header row but no case rows."))


class _SkippedRow(list):  # type: ignore[type-arg]
    """An empty error list: the hot loop's list check sends it aside, and it adds no error."""


def _through_profile(profiled: Any, validate: Any, reading: _Reading, separator: str) -> Any:
    """The validator behind the profile: file row → canonical cells → validated row. A skipped
    row is counted under its header and value and not validated."""

    def validate_profiled(row_no: int, cells: list[str]) -> Any:
        shaped = profile_row(profiled, row_no, cells, separator)
        if isinstance(shaped, Skipped):
            key = f"{shaped.header}={shaped.value}"
            reading.skipped[key] = reading.skipped.get(key, 0) + 1
            return _SKIPPED
        if shaped and isinstance(shaped[0], RowError):
            return shaped
        return validate(row_no, shaped)

    return validate_profiled


_SKIPPED = _SkippedRow()


def _in_background(chunks: Iterator[list[Any]]) -> Iterator[list[Any]]:
    """Run the reading in a thread so PostgreSQL ingests one chunk while Python validates the next.

    The thread has its own database connection (Django's are per thread), which it uses
    only for progress updates, in autocommit so pollers see them. It is closed at the end.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=3)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        handoff.put(chunk, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(done)
        except BaseException as exc:  # handed to the consumer, which raises it
            handoff.put(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=produce, name="import-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = handoff.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join(timeout=30)


def _process_cases(batch: ImportBatch) -> None:
    if loading.is_postgres():
        try:
            _process_cases_streaming(batch)
            return
        except IntegrityError:
            # A case id repeats (in the file, or in another month of the source). The careful
            # path below finds every such row and reports it; it is also the SQLite path.
            logger.info("batch %s: duplicate case ids, re-reading through staging", batch.pk)
    _process_cases_staged(batch)


def _process_cases_streaming(batch: ImportBatch) -> None:
    """PostgreSQL: COPY straight into the case table in one transaction, while the file is read.

    The uniqueness of (source, case id) is checked at the end of the transaction (the
    constraint is deferred), after the source's old rows for the covered months are gone.
    """
    reading = _Reading()
    try:
        with transaction.atomic():
            # Imports of one source serialise on its row: two uploads never interleave.
            DataSource.objects.select_for_update().get(pk=batch.source_id)
            refs = _references()
            loading.references_lock(refs)
            loading.cases_copy(
                batch_id=batch.pk,
                source_id=batch.source_id,
                chunks=_in_background(
                    _validated_chunks(
                        batch, reading, refs, copy_prefix=loading.cases_copy_prefix(batch.source_id, batch.pk)
                    )
                ),
            )
            if reading.error_rows and not batch.load_valid_rows:
                raise _Rejected
            month_dates = reading.month_dates(batch.declared_month)
            if reading.rows_read - reading.error_rows <= 0:
                raise _Rejected
            _heartbeat(batch, progress=0.85, rows_read=reading.rows_read)
            refusal = _replacement_refusal(batch, month_dates, staged=False)
            if refusal:
                raise _NeedsConfirmation(refusal)  # rolls the copied rows back
            inserted = loading.cases_replace_copied(batch_id=batch.pk, source_id=batch.source_id, months=month_dates)
            monthly_aggregates_refresh(source_id=batch.source_id, months=month_dates)
            _mark_loaded(batch, month_dates=month_dates, reading=reading, inserted=inserted)
    except _NeedsConfirmation as exc:
        _finish_needs_confirmation(batch, str(exc), reading)
    except _Rejected:
        all_or_nothing_failed = reading.error_rows and not batch.load_valid_rows
        message = "" if all_or_nothing_failed else _("No row of the file is valid.")
        _finish_rejected(batch, message, reading.errors, reading.error_rows, rows_read=reading.rows_read)


def _process_cases_staged(batch: ImportBatch) -> None:
    """Validated rows into the staging table, duplicate checks in SQL, then the atomic replace."""
    reading = _Reading()
    loading.staging_clear(batch.pk)
    for chunk in _validated_chunks(batch, reading, _references()):
        loading.staging_write(batch.pk, chunk)
    month_dates = reading.month_dates(batch.declared_month)
    dup_errors, dup_count, dup_rows = loading.staging_duplicate_errors(
        batch_id=batch.pk,
        source_id=batch.source_id,
        months=month_dates,
        limit=max(settings.IMPORT_STORED_ERRORS - len(reading.errors), 0),
    )
    reading.errors.extend(dup_errors)
    reading.error_rows += dup_count
    if reading.error_rows and not batch.load_valid_rows:
        _finish_rejected(batch, "", reading.errors, reading.error_rows, rows_read=reading.rows_read)
        return
    if dup_rows:
        loading.staging_drop_rows(batch.pk, dup_rows)
    if reading.rows_read - reading.error_rows <= 0:
        _finish_rejected(
            batch, _("No row of the file is valid."), reading.errors, reading.error_rows, rows_read=reading.rows_read
        )
        return
    _heartbeat(batch, progress=0.9, rows_read=reading.rows_read)
    refusal = _replacement_refusal(batch, month_dates, staged=True)
    if refusal:
        _finish_needs_confirmation(batch, refusal, reading)
        return
    with transaction.atomic():
        # Lock order as on the streaming path: the source row first; imports of one source
        # serialise here. _mark_loaded refuses if the batch is no longer processing.
        DataSource.objects.select_for_update().get(pk=batch.source_id)
        loading.staging_check_references(batch.pk)
        inserted = loading.cases_replace_from_staging(batch_id=batch.pk, source_id=batch.source_id, months=month_dates)
        monthly_aggregates_refresh(source_id=batch.source_id, months=month_dates)
        _mark_loaded(batch, month_dates=month_dates, reading=reading, inserted=inserted)


def _mark_loaded(batch: ImportBatch, *, month_dates: list[date], reading: _Reading, inserted: int) -> None:
    """Inside the loading transaction: record the outcome and announce the months after commit."""
    _supersede_earlier(batch, month_dates)
    _store_errors(batch, reading.errors)
    months_text = ", ".join(f"{m:%Y-%m}" for m in month_dates)
    set_aside = (
        " " + _("%(rows)s rows with errors were set aside.") % {"rows": reading.error_rows}
        if reading.error_rows
        else ""
    )
    if reading.skipped:
        set_aside += " " + _("%(rows)s rows were skipped by the source's profile (%(skipped)s).") % {
            "rows": reading.rows_skipped,
            "skipped": ", ".join(f"{k}: {n}" for k, n in sorted(reading.skipped.items())),
        }
    updated = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PROCESSING).update(
        status=ImportBatch.Status.LOADED,
        progress=100,
        rows_read=reading.rows_read,
        rows_loaded=inserted,
        rows_rejected=reading.error_rows,
        rows_skipped=reading.rows_skipped,
        skipped=reading.skipped,
        months=[f"{m:%Y-%m}" for m in month_dates],
        message=_("%(rows)s rows were loaded for %(months)s.") % {"rows": inserted, "months": months_text} + set_aside,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    if not updated:
        raise ValidationError(
            _("Batch #%(batch)s is no longer being processed; the load is stopped.") % {"batch": batch.pk}
        )
    audit_record(
        user=batch.created_by,
        action="import.loaded",
        obj_type="import_batch",
        obj_id=batch.pk,
        after={"rows": inserted, "months": [f"{m:%Y-%m}" for m in month_dates]},
    )
    loaded = ImportBatch.objects.get(pk=batch.pk)
    transaction.on_commit(lambda: batch_loaded.send(sender=ImportBatch, batch=loaded, months=month_dates))


def _supersede_earlier(batch: ImportBatch, month_dates: list[date]) -> None:
    """Earlier loaded batches of the source whose months this batch now holds are kept for the record."""
    covered = {f"{m:%Y-%m}" for m in month_dates}
    earlier = ImportBatch.objects.filter(source_id=batch.source_id, kind=batch.kind, status="loaded").exclude(
        pk=batch.pk
    )
    for old in earlier:
        old_months = set(old.months or [])
        if old_months and old_months <= covered:
            old.status = ImportBatch.Status.SUPERSEDED
            old.superseded_by = batch
            old.save(update_fields=["status", "superseded_by"])
        elif old_months & covered:
            old.message = (
                old.message
                + " "
                + _("The months %(months)s were replaced by batch #%(batch)s.")
                % {"months": ", ".join(sorted(old_months & covered)), "batch": batch.pk}
            ).strip()
            old.save(update_fields=["message"])


def _store_errors(batch: ImportBatch, errors: list[RowError]) -> None:
    ImportRowError.objects.bulk_create(
        [
            ImportRowError(
                batch_id=batch.pk, row_number=e.row, column=e.column[:100], value=e.value[:200], reason=e.reason[:500]
            )
            for e in errors[: settings.IMPORT_STORED_ERRORS]
        ],
        batch_size=2000,
    )


def _finish_rejected(
    batch: ImportBatch, message: str, errors: list[RowError], error_rows: int, rows_read: int = 0
) -> None:
    if not message:
        first = "; ".join(describe_error(e.row, e.column, e.value, e.reason) for e in errors[:3])
        rows = _("1 row has errors") if error_rows == 1 else _("%(rows)s rows have errors") % {"rows": error_rows}
        message = _("%(rows)s; nothing was loaded. First errors: %(first)s.") % {"rows": rows, "first": first}
    with transaction.atomic():
        _store_errors(batch, errors)
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.REJECTED,
            progress=100,
            rows_read=rows_read,
            rows_loaded=0,
            rows_rejected=error_rows,
            message=message[:4000],
            finished_at=timezone.now(),
        )


# --- Aggregated reference statistics -------------------------------------------------------


def _process_aggregated(batch: ImportBatch) -> None:
    """Reference statistics go straight into the monthly aggregates of their source."""
    refs = _references()
    cells_by_key: dict[tuple[date, int, int], tuple[int, int, int]] = {}
    errors: list[RowError] = []
    error_rows = 0
    rows_read = 0
    default_channel = refs.channels.get("unspecified")
    with batch.file.open("rb") as stream:
        table = open_table(
            stream,
            size=batch.size_bytes,
            max_xlsx_bytes=settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES,
            xlsx_limits=_xlsx_limits(),
        )
        # Aggregated statistics use the profile's single renamed columns (aggregate columns by name).
        renames = {h[0]: c for c, h in batch.source.read_profile().columns.items() if len(h) == 1}
        header = locate_header(table, synonyms=AGGREGATE_COLUMNS, required=AGGREGATE_REQUIRED, renames=renames or None)
        for row_no, cells in table.rows:
            if is_blank(cells):
                continue
            rows_read += 1
            row_errors: list[RowError] = []
            month = parse_month(cell(cells, header, "month"))
            if month is None:
                row_errors.append(RowError(row_no, "month", cell(cells, header, "month")[:200], _("expected YYYY-MM")))
            elif batch.declared_month and month != batch.declared_month:
                row_errors.append(
                    RowError(
                        row_no,
                        "month",
                        f"{month:%Y-%m}",
                        _("outside the file's month %(month)s") % {"month": f"{batch.declared_month:%Y-%m}"},
                    )
                )
            code = cell(cells, header, "grouping").strip()
            grouping_id = refs.groupings.get(code)
            if grouping_id is None:
                row_errors.append(RowError(row_no, "grouping", code[:200], _("unknown grouping code")))
            raw_cases = cell(cells, header, "cases").strip()
            n_cases = int(raw_cases) if raw_cases.isdigit() else None
            if n_cases is None:
                row_errors.append(RowError(row_no, "cases", raw_cases[:200], _("must be a whole number ≥ 0")))
            raw_channel = cell(cells, header, "channel")
            channel_id = default_channel
            if raw_channel.strip():
                code_ch = channel_code(raw_channel)
                channel_id = refs.channels.get(code_ch) if code_ch else None
                if channel_id is None:
                    row_errors.append(RowError(row_no, "channel", raw_channel[:200], _("unknown channel")))
            raw_handle = cell(cells, header, "handle_seconds").strip()
            handle = 0
            if raw_handle:
                if raw_handle.isdigit():
                    handle = int(raw_handle)
                else:
                    row_errors.append(
                        RowError(row_no, "handle_seconds", raw_handle[:200], _("must be a whole number ≥ 0"))
                    )
            if not row_errors and month is not None and grouping_id is not None and n_cases is not None:
                assert channel_id is not None
                key = (month, grouping_id, channel_id)
                if key in cells_by_key:
                    row_errors.append(
                        RowError(
                            row_no,
                            "grouping",
                            code,
                            _("the same month, grouping and channel are already on row %(row)s")
                            % {"row": cells_by_key[key][2]},
                        )
                    )
                else:
                    cells_by_key[key] = (n_cases, handle, row_no)
            if row_errors:
                error_rows += 1
                errors.extend(row_errors)
    if rows_read == 0:
        raise FileRejected(_("The file contains a header row but no rows."))
    if error_rows and not batch.load_valid_rows:
        _finish_rejected(batch, "", errors, error_rows, rows_read=rows_read)
        return
    months = sorted({k[0] for k in cells_by_key})
    if not months:
        _finish_rejected(batch, _("No row of the file is valid."), errors, error_rows, rows_read=rows_read)
        return
    with transaction.atomic():
        # Same lock order as case logs: the source row first, so loads of one source serialise.
        DataSource.objects.select_for_update().get(pk=batch.source_id)
        MonthlyAggregate.objects.filter(source_id=batch.source_id, month__in=months).delete()
        MonthlyAggregate.objects.bulk_create(
            [
                MonthlyAggregate(
                    source_id=batch.source_id,
                    month=m,
                    grouping_id=g,
                    channel_id=c,
                    cases=n,
                    handle_seconds=h,
                    handle_known=n if h else 0,
                )
                for (m, g, c), (n, h, _row) in cells_by_key.items()
            ],
            batch_size=2000,
        )
        _mark_loaded(
            batch,
            month_dates=months,
            reading=_Reading(rows_read=rows_read, error_rows=error_rows, errors=errors),
            inserted=len(cells_by_key),
        )


# --- Grouping map and administrations (small files, synchronous) --------------------------


@dataclass
class FileImportResult:
    created: int
    detail: str


def _read_small_table(stream: IO[bytes], synonyms: dict[str, str], required: tuple[str, ...]) -> tuple[Any, Any]:
    data = stream.read()
    table = open_table(
        io.BytesIO(data),
        size=len(data),
        max_xlsx_bytes=settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES,
        xlsx_limits=_xlsx_limits(),
    )
    header = locate_header(table, synonyms=synonyms, required=required)
    return table, header


def grouping_map_import(*, stream: IO[bytes], user: Any = None) -> FileImportResult:
    """Load a grouping map file (DESIGN.md §6): one map version per distinct valid_from."""
    try:
        table, header = _read_small_table(stream, MAP_COLUMNS, MAP_REQUIRED)
        rows_by_date: dict[date, list[MapRow]] = defaultdict(list)
        errors: list[str] = []
        for row_no, cells in table.rows:
            if is_blank(cells):
                continue
            grouping = cell(cells, header, "grouping").strip()
            valid_from = parse_date(cell(cells, header, "valid_from"))
            central = parse_bool(cell(cells, header, "central"))
            ended = parse_bool(cell(cells, header, "ended"))
            raw_fraction = cell(cells, header, "fraction").strip()
            fraction = parse_decimal(raw_fraction) if raw_fraction else Decimal(1)
            if not grouping:
                errors.append(_("Row %(row)s, column grouping: code missing.") % {"row": row_no})
            if valid_from is None:
                errors.append(
                    _("Row %(row)s, column %(column)s: %(value)r is not a date (YYYY-MM-DD).")
                    % {"row": row_no, "column": "valid_from", "value": cell(cells, header, "valid_from")}
                )
            if central is None:
                errors.append(
                    _("Row %(row)s, column %(column)s: %(value)r; expected 1 or 0.")
                    % {"row": row_no, "column": "central", "value": cell(cells, header, "central")}
                )
            if ended is None:
                errors.append(
                    _("Row %(row)s, column %(column)s: %(value)r; expected 1 or 0.")
                    % {"row": row_no, "column": "ended", "value": cell(cells, header, "ended")}
                )
            if fraction is None:
                errors.append(
                    _("Row %(row)s, column fraction: %(value)r is not a number.")
                    % {"row": row_no, "value": raw_fraction}
                )
            if grouping and valid_from and central is not None and ended is not None and fraction is not None:
                rows_by_date[valid_from].append(
                    MapRow(
                        row=row_no,
                        grouping=grouping,
                        name=cell(cells, header, "name").strip(),
                        administration=cell(cells, header, "administration").strip(),
                        fraction=fraction,
                        central=central,
                        ended=ended,
                    )
                )
    except FileRejected as exc:
        raise ValidationError(str(exc)) from exc
    if errors:
        raise ValidationError(errors)
    if not rows_by_date:
        raise ValidationError(_("The file contains no rows."))
    with transaction.atomic():
        changed = [
            v
            for d, rows in sorted(rows_by_date.items())
            if (v := grouping_map_version_create(valid_from=d, rows=rows, user=user)) is not None
        ]
    total = sum(len(r) for r in rows_by_date.values())
    dates = ", ".join(f"{d:%Y-%m-%d}" for d in sorted(rows_by_date))
    return FileImportResult(
        created=len(changed),
        detail=_(
            "%(rows)s rows with valid-from %(dates)s; changes per grouping take effect from their date "
            "(unchanged owners make no change)."
        )
        % {"rows": total, "dates": dates},
    )


def administrations_import(*, stream: IO[bytes], user: Any = None) -> FileImportResult:
    try:
        table, header = _read_small_table(stream, ADMIN_COLUMNS, ADMIN_REQUIRED)
        rows: list[AdministrationRow] = []
        errors: list[str] = []
        seen: dict[str, int] = {}
        for row_no, cells in table.rows:
            if is_blank(cells):
                continue
            code = cell(cells, header, "code").strip()
            name = cell(cells, header, "name").strip()
            raw_from, raw_to = cell(cells, header, "valid_from").strip(), cell(cells, header, "valid_to").strip()
            valid_from = parse_date(raw_from) if raw_from else None
            valid_to = parse_date(raw_to) if raw_to else None
            if not code or len(code) > 20:
                errors.append(
                    _("Row %(row)s, column code: %(value)r; the code must have 1–20 characters.")
                    % {"row": row_no, "value": code}
                )
            elif code in seen:
                errors.append(
                    _("Row %(row)s, column code: %(value)r is already on row %(other)s.")
                    % {"row": row_no, "value": code, "other": seen[code]}
                )
            seen.setdefault(code, row_no)
            if not name:
                errors.append(_("Row %(row)s, column name: name missing.") % {"row": row_no})
            if raw_from and valid_from is None:
                errors.append(
                    _("Row %(row)s, column %(column)s: %(value)r is not a date (YYYY-MM-DD).")
                    % {"row": row_no, "column": "valid_from", "value": raw_from}
                )
            if raw_to and valid_to is None:
                errors.append(
                    _("Row %(row)s, column %(column)s: %(value)r is not a date (YYYY-MM-DD).")
                    % {"row": row_no, "column": "valid_to", "value": raw_to}
                )
            if valid_from and valid_to and valid_to < valid_from:
                errors.append(
                    _("Row %(row)s, column valid_to: %(value)s lies before valid from %(start)s.")
                    % {"row": row_no, "value": raw_to, "start": raw_from}
                )
            rows.append(
                AdministrationRow(
                    code=code,
                    name=name,
                    cost_centre=cell(cells, header, "cost_centre").strip(),
                    valid_from=valid_from,
                    valid_to=valid_to,
                )
            )
    except FileRejected as exc:
        raise ValidationError(str(exc)) from exc
    if errors:
        raise ValidationError(errors)
    if not rows:
        raise ValidationError(_("The file contains no rows."))
    created, updated = administrations_upsert(rows=rows, user=user)
    return FileImportResult(
        created=created,
        detail=_("%(created)s new and %(updated)s updated administrations.") % {"created": created, "updated": updated},
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


# --- Trying a profile on a sample --------------------------------------------------------------


@dataclass
class ProfilePreview:
    """The first rows of a sample file as a profile would read them, and every problem found."""

    columns: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    file_error: str = ""


PREVIEW_ROWS = 20


def source_profile_preview(*, profile: Any, stream: IO[bytes], size: int) -> ProfilePreview:
    """Read the first PREVIEW_ROWS rows of a sample through `profile` (its JSON form) without
    saving anything: the canonical values each row becomes, and every row or file problem, with
    the same messages an upload would give."""
    from cases.source_profiles import ProfileError, profile_from_json

    preview = ProfilePreview()
    try:
        parsed = profile_from_json(profile)
    except ProfileError as exc:
        preview.file_error = str(exc)
        return preview
    refs = _references()
    reading = _Reading()
    try:
        table = open_table(
            stream,
            size=size,
            max_xlsx_bytes=settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES,
            xlsx_limits=_xlsx_limits(),
            sheet=parsed.sheet,
        )
        found = locate_profiled_header(table, profile=parsed, synonyms=CASE_COLUMNS, required=CASE_REQUIRED)
        validate_row = CaseRowValidator(
            header=found.canonical,
            refs=refs,
            date_format=parsed.date_format,
            duration_unit=parsed.duration_unit,
            cell_separator=table.delimiter or " | ",
        )
        validate = _through_profile(found, validate_row, reading, table.delimiter or " | ")
        preview.columns = list(found.order)
        for row_no, cells in table.rows:
            if is_blank(cells):
                continue
            shaped = profile_row(found, row_no, cells, table.delimiter or " | ")
            result = validate(row_no, cells)
            if result is _SKIPPED:
                continue
            if isinstance(result, list):
                preview.errors.extend(describe_error(e.row, e.column, e.value, e.reason) for e in result)
            if isinstance(shaped, list) and shaped and not isinstance(shaped[0], RowError):
                preview.rows.append((row_no, shaped))
            if len(preview.rows) >= PREVIEW_ROWS:
                break
    except FileRejected as exc:
        preview.file_error = str(exc)
    preview.skipped = reading.skipped
    return preview
