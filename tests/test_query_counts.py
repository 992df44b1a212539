"""Every list endpoint and list page costs the same number of queries however many rows it shows:
no query per row (N+1). Counted with the rows of the access walk's world, then again after more
keys, runs, imports, administrations and groupings have been added."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from allocation.keys.compute import allocation_key_compute_measured
from allocation.models import CostPool
from allocation.runs.allocate import allocation_run_create
from cases.models import Administration, Grouping
from tests.conftest import approve_key, csv_bytes, good_rows
from tests.imports.helpers import run_import

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

LISTS = [
    "/api/v1/administrations/",
    "/api/v1/groupings/",
    "/api/v1/channels/",
    "/api/v1/grouping-map/",
    "/api/v1/imports/",
    "/api/v1/keys/",
    "/api/v1/runs/",
    "/allocation/keys/",
    "/allocation/pools/",
    "/allocation/avrakning/",
    "/organisation/forvaltningar/",
    "/organisation/kallor/",
    "/organisation/karta/",
    "/statistik/",
    "/andringslogg/",
    "/",
]


def _counts(client: Client) -> dict[str, int]:
    counts = {}
    for path in LISTS:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[path] = len(queries)
    return counts


def _more_rows(org) -> None:  # type: ignore[no-untyped-def]
    """Two more of everything the lists show."""
    for n in (1, 2):
        Administration.objects.create(code=f"X{n}", name=f"Extra {n}", cost_centre=f"90{n}")
        Grouping.objects.create(code=f"X-{n}", name=f"Extra {n}")
        key = allocation_key_compute_measured(
            name=f"Extra {n}",
            window_from=date(2026, 3, 1),
            window_to=date(2026, 4, 1),
            basis="cases",
            valid_from=date(2027, 1, 1),
        )
        approve_key(key)
        pool = CostPool.objects.create(name=f"Extra {n}", year=2027, gross_amount=Decimal("5000.00"), key=key)
        allocation_run_create(key=key, pool=pool)
        allocation_run_create(key=key, amount=Decimal("100.00"))
        run_import(org["source"], csv_bytes(good_rows(month="2026-06", n=2, prefix=f"Q{n}")), name=f"q{n}.csv")


def test_list_pages_and_endpoints_do_not_query_per_row(world, volumes, finance_user):
    client = Client()
    client.force_login(finance_user)
    _counts(client)  # warm caches (content types, sessions) so both counts start alike
    before = _counts(client)
    _more_rows(volumes)
    after = _counts(client)
    grew = {path: (before[path], after[path]) for path in LISTS if after[path] > before[path]}
    assert not grew, f"queries grew with the rows (before, after): {grew}"
