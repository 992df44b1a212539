"""Measured keys and allocation runs through the services and the commands of DESIGN.md §7."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from allocation.keys.compute import allocation_key_compute_measured
from allocation.keys.decisions import allocation_key_decide
from allocation.models import AllocationKey, AllocationRun, CostPool, FundingLine, KeyShare
from allocation.runs.allocate import allocation_run_create
from cases.models import AuditEntry, Grouping
from tests.conftest import approve_key, csv_bytes
from tests.conftest import measured_key as _key
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_measured_key_by_cases_follows_the_map_in_force_on_valid_from(volumes):
    key = _key()
    loads = {s.administration.code: s.load for s in key.shares.select_related("administration")}
    # UF 3; SOF 1 + 5×0.6 = 4; TF 2 + 5×0.4 = 4; the 10 central cases count nowhere.
    assert loads == {"UF": Decimal(3), "SOF": Decimal(4), "TF": Decimal(4)}
    assert key.central_load == Decimal(10)
    assert sum(key.shares.values_list("share", flat=True)) == pytest.approx(Decimal(1), abs=Decimal("1e-11"))
    assert key.status == "draft"
    assert key.lines.filter(grouping__code="SPLIT-01").count() == 2


def test_a_weighted_key_uses_and_records_the_channel_weights(volumes):
    key = _key("weighted")
    loads = {s.administration.code: s.load for s in key.shares.select_related("administration")}
    assert loads["SOF"] == Decimal("3.5")  # e-mail weighs 0.5 in the fixture
    assert key.channel_weights["email"] == "0.5000"


def test_a_key_warns_about_a_window_month_without_data(volumes):
    key = allocation_key_compute_measured(
        name="Med lucka",
        window_from=date(2026, 2, 1),
        window_to=date(2026, 4, 1),
        basis="cases",
        valid_from=date(2027, 1, 1),
    )
    assert key.warnings == ["Månaden februari 2026 saknar data helt."]


def test_a_key_is_refused_when_a_grouping_with_volume_has_no_owner(volumes):
    Grouping.objects.create(code="NEW-01", name="Ny")
    run_import(volumes["source"], csv_bytes(["N1,2026-04-03 10:00,phone,NEW-01,1,,,"]), name="ny.csv", replace=True)
    before = AllocationKey.objects.count()
    with pytest.raises(ValidationError, match=r"NEW-01 \(1 ärenden\)"):
        _key()
    assert AllocationKey.objects.count() == before


def test_a_key_over_an_empty_window_is_refused(volumes):
    with pytest.raises(ValidationError, match="noll"):
        allocation_key_compute_measured(
            name="Tom",
            window_from=date(2020, 1, 1),
            window_to=date(2020, 12, 1),
            basis="cases",
            valid_from=date(2027, 1, 1),
        )


def test_a_run_splits_the_pool_net_exactly_for_the_year_and_months(volumes):
    key = approve_key(_key())
    pool = CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("1100.00"), key=key)
    FundingLine.objects.create(pool=pool, label="Växeln", amount=Decimal("100.00"))
    run = allocation_run_create(key=key, pool=pool)
    annual = {
        a.administration.code: a.amount for a in run.amounts.filter(month__isnull=True).select_related("administration")
    }
    # 1000.00 by 3:4:4 → 272.727…, 363.636…, 363.636… → SOF and TF remainders .36 tie; UF .27.
    assert annual == {"UF": Decimal("272.73"), "SOF": Decimal("363.64"), "TF": Decimal("363.63")}
    assert sum(annual.values()) == Decimal("1000.00")
    for code, amount in annual.items():
        months = run.amounts.filter(administration__code=code, month__isnull=False)
        assert months.count() == 12
        assert sum(m.amount for m in months) == amount


def test_a_newer_run_supersedes_the_older_one_and_neither_is_edited(volumes):
    key = approve_key(_key())
    pool = CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("500.00"), key=key)
    first = allocation_run_create(key=key, pool=pool)
    second = allocation_run_create(key=key, pool=pool)
    assert second.supersedes_id == first.pk
    assert AllocationRun.objects.count() == 2


def test_a_pool_whose_funding_exceeds_its_cost_is_refused(volumes):
    key = approve_key(_key())
    pool = CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("100.00"), key=key)
    FundingLine.objects.create(pool=pool, label="Startbidrag", amount=Decimal("150.00"))
    with pytest.raises(ValidationError, match="negativt"):
        allocation_run_create(key=key, pool=pool)
    assert not AllocationRun.objects.exists()


def test_an_approved_key_cannot_be_changed_by_the_service_or_by_save(volumes, finance_user, steering_user):
    key = _key()
    allocation_key_decide(key=key, status="proposed", user=finance_user)
    with pytest.raises(ValidationError):
        allocation_key_decide(key=key, status="proposed", user=finance_user)
    allocation_key_decide(key=key, status="approved", user=steering_user, comment="OK")
    key.refresh_from_db()
    assert (key.status, key.decided_by) == ("approved", steering_user)
    # Each decision is its own record: the approval did not overwrite the proposal.
    assert [(d.to_status, d.user, d.comment) for d in key.decisions.all()] == [
        ("proposed", finance_user, ""),
        ("approved", steering_user, "OK"),
    ]
    key.name = "Ändrad"
    with pytest.raises(ValidationError):
        key.save()
    with pytest.raises(ValidationError):
        allocation_key_decide(key=key, status="rejected", user=steering_user)
    assert AllocationKey.objects.get(pk=key.pk).name == "Test"
    assert AuditEntry.objects.filter(action="key.approved", object_id=str(key.pk)).exists()


def test_compute_key_and_allocate_print_the_json_of_the_contract(volumes, capsys):
    call_command(
        "compute_key",
        "--name",
        "K",
        "--from",
        "2026-03",
        "--to",
        "2026-04",
        "--basis",
        "cases",
        "--valid-from",
        "2027-01-01",
        "--json",
    )
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"key", "shares", "robustness"}
    assert set(doc["robustness"]) == {"leave_one_out", "unusual_months"}
    assert doc["shares"] == {"SOF": "0.363636363636", "TF": "0.363636363636", "UF": "0.272727272727"}
    call_command("allocate", "--key", str(doc["key"]), "--amount", "12", "--unit", "krona", "--json")
    run = json.loads(capsys.readouterr().out)
    assert set(run) == {"run", "amounts", "months"}
    assert run["amounts"] == {"SOF": "5.00", "TF": "4.00", "UF": "3.00"}
    assert len(run["months"]) == 12
    assert sum(Decimal(v) for m in run["months"].values() for v in m.values()) == Decimal(12)
    assert KeyShare.objects.filter(key_id=doc["key"]).count() == 3


def test_compute_key_refusal_is_exit_1_with_the_reason(volumes):
    with pytest.raises(CommandError) as excinfo:
        call_command("compute_key", "--name", "K", "--from", "2019-01", "--to", "2019-12", "--valid-from", "2027-01-01")
    assert excinfo.value.returncode == 1
    assert "noll" in str(excinfo.value)
    with pytest.raises(CommandError) as excinfo:
        call_command("compute_key", "--name", "K", "--from", "mars", "--to", "2019-12", "--valid-from", "2027-01-01")
    assert excinfo.value.returncode == 2
