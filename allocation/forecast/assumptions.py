"""Writes of the digitalisation assumptions, each audited whatever path made it (the page,
the admin, the demo)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from allocation.models import DigitalisationAssumption
from cases.models import Grouping
from cases.services import audit_record, audited_save

ASSUMPTION_FIELDS = ["grouping_id", "year", "percent", "comment"]
OBJ_TYPE = "digitalisation_assumption"


@transaction.atomic
def digitalisation_assumption_save(
    *, grouping: Grouping, year: int, percent: Decimal, comment: str = "", user: Any
) -> DigitalisationAssumption:
    """Set a grouping's assumption for a year (a new one, or the year's one changed)."""
    assumption = DigitalisationAssumption.objects.select_for_update().filter(grouping=grouping, year=year).first()
    if assumption is None:
        assumption = DigitalisationAssumption(grouping=grouping, year=year)
        if getattr(user, "is_authenticated", False):
            assumption.created_by = user
    assumption.percent = percent
    assumption.comment = comment
    return audited_save(assumption, fields=ASSUMPTION_FIELDS, user=user, action=OBJ_TYPE, obj_type=OBJ_TYPE)


@transaction.atomic
def digitalisation_assumption_delete(*, assumption: DigitalisationAssumption, user: Any) -> None:
    before = {
        "grouping_id": assumption.grouping_id,
        "year": assumption.year,
        "percent": str(assumption.percent),
        "comment": assumption.comment,
    }
    pk = assumption.pk
    assumption.delete()
    audit_record(user=user, action=f"{OBJ_TYPE}.delete", obj_type=OBJ_TYPE, obj_id=pk, before=before)
