"""What a batch's processing found and how it ends: loaded (months replaced, earlier batches
superseded), rejected with its row errors, or waiting for a confirmed replacement."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import formats
from cases.models import DataSource
from cases.services import audit_record
from imports.models import ImportBatch, ImportRowError
from imports.parsing import (
    RowError,
    describe_error,
)
from imports.reading import Reading
from imports.signals import batch_loaded
from imports.source_check import ids_in_other_sources

logger = logging.getLogger(__name__)

# A corrected month passes without a question; a change of the month's case count beyond this
# (a one-row file replacing 9,416 cases) needs the uploader's explicit confirmation. The change is
# measured against the month's *confirmed* count (its first load, or its last load confirmed with
# --replace or the button), so a month cannot be shrunk in unconfirmed steps of 19 % each.
REPLACE_TOLERANCE = Decimal("0.20")
# Small months: a change of at most this many cases never needs a confirmation (12 → 2 cases is
# −83 % but a correction worth a few hundred kronor of a year's cost); above it the 20 % rule holds.
REPLACE_FLOOR = 10


class NeedsConfirmation(Exception):
    pass


@dataclass(frozen=True)
class _Confirmed:
    cases: int
    batch_id: int | None  # None: no batch recorded the month's count (loaded before counts were kept)


def confirmed_month_counts(*, source_id: int, months: list[date], current: dict[date, int]) -> dict[date, _Confirmed]:
    """Each month's confirmed case count for the source: what its first load brought, or its
    last load confirmed with --replace or the button. A month never loaded has none. A month
    loaded before batches kept their counts falls back on the cases it holds now (`current`).

    Archived (detached) months count like the others: the count is the batch's, not the case table's.
    """
    wanted = {f"{m:%Y-%m}": m for m in months}
    history = (
        ImportBatch.objects.filter(
            source_id=source_id,
            kind=ImportBatch.Kind.CASES,
            status__in=[ImportBatch.Status.LOADED, ImportBatch.Status.SUPERSEDED],
        )
        .order_by("finished_at", "pk")
        .values_list("pk", "months", "month_counts", "replace_confirmed")
    )
    found: dict[date, _Confirmed] = {}
    for pk, batch_months, counts, confirmed in history:
        for text in set(batch_months or []) & set(wanted):
            month = wanted[text]
            if month in found and not confirmed:
                continue  # an unconfirmed later load does not move the confirmed count
            known = (counts or {}).get(text)
            found[month] = _Confirmed(int(known), pk) if known is not None else _Confirmed(current.get(month, 0), None)
    for month, cases in current.items():
        if month not in found and cases:
            found[month] = _Confirmed(cases, None)
    return found


def _needs_confirming(confirmed: int, new: int) -> bool:
    change = abs(new - confirmed)
    return bool(confirmed) and change > REPLACE_FLOOR and change > REPLACE_TOLERANCE * confirmed


def replacement_refusal(batch: ImportBatch, counts: list[tuple[date, int, int]], *, staged: bool) -> str | None:
    """Why this batch may not replace its months without a confirmation, with the numbers.

    `counts` is (month, cases the source has now, cases this batch brings) per covered month.
    """
    if batch.replace_confirmed:
        return None
    parts = []
    current = {month: old for month, old, _new in counts}
    confirmed = confirmed_month_counts(source_id=batch.source_id, months=list(current), current=current)
    for month, old, new in counts:
        base = confirmed.get(month)
        if base is None or not _needs_confirming(base.cases, new):
            continue
        parts.append(
            _(
                "replaces %(old)s cases in %(source)s %(month)s with %(new)s (%(change)s against the month's "
                "confirmed count, %(confirmed)s cases)"
            )
            % {
                "old": formats.number(old),
                "source": batch.source.name,
                "month": f"{month:%Y-%m}",
                "new": formats.number(new),
                "change": _signed_percent(base.cases, new),
                "confirmed": formats.number(base.cases),
            }
        )
    others = dict(DataSource.objects.filter(is_reference=False).exclude(pk=batch.source_id).values_list("pk", "name"))
    # Every row of the batch has a case id: the ids checked are the rows it brings.
    checked = sum(new for _month, _old, new in counts)
    found = ids_in_other_sources(
        batch_id=batch.pk,
        source_id=batch.source_id,
        months=[month for month, _old, _new in counts],
        source_ids=list(others),
        staged=staged,
    )
    if checked and found * 2 > checked:
        parts.append(
            _(
                "%(found)s of %(checked)s case ids already exist in %(others)s in the same months: "
                "is the file uploaded under the wrong source (chosen: %(source)s)?"
            )
            % {
                "found": formats.number(found),
                "checked": formats.number(checked),
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


def archived_months_refusal(months: list[date]) -> str | None:
    """Why a file may not load into months that are archived (detached from the case table), or
    None. Refused whatever the confirmation: the archived rows would not be replaced but kept
    beside the new ones, and the month could never be attached again."""
    from cases.partitions import archived_months

    archived = sorted(set(archived_months()) & set(months))
    if not archived:
        return None
    listed = ", ".join(f"{m:%Y-%m}" for m in archived)
    return _(
        "Nothing was loaded: the month %(months)s is archived (detached from the case table). Attach it "
        "again first (case_partitions --reattach %(first)s --confirm), then load the file."
    ) % {"months": listed, "first": f"{archived[0]:%Y-%m}"}


def _signed_percent(old: int, new: int) -> str:
    """+12,5 % / −49,0 %: the change from `old` to `new`, one decimal (formats rounds)."""
    change = Decimal(new - old) * 100 / old
    return ("+" if change > 0 else "") + formats.number(change, 1) + "\u00a0%"


def finish_needs_confirmation(batch: ImportBatch, message: str, reading: Any) -> None:
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


def mark_loaded(
    batch: ImportBatch,
    *,
    month_dates: list[date],
    reading: Reading,
    inserted: int,
    month_counts: dict[date, int] | None = None,
) -> None:
    """Inside the loading transaction: record the outcome and announce the months after commit.

    `month_counts` (cases per month) is kept on the batch: a first or confirmed load's counts are
    what later loads of its months are measured against (confirmed_month_counts)."""
    _supersede_earlier(batch, month_dates)
    _store_errors(batch, reading.errors)
    months_text = ", ".join(f"{m:%Y-%m}" for m in month_dates)
    set_aside = (
        " " + _("%(rows)s rows with errors were set aside.") % {"rows": formats.number(reading.error_rows)}
        if reading.error_rows
        else ""
    )
    if reading.skipped:
        set_aside += " " + _("%(rows)s rows were skipped by the source's profile (%(skipped)s).") % {
            "rows": formats.number(reading.rows_skipped),
            "skipped": ", ".join(f"{k}: {formats.number(n)}" for k, n in sorted(reading.skipped.items())),
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
        month_counts={f"{m:%Y-%m}": n for m, n in sorted((month_counts or {}).items())},
        message=_("%(rows)s rows were loaded for %(months)s.")
        % {"rows": formats.number(inserted), "months": months_text}
        + set_aside,
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


def finish_rejected(
    batch: ImportBatch, message: str, errors: list[RowError], error_rows: int, rows_read: int = 0
) -> None:
    if not message:
        first = "; ".join(describe_error(e.row, e.column, e.value, e.reason) for e in errors[:3])
        rows = (
            _("1 row has errors")
            if error_rows == 1
            else _("%(rows)s rows have errors") % {"rows": formats.number(error_rows)}
        )
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
