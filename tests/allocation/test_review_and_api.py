"""Review in the browser, the allocation API, Excel downloads, and immutability by every path."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from allocation.keys.compute import allocation_key_create_from_values
from allocation.keys.decisions import allocation_key_decide
from allocation.models import AllocationKey, AllocationRun, CostPool, KeyShare
from cases.models import AuditEntry, GroupingMapVersion
from tests.conftest import approve_key
from tests.conftest import measured_key as _key

pytestmark = pytest.mark.django_db(transaction=True)


def _api(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_steering_group_reviews_and_approves_a_key_in_the_browser(volumes, finance_user, steering_user):
    key = _key()
    finance = Client()
    finance.force_login(finance_user)
    page = finance.get(f"/allocation/keys/{key.pk}/").content.decode()
    assert "Föreslå för styrgruppen" in page and "Godkänn" not in page
    finance.post(f"/allocation/keys/{key.pk}/decision/", {"status": "proposed", "comment": "Inför 2027"})
    assert AllocationKey.objects.get(pk=key.pk).status == "proposed"
    steering = Client()
    steering.force_login(steering_user)
    page = steering.get(f"/allocation/keys/{key.pk}/").content.decode()
    assert "Godkänn" in page and "Andelar" in page
    assert "27,27" in page  # UF 3 of 11, with a Swedish decimal comma
    response = steering.post(f"/allocation/keys/{key.pk}/decision/", {"status": "approved", "comment": "Beslutat"})
    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.status, key.decided_by) == ("approved", steering_user)
    assert [(d.to_status, d.comment) for d in key.decisions.all()] == [
        ("proposed", "Inför 2027"),
        ("approved", "Beslutat"),
    ]
    assert "godkänd" in steering.get(response["Location"]).content.decode()


def test_finance_cannot_approve_and_a_head_cannot_see_keys(volumes, finance_user, head_user):
    key = _key()
    allocation_key_decide(key=key, status="proposed", user=finance_user)
    finance = Client()
    finance.force_login(finance_user)
    assert finance.post(f"/allocation/keys/{key.pk}/decision/", {"status": "approved"}).status_code == 403
    assert AllocationKey.objects.get(pk=key.pk).status == "proposed"
    head = Client()
    head.force_login(head_user)
    assert head.get("/allocation/keys/").status_code == 403
    assert head.get(f"/allocation/keys/{key.pk}/").status_code == 403
    assert _api(head_user).get("/api/v1/keys/").status_code == 403


def test_the_comparison_page_shows_points_kronor_and_the_groupings_behind_them(volumes):
    a = _key("cases")
    b = _key("weighted")
    client = Client()
    from tests.conftest import make_user

    client.force_login(make_user("sg2", "steering_group", staff=True))
    page = client.get(f"/allocation/keys/compare/?a={a.pk}&b={b.pk}&amount=1000").content.decode()
    assert "Skillnad B − A, nytt − gällande (procentenheter)" in page and "Grupperingar som driver skillnaden" in page
    assert "SOF-01" in page
    # The driving groupings are named, and the table has a total row: 100 % each, 0 between them.
    from cases.models import Grouping

    assert Grouping.objects.get(code="SOF-01").name in page
    total = page[page.index('id="comparison-total"') :]
    total = total[: total.index("</tr>")]
    assert total.count("100,00") == 2 and "1\u00a0000,00" in total, total


def test_the_api_computes_decides_compares_and_allocates(volumes, finance_user, steering_user):
    api = _api(finance_user)
    created = api.post(
        "/api/v1/keys/compute/",
        {"name": "API", "window_from": "2026-03", "window_to": "2026-04", "basis": "cases", "valid_from": "2027-01-01"},
        format="json",
    )
    assert created.status_code == 201, created.content
    key_id = created.json()["id"]
    assert {s["administration"]: s["share"] for s in created.json()["shares"]}["UF"] == "0.272727272727"
    assert api.post(f"/api/v1/keys/{key_id}/decision/", {"status": "approved"}, format="json").status_code == 403
    assert api.post(f"/api/v1/keys/{key_id}/decision/", {"status": "proposed"}, format="json").status_code == 200
    approved = _api(steering_user).post(f"/api/v1/keys/{key_id}/decision/", {"status": "approved"}, format="json")
    assert approved.json()["status"] == "approved"
    other = _key("weighted")
    compared = api.get(f"/api/v1/keys/compare/?a={key_id}&b={other.pk}&amount=1000.00").json()
    rows = {r["administration"]: r for r in compared["administrations"]}
    assert sum(Decimal(r["amount_a"]) for r in rows.values()) == Decimal("1000.00")
    assert sum(Decimal(r["diff_pp"]) for r in rows.values()) == 0
    run = api.post("/api/v1/runs/create/", {"key": key_id, "amount": "1000.00"}, format="json")
    assert run.status_code == 201
    assert run.json()["amounts"] == {"SOF": "363.64", "TF": "363.63", "UF": "272.73"}
    assert len(run.json()["months"]) == 12


def test_a_refused_key_is_a_400_with_the_reason(volumes, finance_user):
    response = _api(finance_user).post(
        "/api/v1/keys/compute/",
        {"name": "Tom", "window_from": "2019-01", "window_to": "2019-12", "basis": "cases", "valid_from": "2027-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "noll" in str(response.json())
    assert not AllocationKey.objects.exists()


def test_what_if_moves_a_grouping_without_saving_and_can_save_a_draft_map(volumes, finance_user):
    key = _key()
    before_versions = GroupingMapVersion.objects.count()
    body = {"changes": {"UF-01": [{"administration": "TF", "fraction": "1"}]}, "amount": "1100.00"}
    response = _api(finance_user).post(f"/api/v1/keys/{key.pk}/what-if/", body, format="json")
    assert response.status_code == 200, response.content
    rows = {r["administration"]: r for r in response.json()["administrations"]}
    assert rows["UF"]["percent_what_if"] == "0.00" and rows["UF"]["amount_what_if"] == "0.00"
    assert rows["TF"]["amount_what_if"] == "700.00"  # TF 4 + 3 of 11 → 7/11 of 1100
    assert GroupingMapVersion.objects.count() == before_versions
    assert KeyShare.objects.get(key=key, administration__code="UF").load == 3
    saved = _api(finance_user).post(
        f"/api/v1/keys/{key.pk}/what-if/", {**body, "save_as_draft_from": "2027-01-01"}, format="json"
    )
    draft = GroupingMapVersion.objects.get(pk=saved.json()["draft_map_version"])
    assert draft.is_draft and draft.entries.get(grouping__code="UF-01").administration.code == "TF"


def test_what_if_refuses_fractions_that_do_not_add_up(volumes, finance_user):
    key = _key()
    body = {
        "changes": {
            "SPLIT-01": [{"administration": "SOF", "fraction": "0.5"}, {"administration": "TF", "fraction": "0.4"}]
        }
    }
    response = _api(finance_user).post(f"/api/v1/keys/{key.pk}/what-if/", body, format="json")
    assert response.status_code == 400
    assert "till 0,9, inte 1" in str(response.json())  # the sum as written, not "0,900000"


def test_key_and_run_excel_files_hold_the_figures_of_the_page(volumes, finance_user):
    from openpyxl import load_workbook

    key = approve_key(_key())
    pool = CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("1000.00"), key=key)
    api = _api(finance_user)
    run_id = api.post("/api/v1/runs/create/", {"key": key.pk, "pool": pool.pk}, format="json").json()["id"]
    wb = load_workbook(io.BytesIO(api.get(f"/api/v1/keys/{key.pk}/excel/").content))
    assert wb.sheetnames == ["Andelar", "Belastning per gruppering", "Indata", "Robusthet"]
    shares = {row[0]: row[4] for row in wb["Andelar"].iter_rows(min_row=2, values_only=True)}
    # Two-decimal percentages by largest remainder: the spare 0.01 goes to SOF (tie with TF, lower code).
    assert shares == {"SOF": 36.37, "TF": 36.36, "UF": 27.27}
    wb = load_workbook(io.BytesIO(api.get(f"/api/v1/runs/{run_id}/excel/").content))
    annual = {row[0]: row[3] for row in wb["Årsbelopp"].iter_rows(min_row=2, values_only=True)}
    assert annual["Summa"] == 1000
    run = AllocationRun.objects.get(pk=run_id)
    for amount in run.amounts.filter(month__isnull=True).select_related("administration"):
        assert Decimal(str(annual[amount.administration.code])) == amount.amount
    assert wb["Årsbelopp"].freeze_panes == "A2"


def test_driver_and_fixed_keys(volumes):
    driver = allocation_key_create_from_values(
        name="Växel", kind="driver", valid_from=date(2027, 1, 1), values={"UF": Decimal(30), "SOF": Decimal(10)}
    )
    assert dict(driver.shares.values_list("administration__code", "share")) == {
        "SOF": Decimal("0.25"),
        "TF": Decimal("0"),
        "UF": Decimal("0.75"),
    }
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="99"):
        allocation_key_create_from_values(
            name="Fast", kind="fixed", valid_from=date(2027, 1, 1), values={"UF": Decimal(50), "SOF": Decimal(49)}
        )
    with pytest.raises(ValidationError, match="XYZ"):
        allocation_key_create_from_values(
            name="Fel", kind="driver", valid_from=date(2027, 1, 1), values={"XYZ": Decimal(1)}
        )


def test_an_approved_key_cannot_change_in_the_database_either(volumes, finance_user, steering_user, postgres):
    key = _key()
    allocation_key_decide(key=key, status="proposed", user=finance_user)
    allocation_key_decide(key=key, status="approved", user=steering_user)
    for sql in (
        "UPDATE allocation_keyshare SET share = 0 WHERE key_id = %s",
        "UPDATE allocation_allocationkey SET name = 'x' WHERE id = %s",
        "DELETE FROM allocation_keyshare WHERE key_id = %s",
        "DELETE FROM allocation_allocationkey WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="is frozen"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql, [key.pk])
    assert KeyShare.objects.filter(key=key).count() == 3
    # A newer approved key for the pool that uses it may still supersede it.
    from allocation.models import CostPool

    pool = CostPool.objects.create(name="KC", year=key.valid_from.year, gross_amount=Decimal("100.00"), key=key)
    newer = _key()
    allocation_key_decide(key=newer, status="proposed", user=finance_user, pool=pool)
    allocation_key_decide(key=newer, status="approved", user=steering_user)
    assert AllocationKey.objects.get(pk=key.pk).status == "superseded"


def test_the_admin_shows_keys_read_only_and_audits_pool_changes(volumes, finance_user):
    key = _key()
    client = Client()
    client.force_login(finance_user)
    assert client.get(f"/admin/allocation/allocationkey/{key.pk}/change/").status_code == 200
    response = client.post(f"/admin/allocation/allocationkey/{key.pk}/change/", {"name": "Ändrad"})
    assert response.status_code == 403
    assert AllocationKey.objects.get(pk=key.pk).name == "Test"
    response = client.post(
        "/admin/allocation/costpool/add/",
        {
            "name": "Växel",
            "year": "2027",
            "gross_amount": "1250000.00",
            "unit": "krona",
            "pricing": "key",
            "key": "",
            "funding_lines-TOTAL_FORMS": "1",
            "funding_lines-INITIAL_FORMS": "0",
            "funding_lines-0-label": "Startbidrag",
            "funding_lines-0-amount": "100000.00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AuditEntry.objects.filter(action="pool.create", user=finance_user).exists()
    created = AuditEntry.objects.get(action="pool.create", user=finance_user)
    assert created.after["funding"]  # the funding lines are in the pool's audit entry


def test_a_switchboard_key_by_extensions_from_a_file_and_through_the_api(volumes, finance_user, tmp_path):
    import json as _json

    from django.core.management import CommandError, call_command

    path = tmp_path / "anknytningar.csv"
    path.write_text("förvaltning;antal\nUF;120\nSOF;60\nTF;20\n", encoding="utf-8")
    out = io.StringIO()
    call_command(
        "create_key",
        "--kind",
        "driver",
        "--name",
        "Växel",
        "--valid-from",
        "2027-01-01",
        "--file",
        str(path),
        "--json",
        stdout=out,
    )
    doc = _json.loads(out.getvalue())
    assert doc["shares"] == {"SOF": "0.300000000000", "TF": "0.100000000000", "UF": "0.600000000000"}
    bad = tmp_path / "fel.csv"
    bad.write_text("administration,value\nUF,tio\nUF,5\n", encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        call_command("create_key", "--kind", "driver", "--name", "X", "--valid-from", "2027-01-01", "--file", str(bad))
    assert "Rad 2" in str(excinfo.value) and "tio" in str(excinfo.value)
    response = _api(finance_user).post(
        "/api/v1/keys/from-values/",
        {"name": "Fast", "kind": "fixed", "valid_from": "2027-01-01", "values": {"UF": "50", "SOF": "30", "TF": "20"}},
        format="json",
    )
    assert response.status_code == 201
    refused = _api(finance_user).post(
        "/api/v1/keys/from-values/",
        {"name": "Fast", "kind": "fixed", "valid_from": "2027-01-01", "values": {"UF": "50", "SOF": "30"}},
        format="json",
    )
    assert refused.status_code == 400 and "80" in str(refused.json())
