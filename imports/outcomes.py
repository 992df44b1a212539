"""What a batch's processing found and how it ends: loaded (months replaced, earlier batches
superseded), rejected with its row errors, or waiting for a confirmed replacement."""

from __future__ import annotations

import logging
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
from imports import loading
from imports.models import ImportBatch, ImportRowError
from imports.parsing import (
    RowError,
    describe_error,
)
from imports.reading import _Reading
from imports.signals import batch_loaded

logger = logging.getLogger(__name__)

# A corrected month passes without a question; a change of the month's case count beyond this
# (a one-row file replacing 9,416 cases) needs the uploader's explicit confirmation.
REPLACE_TOLERANCE = Decimal("0.20")


class _NeedsConfirmation(Exception):
    pass


def _replacement_refusal(batch: ImportBatch, counts: list[tuple[date, int, int]], *, staged: bool) -> str | None:
    """Why this batch may not replace its months without a confirmation, with the numbers.

    `counts` is (month, cases the source has now, cases this batch brings) per covered month.
    """
    if batch.replace_confirmed:
        return None
    parts = []
    for month, old, new in counts:
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
    sampled, found = loading.ids_in_other_sources(
        batch_id=batch.pk,
        source_id=batch.source_id,
        months=[month for month, _old, _new in counts],
        source_ids=list(others),
        staged=staged,
    )
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


def _mark_loaded(batch: ImportBatch, *, month_dates: list[date], reading: _Reading, inserted: int) -> None:
    """Inside the loading transaction: record the outcome and announce the months after commit."""
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


def _finish_rejected(
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
