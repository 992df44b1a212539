"""Rolling measurement, the reference key, re-runs as a task, and keys made stale by new data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from allocation.keys.compute import allocation_key_compute_measured
from allocation.keys.decisions import allocation_key_decide
from allocation.models import AllocationKey, AllocationRun, CostPool
from allocation.tasks import run_pool
from cases.models import DataSource
from tests.conftest import approve_key, csv_bytes
from tests.conftest import measured_key as _key
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_reference_key_maps_another_citys_statistics_onto_this_organisation(org):
    ref = DataSource.objects.create(name="Annan stad", is_reference=True, delivers_monthly=False)
    run_import(
        ref, b"month,grouping,cases\n2024-05,UF-01,600\n2024-05,SPLIT-01,1000\n2024-06,CEN-01,5000\n", kind="aggregated"
    )
    key = allocation_key_compute_measured(
        name="Första nyckeln",
        window_from=date(2024, 5, 1),
        window_to=date(2025, 4, 1),
        basis="cases",
        valid_from=date(2025, 1, 1),
        source_names=["Annan stad"],
    )
    loads = dict(key.shares.values_list("administration__code", "load"))
    assert loads == {"UF": Decimal(600), "SOF": Decimal(600), "TF": Decimal(400)}
    assert key.sources == ["Annan stad"]
    assert key.central_load == Decimal(5000)
    assert any("saknar data" in w for w in key.warnings)  # the reference has only two months


def test_own_keys_never_include_reference_statistics(volumes):
    ref = DataSource.objects.create(name="Annan stad", is_reference=True, delivers_monthly=False)
    run_import(ref, b"month,grouping,cases\n2026-03,UF-01,999\n", kind="aggregated")
    key = _key()
    assert dict(key.shares.values_list("administration__code", "load"))["UF"] == Decimal(3)


def test_rolling_shares_show_the_drift_from_the_approved_key(volumes, finance_user, steering_user):
    key = _key()
    allocation_key_decide(key=key, status="proposed", user=finance_user)
    allocation_key_decide(key=key, status="approved", user=steering_user)
    CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("1000.00"), key=key, is_co_financing=True)
    # More UF cases arrive in May: the rolling share moves away from the key.
    run_import(volumes["source"], csv_bytes([f"U{i},2026-05-04 10:00,phone,UF-01,1,,," for i in range(11)]))
    client = APIClient()
    client.force_authenticate(steering_user)
    doc = client.get("/api/v1/keys/rolling/?month=2027-01").json()
    assert doc["approved_key"] == key.pk and doc["window"] == ["2026-02", "2027-01"]
    uf = doc["administrations"]["UF"]
    assert (uf["rolling_percent"], uf["key_percent"], uf["drift_pp"]) == ("63.64", "27.27", "36.37")
    assert sum(Decimal(a["rolling_percent"]) for a in doc["administrations"].values()) == Decimal("100.00")
    assert client.get("/api/v1/keys/rolling/?month=jan").status_code == 400


def test_a_pool_can_be_re_run_as_a_task_and_the_new_run_supersedes_the_old(volumes):
    key = approve_key(_key())
    pool = CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("999.99"), key=key)
    first = run_pool.delay(pool.pk).get()
    second = run_pool.delay(pool.pk).get()
    runs = AllocationRun.objects.order_by("pk")
    assert [r.pk for r in runs] == [first, second]
    assert runs[1].supersedes_id == first
    assert sorted(runs[0].amounts.values_list("amount", flat=True)) == sorted(
        runs[1].amounts.values_list("amount", flat=True)
    )


def test_new_data_for_a_month_in_its_window_makes_an_open_key_stale(volumes):
    key = _key()
    run_import(
        volumes["source"], csv_bytes(["N1,2026-04-05 10:00,phone,UF-01,1,,,"]), name="april-rattad.csv", replace=True
    )
    key.refresh_from_db()
    assert any("april 2026" in w and "beräkna om" in w for w in key.warnings)  # the month by name
    run_import(volumes["source"], csv_bytes(["N2,2026-09-05 10:00,phone,UF-01,1,,,"]), name="sept.csv")
    key.refresh_from_db()
    assert not any("september 2026" in w or "2026-09" in w for w in key.warnings)


def test_deciding_on_an_approved_key_through_the_api_is_refused(volumes, finance_user, steering_user):
    key = _key()
    allocation_key_decide(key=key, status="proposed", user=finance_user)
    allocation_key_decide(key=key, status="approved", user=steering_user)
    client = APIClient()
    client.force_authenticate(steering_user)
    response = client.post(f"/api/v1/keys/{key.pk}/decision/", {"status": "rejected"}, format="json")
    assert response.status_code == 400
    assert AllocationKey.objects.get(pk=key.pk).status == "approved"
