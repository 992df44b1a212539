"""Year-end settlement of the co-financing pool, and next year's budget frames."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from allocation.keys.compute import allocation_key_compute_measured
from allocation.ledger.journal import posting_profile_save
from allocation.ledger.settlements import settlement_create, settlement_decide, settlement_postings
from allocation.models import CostPool, PostingProfile, Settlement
from allocation.runs.allocate import allocation_run_create
from cases import roles
from tests.allocation.test_postings import read_sie
from tests.conftest import approve_key, csv_bytes, make_user
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def charged_year(volumes):  # type: ignore[no-untyped-def]
    """Key 3:4:4 (UF, SOF, TF) charged 1,100 kr for 2026; then May brings 11 more UF cases."""
    key = approve_key(
        allocation_key_compute_measured(
            name="2026",
            window_from=date(2026, 3, 1),
            window_to=date(2026, 4, 1),
            basis="cases",
            valid_from=date(2026, 1, 1),
        )
    )
    pool = CostPool.objects.create(name="KC", year=2026, gross_amount=Decimal("1100.00"), key=key, is_co_financing=True)
    allocation_run_create(pool=pool)
    run_import(volumes["source"], csv_bytes([f"U{i},2026-05-04 10:00,phone,UF-01,1,,," for i in range(11)]))
    return pool


def test_the_settlement_is_measured_minus_charged_and_adds_up_to_zero(charged_year):
    settlement = settlement_create(pool=charged_year, missing_months_confirmed=True)
    lines = {line.administration.code: line for line in settlement.lines.select_related("administration")}
    # Charged by the key 3:4:4: 300, 400, 400. The year measured UF 14, SOF 4, TF 4 of 22 cases:
    # 700, 200, 200. Settlements +400, −200, −200.
    assert {c: line.charged for c, line in lines.items()} == {
        "UF": Decimal("300.00"),
        "SOF": Decimal("400.00"),
        "TF": Decimal("400.00"),
    }
    assert {c: line.measured for c, line in lines.items()} == {
        "UF": Decimal("700.00"),
        "SOF": Decimal("200.00"),
        "TF": Decimal("200.00"),
    }
    assert {c: line.amount for c, line in lines.items()} == {
        "UF": Decimal("400.00"),
        "SOF": Decimal("-200.00"),
        "TF": Decimal("-200.00"),
    }
    assert sum(line.amount for line in lines.values()) == 0
    assert settlement.status == "draft"
    assert "2026-01" in settlement.inputs["months_without_data"]


def test_a_tolerance_settles_only_those_outside_it_and_still_adds_up_to_zero(charged_year):
    settlement = settlement_create(pool=charged_year, tolerance_pp=Decimal("20"), missing_months_confirmed=True)
    lines = {line.administration.code: line for line in settlement.lines.select_related("administration")}
    # SOF and TF drift 18 pp (inside 20): not settled; UF takes what remains: nothing to settle.
    assert {c: line.amount for c, line in lines.items()} == {
        "UF": Decimal("0"),
        "SOF": Decimal("0"),
        "TF": Decimal("0"),
    }
    narrow = settlement_create(pool=charged_year, tolerance_pp=Decimal("1"), missing_months_confirmed=True)
    assert sum(line.amount for line in narrow.lines.all()) == 0 and narrow.lines.exclude(amount=0).count() == 3


def test_four_eyes_approval_immutability_and_balanced_vouchers(charged_year, finance_user):
    both = make_user("dubbel", roles.FINANCE)
    both.groups.add(Group.objects.get(name=roles.STEERING_GROUP))
    both = User.objects.get(pk=both.pk)
    settlement = settlement_create(pool=charged_year, user=finance_user, missing_months_confirmed=True)
    with pytest.raises(ValidationError, match="godkänd"):
        settlement_postings(settlement=settlement, fmt="sie")
    settlement_decide(settlement=settlement, status="proposed", user=both)
    with pytest.raises(PermissionDenied, match="fyra ögon"):
        settlement_decide(settlement=settlement, status="approved", user=both)
    approver = make_user("beslutar.avrakning", roles.STEERING_GROUP)
    settlement_decide(settlement=settlement, status="approved", user=approver, comment="Avräknas")
    settlement.refresh_from_db()
    assert settlement.status == "approved"
    with pytest.raises(ValidationError):
        Settlement.objects.filter(pk=settlement.pk).update(tolerance_pp=Decimal(5))
    with pytest.raises(ValidationError):
        settlement.save()
    posting_profile_save(
        profile=PostingProfile(charge_account="7691", credit_account="3691", centre_cost_centre="1050"),
        user=finance_user,
    )
    sie = read_sie(settlement_postings(settlement=settlement, fmt="sie").content)
    (voucher,) = sie["vouchers"]
    assert voucher["date"] == "20261231" and sum(a for _acc, _cc, a in voucher["rows"]) == 0
    assert {cc: a for _acc, cc, a in voucher["rows"]} == {
        "3100": Decimal("400.00"),
        "5100": Decimal("-200.00"),
        "4800": Decimal("-200.00"),
    }
    client = Client()
    client.force_login(finance_user)
    page = client.get(f"/allocation/avrakning/{settlement.pk}/").content.decode()
    assert 'id="settlement-lines"' in page and "Avräknas" in page
    assert client.get(f"/allocation/avrakning/{settlement.pk}/?format=workbook")["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )


def test_settlement_is_refused_without_a_charging_run(volumes, finance_user):
    pool = CostPool.objects.create(name="KC", year=2026, gross_amount=Decimal("1"), is_co_financing=True)
    client = Client()
    client.force_login(finance_user)
    page = client.post("/allocation/avrakning/", {"pool": pool.pk, "tolerance": "0"}).content.decode()
    assert "ingen debiteringskörning" in page and not Settlement.objects.exists()


def test_budget_frames_put_next_years_frame_beside_this_years_charge(charged_year, steering_user):
    key = approve_key(
        allocation_key_compute_measured(
            name="2027",
            window_from=date(2026, 3, 1),
            window_to=date(2026, 5, 1),
            basis="cases",
            valid_from=date(2027, 1, 1),
        )
    )
    CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("2200.00"), key=key, is_co_financing=True)
    client = Client()
    client.force_login(steering_user)
    page = client.get("/allocation/budgetramar/?year=2027").content.decode()
    # 2027: 2,200 kr by 14:4:4 → UF 1,400; 2026 charged UF 300: +1,100 kr, +366.7 %.
    assert 'id="budget-frames"' in page
    assert "1\u00a0400,00\u00a0kr" in page and "1\u00a0100,00\u00a0kr" in page and "366,7" in page
    xlsx = client.get("/allocation/budgetramar/?year=2027&format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_price_based_pool_charges_price_times_measured_volume_and_shows_the_deficit(volumes, finance_user):
    from allocation.runs.allocate import run_amounts
    from allocation.runs.prices import pool_price_decide

    steering = make_user("styr.pris", roles.STEERING_GROUP)
    per_case = CostPool.objects.create(
        name="Pris per ärende", year=2026, gross_amount=Decimal("500.00"), pricing="per_case", price=Decimal("40")
    )
    # A price no one approved never charges (the attack billed 161.7 bn kr this way).
    with pytest.raises(ValidationError, match="Pris per ärende"):
        allocation_run_create(pool=per_case, user=finance_user)
    pool_price_decide(pool=per_case, status="proposed", user=finance_user)
    with pytest.raises(PermissionDenied):
        pool_price_decide(pool=per_case, status="approved", user=finance_user)  # four eyes
    pool_price_decide(pool=per_case, status="approved", user=steering)
    per_case.price = Decimal("4000000")  # changed on the pool afterwards, not approved: not charged
    per_case.save()
    run = allocation_run_create(pool=per_case, user=finance_user)
    annual, months = run_amounts(run)
    # March: UF 3 cases, SOF 1 + 0.6 × 5, TF 0.4 × 5; April: TF 2. Central cases are charged to nobody.
    assert annual == {"UF": Decimal("120.00"), "SOF": Decimal("160.00"), "TF": Decimal("160.00")}
    assert months[3] == {"UF": Decimal("120.00"), "SOF": Decimal("160.00"), "TF": Decimal("80.00")}
    assert run.key is None and run.is_charging
    assert run.inputs["recovered"] == "440.00" and run.inputs["surplus"] == "-60.00"
    per_minute = CostPool.objects.create(
        name="Pris per minut", year=2026, gross_amount=Decimal("100.00"), pricing="per_minute", price=Decimal("8")
    )
    pool_price_decide(pool=per_minute, status="proposed", user=finance_user)
    pool_price_decide(pool=per_minute, status="approved", user=steering)
    annual, _months = run_amounts(allocation_run_create(pool=per_minute))
    # UF 3 × 120 s = 6 min; SOF 600 s + 0.6 × 300 s = 13 min; TF 0.4 × 300 s + 20 s = 2⅓ min.
    assert annual == {"UF": Decimal("48.00"), "SOF": Decimal("104.00"), "TF": Decimal("18.67")}
    client = Client()
    client.force_login(finance_user)
    page = client.get(f"/allocation/runs/{run.pk}/").content.decode()
    assert 'id="run-surplus"' in page and "-60.00" in page
    from allocation.runs.pools import cost_pool_save

    per_case.is_co_financing = True
    with pytest.raises(ValidationError, match="nyckel, inte efter pris"):
        cost_pool_save(pool=per_case, user=finance_user)
