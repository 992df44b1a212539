from __future__ import annotations

import io
from typing import Any

from cases.models import CaseRecord, MonthlyAggregate
from imports.models import ImportBatch
from imports.services import import_batch_create


def run_import(source: Any, data: bytes, name: str = "logg.csv", **kwargs: Any) -> ImportBatch:
    batch = import_batch_create(source=source, stream=io.BytesIO(data), filename=name, **kwargs)
    batch.refresh_from_db()
    return batch


def database_state() -> tuple[Any, ...]:
    """Everything an import may change, in a comparable form."""
    cases = sorted(
        CaseRecord.objects.values_list(
            "source_id",
            "case_id",
            "opened_at",
            "month",
            "channel_id",
            "grouping_id",
            "handle_seconds",
            "wait_seconds",
            "resolved_first_contact",
            "forwarded_to_id",
        )
    )
    aggregates = sorted(
        MonthlyAggregate.objects.values_list(
            "source_id",
            "month",
            "grouping_id",
            "channel_id",
            "cases",
            "handle_seconds",
            "wait_seconds",
            "wait_known",
            "answered_within_60",
            "resolved_first",
            "resolved_known",
            "forwarded",
        )
    )
    return tuple(cases), tuple(aggregates)
