"""Import batches: creating them from uploads and processing them (the one write path)."""

from __future__ import annotations

import hashlib
import logging
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

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
    References,
    RowError,
    cell,
    channel_code,
    is_blank,
    locate_header,
    open_table,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_month,
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
    user: Any = None,
) -> ImportBatch:
    """Keep the uploaded file, record the batch and queue its processing after commit.

    Refuses the same bytes already live for the source, pointing at the earlier batch.
    """
    if kind not in ImportBatch.Kind.values:
        raise ValidationError(f"Okänt format {kind!r}; välj cases eller aggregated.")
    sha, size = _sha256(stream)
    if size == 0:
        raise ValidationError("Filen är tom.")
    if size > settings.IMPORT_MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"Filen är {size / 1e6:.1f} MB; största tillåtna storlek är "
            f"{settings.IMPORT_MAX_UPLOAD_BYTES / 1e6:.1f} MB. Dela upp den per månad."
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


def _live_duplicate(*, source: DataSource, sha: str) -> ImportBatch | None:
    return (
        ImportBatch.objects.filter(source=source, sha256=sha, status__in=["pending", "processing", "loaded"])
        .order_by("created_at")
        .first()
    )


def _duplicate_message(earlier: ImportBatch) -> str:
    return (
        f"Exakt samma fil är redan uppladdad som batch #{earlier.pk} ({earlier.original_name}, "
        f"{timezone.localtime(earlier.created_at):%Y-%m-%d %H:%M}, status: {earlier.get_status_display()}). "
        "Ladda upp en rättad fil om månaden ska ersättas."
    )


def _enqueue(batch_id: int) -> None:
    from imports.tasks import process_batch

    process_batch.delay_on_commit(batch_id)


@transaction.atomic
def import_batch_requeue(*, batch_id: int, user: Any = None) -> ImportBatch:
    """Put a failed or stuck batch back in the queue (admin action). Safe to call twice."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status not in (ImportBatch.Status.FAILED, ImportBatch.Status.PROCESSING, ImportBatch.Status.PENDING):
        raise ValidationError(f"Batch #{batch.pk} har status {batch.get_status_display()} och körs inte om.")
    batch.status = ImportBatch.Status.PENDING
    batch.message = ""
    batch.save(update_fields=["status", "message"])
    audit_record(user=user, action="import.requeue", obj_type="import_batch", obj_id=batch.pk)
    _enqueue(batch.pk)
    return batch


def import_batch_mark_failed(*, batch_id: int, reason: str) -> None:
    ImportBatch.objects.filter(pk=batch_id, status__in=["pending", "processing"]).update(
        status=ImportBatch.Status.FAILED, message=reason[:2000], finished_at=timezone.now()
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


def _process_cases(batch: ImportBatch) -> None:
    limit = settings.IMPORT_STORED_ERRORS
    with batch.file.open("rb") as stream:
        table = open_table(stream, size=batch.size_bytes, max_xlsx_bytes=settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES)
        header = locate_header(
            table, synonyms=CASE_COLUMNS, required=CASE_REQUIRED, renames=batch.source.column_map or None
        )
        validate = CaseRowValidator(
            header=header,
            refs=_references(),
            declared_month=batch.declared_month,
            date_format=batch.source.date_format,
        )
        errors: list[RowError] = []
        error_rows = 0
        rows_read = 0
        months: set[str] = set()
        chunk: list[tuple[Any, ...]] = []
        # Reading is 0–80 % of the progress bar; checks and the atomic load the rest.
        for row_no, cells in table.rows:
            if is_blank(cells):
                continue
            rows_read += 1
            if rows_read > settings.IMPORT_MAX_ROWS:
                raise FileRejected(
                    f"Filen har fler än {settings.IMPORT_MAX_ROWS} rader (gränsen). Dela upp den per månad."
                )
            result = validate(row_no, cells)
            if isinstance(result, list):
                error_rows += 1
                if len(errors) < limit:
                    errors.extend(result)
                continue
            months.add(result[3])
            # With all-or-nothing, once a row has failed nothing will load: stop staging.
            if error_rows and not batch.load_valid_rows:
                continue
            chunk.append(result)
            if len(chunk) >= CHUNK_ROWS:
                loading.staging_write(batch.pk, chunk)
                chunk.clear()
                _heartbeat(batch, progress=table.progress() * 0.8, rows_read=rows_read)
        if not (error_rows and not batch.load_valid_rows):
            loading.staging_write(batch.pk, chunk)
    _heartbeat(batch, progress=0.8, rows_read=rows_read)
    if rows_read == 0:
        raise FileRejected("Filen innehåller en rubrikrad men inga ärenderader.")
    month_dates = sorted(date.fromisoformat(m) for m in months)
    if batch.declared_month and batch.declared_month not in month_dates:
        month_dates.append(batch.declared_month)
    dup_errors, dup_count, dup_rows = loading.staging_duplicate_errors(
        batch_id=batch.pk, source_id=batch.source_id, months=month_dates, limit=max(limit - len(errors), 0)
    )
    errors.extend(dup_errors)
    error_rows += dup_count
    if error_rows and not batch.load_valid_rows:
        _finish_rejected(batch, "", errors, error_rows, rows_read=rows_read)
        return
    if dup_rows:
        loading.staging_drop_rows(batch.pk, dup_rows)
    if rows_read - error_rows <= 0:
        _finish_rejected(batch, "Ingen rad i filen är giltig.", errors, error_rows, rows_read=rows_read)
        return
    _heartbeat(batch, progress=0.9, rows_read=rows_read)
    _load_atomically(batch, month_dates=month_dates, errors=errors, error_rows=error_rows, rows_read=rows_read)


def _load_atomically(
    batch: ImportBatch, *, month_dates: list[date], errors: list[RowError], error_rows: int, rows_read: int
) -> None:
    with transaction.atomic():
        # Lock order: source row first, then the batch row. Imports of one source serialise here.
        DataSource.objects.select_for_update().get(pk=batch.source_id)
        current = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if current.status != ImportBatch.Status.PROCESSING:
            return
        if batch.kind == ImportBatch.Kind.CASES:
            inserted = loading.cases_replace_from_staging(
                batch_id=batch.pk, source_id=batch.source_id, months=month_dates
            )
            monthly_aggregates_refresh(source_id=batch.source_id, months=month_dates)
        else:
            inserted = rows_read - error_rows
        _supersede_earlier(batch, month_dates)
        _store_errors(batch, errors)
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.LOADED,
            progress=100,
            rows_read=rows_read,
            rows_loaded=inserted,
            rows_rejected=error_rows,
            months=[f"{m:%Y-%m}" for m in month_dates],
            message=(
                f"{inserted} rader laddades för {', '.join(f'{m:%Y-%m}' for m in month_dates)}."
                + (f" {error_rows} rader med fel lades åt sidan." if error_rows else "")
            ),
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
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
                old.message + f" Månaderna {', '.join(sorted(old_months & covered))} ersattes av batch #{batch.pk}."
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
        first = "; ".join(f"rad {e.row} {e.column}: {e.reason}" for e in errors[:3])
        message = f"{error_rows} rader har fel; inget laddades. Första felen: {first}."
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
        table = open_table(stream, size=batch.size_bytes, max_xlsx_bytes=settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES)
        header = locate_header(
            table, synonyms=AGGREGATE_COLUMNS, required=AGGREGATE_REQUIRED, renames=batch.source.column_map or None
        )
        for row_no, cells in table.rows:
            if is_blank(cells):
                continue
            rows_read += 1
            row_errors: list[RowError] = []
            month = parse_month(cell(cells, header, "month"))
            if month is None:
                row_errors.append(RowError(row_no, "month", cell(cells, header, "month")[:200], "väntat ÅÅÅÅ-MM"))
            elif batch.declared_month and month != batch.declared_month:
                row_errors.append(
                    RowError(row_no, "month", f"{month:%Y-%m}", f"utanför filens månad {batch.declared_month:%Y-%m}")
                )
            code = cell(cells, header, "grouping").strip()
            grouping_id = refs.groupings.get(code)
            if grouping_id is None:
                row_errors.append(RowError(row_no, "grouping", code[:200], "okänd ärendegrupperingskod"))
            raw_cases = cell(cells, header, "cases").strip()
            n_cases = int(raw_cases) if raw_cases.isdigit() else None
            if n_cases is None:
                row_errors.append(RowError(row_no, "cases", raw_cases[:200], "måste vara ett heltal ≥ 0"))
            raw_channel = cell(cells, header, "channel")
            channel_id = default_channel
            if raw_channel.strip():
                code_ch = channel_code(raw_channel)
                channel_id = refs.channels.get(code_ch) if code_ch else None
                if channel_id is None:
                    row_errors.append(RowError(row_no, "channel", raw_channel[:200], "okänd kanal"))
            raw_handle = cell(cells, header, "handle_seconds").strip()
            handle = 0
            if raw_handle:
                if raw_handle.isdigit():
                    handle = int(raw_handle)
                else:
                    row_errors.append(RowError(row_no, "handle_seconds", raw_handle[:200], "måste vara ett heltal ≥ 0"))
            if not row_errors and month is not None and grouping_id is not None and n_cases is not None:
                assert channel_id is not None
                key = (month, grouping_id, channel_id)
                if key in cells_by_key:
                    row_errors.append(
                        RowError(
                            row_no,
                            "grouping",
                            code,
                            f"samma månad, gruppering och kanal finns redan på rad {cells_by_key[key][2]}",
                        )
                    )
                else:
                    cells_by_key[key] = (n_cases, handle, row_no)
            if row_errors:
                error_rows += 1
                errors.extend(row_errors)
    if rows_read == 0:
        raise FileRejected("Filen innehåller en rubrikrad men inga rader.")
    if error_rows and not batch.load_valid_rows:
        _finish_rejected(batch, "", errors, error_rows, rows_read=rows_read)
        return
    months = sorted({k[0] for k in cells_by_key})
    if not months:
        _finish_rejected(batch, "Ingen rad i filen är giltig.", errors, error_rows, rows_read=rows_read)
        return
    with transaction.atomic():
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
        _load_atomically(batch, month_dates=months, errors=errors, error_rows=error_rows, rows_read=rows_read)


# --- Grouping map and administrations (small files, synchronous) --------------------------


@dataclass
class FileImportResult:
    created: int
    detail: str


def _read_small_table(stream: IO[bytes], synonyms: dict[str, str], required: tuple[str, ...]) -> tuple[Any, Any]:
    data = stream.read()
    import io

    buffer = io.BytesIO(data)
    table = open_table(buffer, size=len(data), max_xlsx_bytes=settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES)
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
            raw_fraction = cell(cells, header, "fraction").strip()
            fraction = parse_decimal(raw_fraction) if raw_fraction else Decimal(1)
            if not grouping:
                errors.append(f"Rad {row_no}, kolumn grouping: kod saknas.")
            if valid_from is None:
                errors.append(
                    f"Rad {row_no}, kolumn valid_from: {cell(cells, header, 'valid_from')!r} "
                    "är inget datum (ÅÅÅÅ-MM-DD)."
                )
            if central is None:
                errors.append(f"Rad {row_no}, kolumn central: {cell(cells, header, 'central')!r}; väntat 1 eller 0.")
            if fraction is None:
                errors.append(f"Rad {row_no}, kolumn fraction: {raw_fraction!r} är inget tal.")
            if grouping and valid_from and central is not None and fraction is not None:
                rows_by_date[valid_from].append(
                    MapRow(
                        row=row_no,
                        grouping=grouping,
                        name=cell(cells, header, "name").strip(),
                        administration=cell(cells, header, "administration").strip(),
                        fraction=fraction,
                        central=central,
                    )
                )
    except FileRejected as exc:
        raise ValidationError(str(exc)) from exc
    if errors:
        raise ValidationError(errors)
    if not rows_by_date:
        raise ValidationError("Filen innehåller inga rader.")
    with transaction.atomic():
        versions = [
            grouping_map_version_create(valid_from=d, rows=rows, user=user) for d, rows in sorted(rows_by_date.items())
        ]
    total = sum(len(r) for r in rows_by_date.values())
    return FileImportResult(
        created=len(versions),
        detail=f"{total} rader i {len(versions)} kartversion(er): "
        + ", ".join(f"{v.valid_from:%Y-%m-%d}" for v in versions),
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
                errors.append(f"Rad {row_no}, kolumn code: {code!r}; koden måste ha 1–20 tecken.")
            elif code in seen:
                errors.append(f"Rad {row_no}, kolumn code: {code!r} finns redan på rad {seen[code]}.")
            seen.setdefault(code, row_no)
            if not name:
                errors.append(f"Rad {row_no}, kolumn name: namn saknas.")
            if raw_from and valid_from is None:
                errors.append(f"Rad {row_no}, kolumn valid_from: {raw_from!r} är inget datum (ÅÅÅÅ-MM-DD).")
            if raw_to and valid_to is None:
                errors.append(f"Rad {row_no}, kolumn valid_to: {raw_to!r} är inget datum (ÅÅÅÅ-MM-DD).")
            if valid_from and valid_to and valid_to < valid_from:
                errors.append(f"Rad {row_no}, kolumn valid_to: {raw_to} ligger före giltig från {raw_from}.")
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
        raise ValidationError("Filen innehåller inga rader.")
    created, updated = administrations_upsert(rows=rows, user=user)
    return FileImportResult(created=created, detail=f"{created} nya och {updated} uppdaterade förvaltningar.")
