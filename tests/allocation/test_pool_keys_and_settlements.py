"""A key is approved for a pool and supersedes the pool's key whatever the names; one settlement
per pool and year; the operating-system account behind a command's --user (DESIGN §4)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from allocation.keys.compute import allocation_key_compute_measured
from allocation.keys.decisions import allocation_key_decide
from allocation.ledger.settlements import settlement_create, settlement_decide
from allocation.models import AllocationKey, CostPool, Settlement
from allocation.runs.allocate import allocation_run_create
from cases import roles
from cases.models import AuditEntry
from tests.conftest import approve_key, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def _key(name: str) -> AllocationKey:
    return allocation_key_compute_measured(
        name=name, window_from=date(2026, 3, 1), window_to=date(2026, 4, 1), basis="cases", valid_from=date(2026, 1, 1)
    )


@pytest.fixture
def pool(volumes):  # type: ignore[no-untyped-def]
    first = approve_key(_key("Nyckel 2026"))
    return CostPool.objects.create(
        name="KC", year=2026, gross_amount=Decimal("1100.00"), key=first, is_co_financing=True
    )


def test_approving_a_key_for_a_pool_supersedes_the_pools_key_whatever_its_name(pool, finance_user, steering_user):
    old = pool.key
    new = _key("Ett helt annat namn")
    allocation_key_decide(key=new, status="proposed", user=finance_user, pool=pool)
    allocation_key_decide(key=new, status="approved", user=steering_user)
    pool.refresh_from_db()
    old.refresh_from_db()
    assert pool.key_id == new.pk and old.status == "superseded"
    assert AllocationKey.objects.filter(pool=pool, status="approved").count() == 1
    assert AuditEntry.objects.filter(action="pool.key", object_id=str(pool.pk)).exists()
    assert AuditEntry.objects.filter(action="key.superseded", object_id=str(old.pk)).exists()
    allocation_run_create(pool=pool)  # charging goes on with the new key


def test_a_same_named_key_moves_the_pool_and_a_key_without_a_pool_supersedes_nothing(pool, finance_user, steering_user):
    same = _key("Nyckel 2026")
    allocation_key_decide(key=same, status="proposed", user=finance_user, pool=pool)
    allocation_key_decide(key=same, status="approved", user=steering_user)
    pool.refresh_from_db()
    assert pool.key_id == same.pk  # statistics and charging follow the new key
    alone = approve_key(_key("Nyckel 2026"))
    same.refresh_from_db()
    assert same.status == "approved" and alone.status == "approved" and alone.pool_id is None


def test_a_key_is_proposed_only_for_a_pool_it_fits(pool, finance_user, org):
    from allocation.keys.compute import allocation_key_create_from_values

    fixed = allocation_key_create_from_values(
        name="Fast", kind="fixed", valid_from=date(2026, 1, 1), values={"UF": Decimal(50), "SOF": Decimal(50)}
    )
    with pytest.raises(ValidationError):
        allocation_key_decide(key=fixed, status="proposed", user=finance_user, pool=pool)  # co-financing: measured


def test_decide_key_pool_names_the_pool(pool, finance_user, steering_user):
    key = _key("Kommandot")
    out = StringIO()
    call_command(
        "decide_key",
        "--key",
        str(key.pk),
        "--decision",
        "proposed",
        "--user",
        "ekonom",
        "--pool",
        str(pool.pk),
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue())["pool"] == pool.pk
    with pytest.raises(CommandError) as unknown:
        call_command(
            "decide_key", "--key", str(key.pk), "--decision", "proposed", "--user", "ekonom", "--pool", "99999"
        )
    assert unknown.value.returncode == 2


def test_one_operating_system_account_cannot_propose_and_approve_under_two_names(pool, finance_user):
    key = _key("Två namn")
    make_user("styr2", roles.STEERING_GROUP)
    call_command("decide_key", "--key", str(key.pk), "--decision", "proposed", "--user", "ekonom", stdout=StringIO())
    with pytest.raises(CommandError) as refused:
        call_command("decide_key", "--key", str(key.pk), "--decision", "approved", "--user", "styr2", stdout=StringIO())
    assert refused.value.returncode == 1
    key.refresh_from_db()
    assert key.status == "proposed"
    entry = AuditEntry.objects.filter(action="key.proposed", object_id=str(key.pk)).get()
    assert entry.actor.startswith("ekonom (os:")


@pytest.fixture
def charged(pool):  # type: ignore[no-untyped-def]
    allocation_run_create(pool=pool)
    return pool


def test_a_second_settlement_is_refused_while_one_is_proposed_or_approved(charged, finance_user, steering_user):
    first = settlement_create(pool=charged, user=finance_user, missing_months_confirmed=True)
    settlement_decide(settlement=first, status="proposed", user=finance_user)
    with pytest.raises(ValidationError, match=f"#{first.pk}"):
        settlement_create(pool=charged, user=finance_user, missing_months_confirmed=True)
    settlement_decide(settlement=first, status="rejected", user=steering_user)
    second = settlement_create(pool=charged, user=finance_user, missing_months_confirmed=True)  # rejected: not counted
    settlement_decide(settlement=second, status="proposed", user=finance_user)
    settlement_decide(settlement=second, status="approved", user=steering_user)
    draft = Settlement.objects.create(pool=charged, run=second.run)  # even around the service …
    with pytest.raises(ValidationError):
        settlement_decide(settlement=draft, status="proposed", user=finance_user)
    assert Settlement.objects.filter(pool=charged, status__in=["proposed", "approved"]).count() == 1


def test_months_without_data_are_named_and_need_a_confirmation(charged, finance_user):
    with pytest.raises(ValidationError, match="2026-01") as refused:
        settlement_create(pool=charged, user=finance_user)
    assert "2026-12" in str(refused.value) and not Settlement.objects.exists()
    with pytest.raises(CommandError) as command:
        call_command("settle_year", "--pool", str(charged.pk), "--user", "ekonom", stdout=StringIO())
    assert command.value.returncode == 1 and "2026-02" in str(command.value)
    out = StringIO()
    call_command(
        "settle_year", "--pool", str(charged.pk), "--missing-months-confirmed", "--user", "ekonom", "--json", stdout=out
    )
    document = json.loads(out.getvalue())
    assert sum(Decimal(v) for v in document["amounts"].values()) == 0
    call_command(
        "decide_settlement",
        "--settlement",
        str(document["settlement"]),
        "--decision",
        "proposed",
        "--user",
        "ekonom",
        stdout=StringIO(),
    )
    with pytest.raises(CommandError):  # the proposer never decides
        call_command(
            "decide_settlement",
            "--settlement",
            str(document["settlement"]),
            "--decision",
            "approved",
            "--user",
            "ekonom",
        )


def test_an_approved_settlement_is_posted_once(charged, finance_user, steering_user):
    from allocation.ledger.journal import posting_profile_save
    from allocation.ledger.settlements import settlement_post
    from allocation.models import PostingProfile

    posting_profile_save(
        profile=PostingProfile(charge_account="7691", credit_account="3691", centre_cost_centre="1050"),
        user=finance_user,
    )
    settlement = settlement_create(pool=charged, user=finance_user, missing_months_confirmed=True)
    settlement_decide(settlement=settlement, status="proposed", user=finance_user)
    with pytest.raises(PermissionDenied):
        settlement_decide(settlement=settlement, status="approved", user=finance_user)
    settlement_decide(settlement=settlement, status="approved", user=steering_user)
    first = settlement_post(settlement=settlement, fmt="sie", user=finance_user)
    again = settlement_post(settlement=settlement, fmt="sie", user=finance_user)
    assert (first.posting is not None) == any(line.amount for line in settlement.lines.all())
    assert again.posting is None and again.vouchers == 0


def test_a_proposed_price_is_told_to_the_steering_group_and_the_decision_to_the_proposer(volumes, finance_user):
    from allocation.runs.prices import pool_price_decide
    from cases.models import Notification

    steering = make_user("styr.pris2", roles.STEERING_GROUP)
    steering.email, finance_user.email = "styr@example.se", "ekonom@example.se"
    steering.save()
    finance_user.save()
    pool = CostPool.objects.create(
        name="Växeln", year=2026, gross_amount=Decimal("100.00"), pricing="per_case", price=Decimal("12")
    )
    pool_price_decide(pool=pool, status="proposed", user=finance_user)
    told = Notification.objects.get(recipient=steering, event__startswith="price:")
    assert "Växeln" in told.subject and "12,00" in told.subject
    pool_price_decide(pool=pool, status="approved", user=steering)
    assert Notification.objects.filter(recipient=finance_user, event__contains=":approved:").exists()
