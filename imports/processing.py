"""Processing a case log: rows validated in chunks while the file streams, then loaded atomically
(COPY straight into a temporary table, or through the staging table), or rejected with reasons."""

from __future__ import annotations

import heapq
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases import formats
from cases.models import DataSource
from cases.services import monthly_aggregates_refresh, monthly_aggregates_write
from cases.source_profiles import ProfileError
from imports import loading
from imports.aggregated import process_aggregated
from imports.cells import MonthCells
from imports.models import ImportBatch, ImportRowError
from imports.outcomes import (
    NeedsConfirmation,
    archived_months_refusal,
    finish_needs_confirmation,
    finish_rejected,
    mark_loaded,
    replacement_refusal,
)
from imports.parsing import (
    CASE_COLUMNS,
    CASE_REQUIRED,
    CaseRowValidator,
    FileRejected,
    Header,
    References,
    RowError,
    Skipped,
    is_blank,
    locate_header,
    locate_profiled_header,
    open_table,
    profile_row,
)
from imports.parsing.binary import copy_binary
from imports.parsing.blocks import CsvBlocks, header_end, row_batches
from imports.parsing.columnar import Checked, ColumnBatch, ColumnChecker, as_tuples
from imports.parsing.files import Table
from imports.reading import Reading, csv_limits, heartbeat, load_references, xlsx_limits
from imports.services import import_batch_mark_failed

logger = logging.getLogger(__name__)

# Rows per staging write and progress update: large enough that COPY overhead is
# negligible, small enough that progress moves every second or so.
CHUNK_ROWS = 50_000
HEARTBEAT_SECONDS = 0.5


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
    language = ImportBatch.objects.filter(pk=batch_id).values_list("language", flat=True).first()
    try:
        with translation.override(language or settings.LANGUAGE_CODE):  # the uploader's language
            return _process(batch_id)
    finally:
        loading.unlock_batch(batch_id)


def _process(batch_id: int) -> str:
    """Claim the batch, read and load it; the caller holds its advisory lock."""
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
            process_aggregated(batch)
        else:
            _process_cases(batch)
    except FileRejected as exc:
        finish_rejected(batch, str(exc), [], 0)
    except ProfileError as exc:  # a profile stored before today's checks existed
        finish_rejected(batch, _("The source's profile cannot be used: %(reason)s") % {"reason": exc}, [], 0)
    except (OperationalError, InterfaceError):
        raise  # transient: the task retries it, and the sweep requeues a batch whose worker died
    except Exception as exc:
        # An input no check foresaw, or a bug: the batch fails with the reason and is never left
        # "processing", and the caller (an upload in the embedded mode) gets no 500.
        logger.exception("import batch %s failed", batch_id)
        import_batch_mark_failed(
            batch_id=batch_id,
            reason=_("Technical error: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"[:500]},
        )
    finally:
        loading.staging_clear(batch_id)
    batch.refresh_from_db(fields=["status"])
    return batch.status


class _Chunk(list):
    """Validated rows: a COPY text `payload` of the rows the column check passed (streaming) and
    the row validator's tuples, and every month ('YYYY-MM-01') seen up to and including them:
    the loader makes a month's partition before the first row of the month goes in."""

    months: frozenset[str] = frozenset()
    payload: memoryview | None = None
    payload_rows: int = 0


class _Rejected(Exception):
    """Rows failed and the user asked for all or nothing: roll the transaction back."""


def _validated_chunks(
    batch: ImportBatch,
    reading: Reading,
    refs: References,
    encode: Callable[[Checked], memoryview] | None = None,
    tally: MonthCells | None = None,
) -> Iterator[list[Any]]:
    """Stream the kept file in column batches, check them column by column, and yield the valid
    rows in chunks.

    Rows the column check cannot pass go to the row validator, which words their errors (and
    passes the valid ones among them). With all-or-nothing, once a row has failed nothing will
    load, so nothing more is yielded; the rest of the file is still read so that every error is
    reported. With `encode` the column-checked rows come as one binary COPY `payload` a chunk;
    without it (the staging table) every row is a tuple. `tally` sums the aggregate cells of
    every row handed on.
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
            xlsx_limits=xlsx_limits(),
            csv_limits=csv_limits(),
            sheet=profile.sheet,
        )
        profiled = None
        if not profile.columns:
            header = locate_header(table, synonyms=CASE_COLUMNS, required=CASE_REQUIRED)
        else:
            found = locate_profiled_header(table, profile=profile, synonyms=CASE_COLUMNS, required=CASE_REQUIRED)
            if profile.is_plain:
                # Renamed columns (and a date format) only: the file's own cells are the canonical ones.
                header = Header(row=found.row, index={c: i[0] for c, i in found.sources.items()}, width=found.width)
            else:
                profiled, header = found, found.canonical
        validate_row = CaseRowValidator(
            header=header,
            refs=refs,
            declared_month=batch.declared_month,
            date_format=profile.date_format,
            cell_separator=table.delimiter or " | ",
            duration_unit=profile.duration_unit,
        )
        validate: Any = validate_row
        if profiled is not None:
            validate = through_profile(profiled, validate_row, reading, table.delimiter or " | ")
        checker = ColumnChecker(
            header=profiled or header,
            refs=refs,
            declared_month=batch.declared_month,
            date_format=profile.date_format,
            duration_unit=profile.duration_unit,
        )
        width = profiled.width if profiled is not None else header.width
        batches, progress = _column_batches(stream, table, row=header.row, width=width, size=batch.size_bytes)
        months = reading.months
        rows_read = 0
        beat = time.monotonic()
        for column_batch in batches:
            checked = checker.check(column_batch)
            for key, count in checked.skipped.items():
                reading.skipped[key] = reading.skipped.get(key, 0) + count
            rows_read += checked.valid
            for month, count in checked.months.items():
                months[month] = months.get(month, 0) + count
            chunk = _Chunk()
            # Only the rows the column check could not pass are read one at a time, in file order.
            for row_no, cells in heapq.merge(column_batch.rows(checked.to_row_validator), column_batch.stray):
                if is_blank(cells):
                    continue
                rows_read += 1
                result = validate(row_no, cells)
                if result is SKIPPED:
                    rows_read -= 1  # a skipped row is neither read as a case nor an error
                elif result.__class__ is list:
                    reading.error_rows += 1
                    if len(reading.errors) < limit:
                        reading.errors.extend(result)
                else:
                    months[result[3]] = months.get(result[3], 0) + 1
                    chunk.append(result)
            reading.rows_read = rows_read
            if rows_read > max_rows:
                break
            if not (all_or_nothing and reading.error_rows) and (chunk or checked.valid):
                if tally is not None:
                    tally.add_rows(chunk)
                    tally.add_columns(checked.out)
                if encode is not None:
                    chunk.payload, chunk.payload_rows = encode(checked), checked.valid
                else:
                    chunk.extend(as_tuples(checked))
                chunk.months = frozenset(months)
                yield chunk
            # Reading is 0–80 % of the progress bar; checks and the atomic load the rest. Twice a
            # second is often enough for a person and costs the reader little.
            if time.monotonic() - beat >= HEARTBEAT_SECONDS:
                heartbeat(batch, progress=progress() * 0.8, rows_read=rows_read)
                beat = time.monotonic()
        reading.rows_read = rows_read
        if rows_read > max_rows:
            raise FileRejected(
                _("The file has more than %(limit)s rows (the limit). Split it by month.")
                % {"limit": formats.number(max_rows)}
            )
    heartbeat(batch, progress=0.8, rows_read=rows_read)
    if rows_read == 0:
        if reading.skipped:
            raise FileRejected(
                _("Every row of the file was skipped by the source's profile (%(skipped)s); nothing to load.")
                % {"skipped": ", ".join(f"{k}: {n}" for k, n in sorted(reading.skipped.items()))}
            )
        raise FileRejected(_("The file contains a header row but no case rows."))


def _column_batches(
    stream: Any, table: Table, *, row: int, width: int, size: int
) -> tuple[Iterator[ColumnBatch], Callable[[], float]]:
    """The rows after the header as column batches, and the share of the file read so far: CSV
    in blocks split by pyarrow where the lines are plain, otherwise (and XLSX) the reader's rows."""
    if table.kind == "csv":
        start = header_end(stream, row)
        if start is not None:
            blocks = CsvBlocks(
                stream, table, start=start, first_row=row + 1, width=width, size=size, limits=csv_limits()
            )
            return iter(blocks), blocks.progress
    return row_batches(table.rows, width), table.progress


class _SkippedRow(list):
    """An empty error list: the hot loop's list check sends it aside, and it adds no error."""


def through_profile(profiled: Any, validate: Any, reading: Reading, separator: str) -> Any:
    """The validator behind the profile: file row → canonical cells → validated row. A skipped
    row is counted under its header and value and not validated."""

    def validate_profiled(row_no: int, cells: list[str]) -> Any:
        shaped = profile_row(profiled, row_no, cells, separator)
        if isinstance(shaped, Skipped):
            key = f"{shaped.header}={shaped.value}"
            reading.skipped[key] = reading.skipped.get(key, 0) + 1
            return SKIPPED
        if shaped and isinstance(shaped[0], RowError):
            return shaped
        return validate(row_no, shaped)

    return validate_profiled


SKIPPED = _SkippedRow()


def _in_background(chunks: Iterator[list[Any]]) -> Iterator[list[Any]]:
    """Run the reading in a thread so PostgreSQL ingests one chunk while Python validates the next.

    The thread has its own database connection (Django's are per thread), which it uses
    only for progress updates, in autocommit so pollers see them. It is closed at the end.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=3)
    stop = threading.Event()
    done = object()
    language = translation.get_language()  # a thread starts without the caller's active language

    def produce() -> None:
        try:
            translation.activate(language or settings.LANGUAGE_CODE)  # row reasons in the uploader's
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
            translation.deactivate()
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
    reading = Reading()
    cells = MonthCells()

    def refuse_archived(months: list[date]) -> None:
        refusal = archived_months_refusal(months)
        if refusal:
            raise FileRejected(refusal)  # before a row of the month is touched; rolls all back

    try:
        with transaction.atomic():
            # Imports of one source serialise on its row: two uploads never interleave.
            DataSource.objects.select_for_update().get(pk=batch.source_id)
            refs = load_references()
            loading.references_lock(refs)

            def encode(checked: Checked) -> memoryview:
                return copy_binary(checked.out, source_id=batch.source_id, batch_id=batch.pk)

            copied, old = loading.cases_copy(
                batch_id=batch.pk,
                source_id=batch.source_id,
                chunks=_in_background(_validated_chunks(batch, reading, refs, encode=encode, tally=cells)),
                before_months=refuse_archived,
            )
            if reading.error_rows and not batch.load_valid_rows:
                raise _Rejected
            month_dates = reading.month_dates(batch.declared_month)
            if reading.rows_read - reading.error_rows <= 0:
                raise _Rejected
            heartbeat(batch, progress=0.85, rows_read=reading.rows_read)
            # The months the rows brought were checked, and lost their old rows, before their first
            # new row; a declared month without a row is done here. A refusal rolls all back.
            rowless = sorted(set(month_dates) - set(old))
            refuse_archived(rowless)
            old.update(loading.cases_delete_months(source_id=batch.source_id, months=rowless))
            new = reading.month_counts()
            counts = [(m, old.get(m, 0), new.get(m, 0)) for m in month_dates]
            refusal = replacement_refusal(batch, counts, staged=False)
            if refusal:
                raise NeedsConfirmation(refusal)  # rolls the copied rows and the delete back
            loading.cases_check_unique(source_id=batch.source_id, months=month_dates)
            monthly_aggregates_write(source_id=batch.source_id, months=month_dates, cells=cells.cells.items())
            mark_loaded(
                batch, month_dates=month_dates, reading=reading, inserted=copied, month_counts=_new_counts(counts)
            )
    except NeedsConfirmation as exc:
        finish_needs_confirmation(batch, str(exc), reading)
    except _Rejected:
        all_or_nothing_failed = reading.error_rows and not batch.load_valid_rows
        message = "" if all_or_nothing_failed else _("No row of the file is valid.")
        finish_rejected(batch, message, reading.errors, reading.error_rows, rows_read=reading.rows_read)


def _new_counts(counts: list[tuple[date, int, int]]) -> dict[date, int]:
    """The cases this batch brings per month, from the replacement check's (month, old, new)."""
    return {month: new for month, _old, new in counts}


def _process_cases_staged(batch: ImportBatch) -> None:
    """Validated rows into the staging table, duplicate checks in SQL, then the atomic replace."""
    reading = Reading()
    loading.staging_clear(batch.pk)
    for chunk in _validated_chunks(batch, reading, load_references()):
        loading.staging_write(batch.pk, chunk)
    month_dates = reading.month_dates(batch.declared_month)
    archived = archived_months_refusal(month_dates)
    if archived:
        finish_rejected(batch, archived, [], 0, rows_read=reading.rows_read)
        return
    dup_errors, dup_count, dup_rows = loading.staging_duplicate_errors(
        batch_id=batch.pk,
        source_id=batch.source_id,
        months=month_dates,
        limit=max(settings.IMPORT_STORED_ERRORS - len(reading.errors), 0),
    )
    reading.errors.extend(dup_errors)
    reading.error_rows += dup_count
    if reading.error_rows and not batch.load_valid_rows:
        finish_rejected(batch, "", reading.errors, reading.error_rows, rows_read=reading.rows_read)
        return
    if dup_rows:
        loading.staging_drop_rows(batch.pk, dup_rows)
    if reading.rows_read - reading.error_rows <= 0:
        finish_rejected(
            batch, _("No row of the file is valid."), reading.errors, reading.error_rows, rows_read=reading.rows_read
        )
        return
    heartbeat(batch, progress=0.9, rows_read=reading.rows_read)
    counts = loading.staged_replacement_counts(batch_id=batch.pk, source_id=batch.source_id, months=month_dates)
    refusal = replacement_refusal(batch, counts, staged=True)
    if refusal:
        finish_needs_confirmation(batch, refusal, reading)
        return
    with transaction.atomic():
        # Lock order as on the streaming path: the source row first; imports of one source
        # serialise here. mark_loaded refuses if the batch is no longer processing.
        DataSource.objects.select_for_update().get(pk=batch.source_id)
        loading.staging_check_references(batch.pk)
        inserted = loading.cases_replace_from_staging(batch_id=batch.pk, source_id=batch.source_id, months=month_dates)
        # The duplicate checks above ran before the source was locked; this one holds to commit.
        loading.cases_check_unique(source_id=batch.source_id, months=month_dates)
        monthly_aggregates_refresh(source_id=batch.source_id, months=month_dates)
        mark_loaded(
            batch, month_dates=month_dates, reading=reading, inserted=inserted, month_counts=_new_counts(counts)
        )
