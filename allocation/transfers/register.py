"""Writes to the transfer register and the administrations' hour costs, each audited
(cases.services.audited_save) whatever path made it: the pages, the import and its command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allocation.models import AdministrationHourCost, GroupingTransfer
from allocation.transfers.files import TransferFileError, read_transfer_file, row_error
from cases.models import Administration, Grouping
from cases.selectors import grouping_map_on
from cases.services import audit_record, audited_save

TRANSFER_FIELDS = [
    "grouping",
    "administration",
    "wave",
    "transferred_on",
    "minutes_before",
    "expected_cases_per_year",
    "comment",
]
HOUR_COST_FIELDS = ["administration", "year", "cost_per_hour", "comment"]


def transfer_owner_refusal(*, grouping: Grouping, administration: Administration, on: date) -> str | None:
    """Why the administration cannot have handed the grouping over on that date, or None: it must
    own the grouping (or a part of it) in the grouping map in force on the date."""
    owners = [line.administration for line in grouping_map_on(on=on).get(grouping.code, [])]
    if administration.code in owners:
        return None
    if not owners:
        return _("The grouping %(grouping)s has no owner in the grouping map in force on %(date)s.") % {
            "grouping": grouping.code,
            "date": f"{on:%Y-%m-%d}",
        }
    return _(
        "The grouping %(grouping)s is not owned by %(administration)s in the grouping map in force on %(date)s "
        "(owners: %(owners)s)."
    ) % {
        "grouping": grouping.code,
        "administration": administration.code,
        "date": f"{on:%Y-%m-%d}",
        "owners": ", ".join(code or _("central") for code in owners),
    }


@transaction.atomic
def grouping_transfer_save(*, transfer: GroupingTransfer, user: Any) -> GroupingTransfer:
    """Register a transfer or change one (one per grouping); the administration must own the
    grouping on the transfer's date. Audited."""
    if transfer.grouping_id and transfer.administration_id and transfer.transferred_on:
        refusal = transfer_owner_refusal(
            grouping=transfer.grouping, administration=transfer.administration, on=transfer.transferred_on
        )
        if refusal:
            raise ValidationError({"administration": refusal})
    if transfer.pk is None and getattr(user, "is_authenticated", False):
        transfer.created_by = user
    return audited_save(
        transfer, fields=TRANSFER_FIELDS, user=user, action="grouping_transfer", obj_type="grouping_transfer"
    )


@transaction.atomic
def grouping_transfer_delete(*, transfer: GroupingTransfer, user: Any) -> None:
    before = {name: str(getattr(transfer, name)) for name in TRANSFER_FIELDS}
    pk = transfer.pk
    transfer.delete()
    audit_record(user=user, action="grouping_transfer.delete", obj_type="grouping_transfer", obj_id=pk, before=before)


@transaction.atomic
def hour_cost_save(
    *, administration: Administration, year: int, cost_per_hour: Decimal, comment: str = "", user: Any
) -> AdministrationHourCost:
    """Set what the administration states a case-officer hour costs in the year. Audited."""
    cost = AdministrationHourCost.objects.filter(administration=administration, year=year).first()
    if cost is None:
        cost = AdministrationHourCost(administration=administration, year=year)
    cost.cost_per_hour = cost_per_hour
    cost.comment = comment
    if getattr(user, "is_authenticated", False):
        cost.updated_by = user
    return audited_save(cost, fields=HOUR_COST_FIELDS, user=user, action="hour_cost", obj_type="hour_cost")


class TransferImportRefused(ValueError):
    """The file was not loaded; `errors` tell each problem (row, column, value, reason)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:5]))
        self.errors = errors


@dataclass(frozen=True)
class TransferImportResult:
    created: int
    changed: int
    unchanged: int


def transfers_import(*, data: bytes, user: Any) -> TransferImportResult:
    """Load a transfer file: every row registers or changes its grouping's transfer, in one
    transaction; any row error refuses the whole file and changes nothing."""
    try:
        rows, errors = read_transfer_file(data)
    except TransferFileError as exc:
        raise TransferImportRefused([str(exc)]) from exc
    groupings = {g.code: g for g in Grouping.objects.filter(code__in=[r.grouping for r in rows])}
    administrations = {a.code: a for a in Administration.objects.filter(code__in=[r.administration for r in rows])}
    stored = {t.grouping.code: t for t in GroupingTransfer.objects.select_related("grouping", "administration")}
    seen: dict[str, int] = {}
    plans: list[tuple[int, GroupingTransfer, tuple[Any, ...] | None]] = []
    for r in rows:
        grouping, administration = groupings.get(r.grouping), administrations.get(r.administration)
        if grouping is None:
            errors.append(row_error(r.row, "grouping", r.grouping, _("no grouping has this code.")))
        if administration is None:
            errors.append(row_error(r.row, "administration", r.administration, _("no administration has this code.")))
        if r.grouping in seen:
            errors.append(
                row_error(
                    r.row, "grouping", r.grouping, _("the grouping is also on row %(row)s.") % {"row": seen[r.grouping]}
                )
            )
        seen.setdefault(r.grouping, r.row)
        if grouping is None or administration is None:
            continue
        refusal = transfer_owner_refusal(grouping=grouping, administration=administration, on=r.transferred_on)
        if refusal:
            errors.append(row_error(r.row, "administration", r.administration, refusal))
            continue
        transfer = stored.get(r.grouping) or GroupingTransfer(grouping=grouping)
        was: tuple[Any, ...] | None = _values(transfer) if transfer.pk is not None else None
        transfer.administration = administration
        transfer.wave = r.wave
        transfer.transferred_on = r.transferred_on
        transfer.minutes_before = r.minutes_before
        transfer.expected_cases_per_year = r.expected_cases_per_year
        transfer.comment = r.comment
        plans.append((r.row, transfer, was))
    if errors:
        raise TransferImportRefused(errors)
    if not plans:
        raise TransferImportRefused([_("The file contains no rows.")])
    created = changed = unchanged = 0
    with transaction.atomic():
        for row, transfer, was in plans:
            if was is not None and was == _values(transfer):
                unchanged += 1  # re-stating a transfer changes nothing and writes no audit entry
                continue
            try:
                grouping_transfer_save(transfer=transfer, user=user)
            except ValidationError as exc:
                # A model check the reader does not repeat: the file is refused like any row error
                # (raised inside the transaction, so the rows saved before it are undone).
                errors.extend(_model_errors(row, transfer, exc))
                continue
            created, changed = (created + 1, changed) if was is None else (created, changed + 1)
        if errors:
            raise TransferImportRefused(errors)
    return TransferImportResult(created=created, changed=changed, unchanged=unchanged)


def _values(transfer: GroupingTransfer) -> tuple[Any, ...]:
    return tuple(getattr(transfer, name) for name in TRANSFER_FIELDS)


def _model_errors(row: int, transfer: GroupingTransfer, exc: ValidationError) -> list[str]:
    """A refused save as row errors; an error of no column is told on the grouping's column."""
    by_field = exc.message_dict if hasattr(exc, "error_dict") else {"grouping": exc.messages}
    out: list[str] = []
    for field, messages in by_field.items():
        column = field if field in TRANSFER_FIELDS else "grouping"
        value = getattr(transfer, column)
        value = value.code if column in ("grouping", "administration") else ("" if value is None else value)
        out.extend(row_error(row, column, value, message) for message in messages)
    return out
