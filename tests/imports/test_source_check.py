"""The wrong-source check counts exactly the batch's ids another source holds in the same months.

It skips the months whose id ranges cannot meet the batch's; whatever the ids (overlapping,
disjoint, equal in another month only), the count must be the one a plain Python count gives.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import CaseRecord, Channel, DataSource, Grouping
from cases.partitions import partitions_ensure
from imports.source_check import ids_in_other_sources

pytestmark = pytest.mark.django_db

MONTHS = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
BATCH = 424242
_names = itertools.count()

ids = st.text(alphabet="AB7z", min_size=1, max_size=3)
rows = st.lists(st.tuples(ids, st.sampled_from(MONTHS)), max_size=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=rows, first=rows, second=rows, batch_months=st.sets(st.sampled_from(MONTHS), min_size=1))
def test_the_count_is_the_ids_another_source_holds_in_the_batchs_months(org, batch, first, second, batch_months):
    channel = Channel.objects.get(code="phone")
    grouping = Grouping.objects.get(code="UF-01")
    own = org["source"]
    others = [DataSource.objects.create(name=f"Annan {next(_names)}") for _ in range(2)]
    partitions_ensure(MONTHS)
    CaseRecord.objects.filter(source__in=[own, *others]).delete()

    def add(source: DataSource, cases: list[tuple[str, date]], batch_id: int | None) -> dict[str, date]:
        kept: dict[str, date] = {}
        for case_id, month in cases:
            kept.setdefault(case_id, month)  # a source holds an id in one month
        CaseRecord.objects.bulk_create(
            CaseRecord(
                source=source,
                case_id=case_id,
                opened_at=f"{month:%Y-%m}-02T10:00:00+01:00",
                month=month,
                channel=channel,
                grouping=grouping,
                batch_id=batch_id,
            )
            for case_id, month in kept.items()
        )
        return kept

    mine = add(own, [(c, m) for c, m in batch if m in batch_months], BATCH)
    held = [add(source, cases, None) for source, cases in zip(others, (first, second), strict=True)]
    expected = sum(1 for case_id in mine if any(case_id in h and h[case_id] in batch_months for h in held))
    found = ids_in_other_sources(
        batch_id=BATCH,
        source_id=own.pk,
        months=sorted(batch_months),
        source_ids=[o.pk for o in others],
        staged=False,
    )
    assert found == expected
