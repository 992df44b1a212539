"""Fixtures of the allocation tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

MARCH = date(2026, 3, 1)


@pytest.fixture
def finance(finance_user):  # type: ignore[no-untyped-def]
    """A client logged in as finance staff."""
    from django.test import Client

    client = Client()
    client.force_login(finance_user)
    return client


@pytest.fixture
def published(volumes, finance_user, steering_user):  # type: ignore[no-untyped-def]
    """March 2026 published with a co-financing pool charged by an approved key."""
    from allocation.keys.compute import allocation_key_compute_measured
    from allocation.keys.decisions import allocation_key_decide
    from allocation.models import CostPool
    from allocation.publications.publishing import publication_create
    from allocation.runs.allocate import allocation_run_create

    # A key in force in 2026 (the fixture's map is valid from 2025-01-01).
    key = allocation_key_compute_measured(
        name="2026", window_from=MARCH, window_to=date(2026, 4, 1), basis="cases", valid_from=date(2026, 1, 1)
    )
    allocation_key_decide(key=key, status="proposed", user=finance_user)
    allocation_key_decide(key=key, status="approved", user=steering_user)
    pool = CostPool.objects.create(name="KC", year=2026, gross_amount=Decimal("1200.00"), key=key, is_co_financing=True)
    allocation_run_create(key=key, pool=pool)
    return publication_create(month=MARCH)
