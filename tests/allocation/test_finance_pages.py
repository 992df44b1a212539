"""The finance cycle in the web: organisation, map, keys, pools, runs, what-if, drift, start page."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from allocation.models import AllocationKey, AllocationRun, CostPool
from cases.models import Administration, AuditEntry, DataSource
from cases.selectors import grouping_map_on
from tests.conftest import approve_key

pytestmark = pytest.mark.django_db(transaction=True)


def test_finance_computes_a_measured_key_in_a_form_seeing_the_checks_first(volumes, finance):
    form = {
        "name": "Mätt 2027",
        "window_from": "2026-03",
        "window_to": "2026-05",
        "basis": "cases",
        "valid_from": "2027-01-01",
    }
    page = finance.post("/allocation/keys/new/measured/", {**form, "check": "1"}).content.decode()
    assert "Månaden maj 2026 saknar data helt" in page and 'id="key-preview"' in page
    assert not AllocationKey.objects.exists()  # the check saved nothing
    response = finance.post("/allocation/keys/new/measured/", {**form, "save": "1"})
    key = AllocationKey.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/allocation/keys/{key.pk}/"
    assert key.status == "draft" and key.warnings


def test_a_key_with_unowned_volume_is_refused_in_the_form_with_the_groupings(volumes, finance):
    from cases.models import Grouping
    from tests.conftest import csv_bytes
    from tests.imports.helpers import run_import

    Grouping.objects.create(code="NY-99", name="Ny")
    run_import(volumes["source"], csv_bytes(["Z1,2026-04-03 10:00,phone,NY-99,1,,,"]), name="z.csv", replace=True)
    page = finance.post(
        "/allocation/keys/new/measured/",
        {
            "name": "X",
            "window_from": "2026-03",
            "window_to": "2026-04",
            "basis": "cases",
            "valid_from": "2027-01-01",
            "check": "1",
        },
    ).content.decode()
    assert "NY-99" in page and not AllocationKey.objects.exists()


def test_driver_and_fixed_keys_by_form_and_by_file(org, finance):
    finance.post(
        "/allocation/keys/new/values/",
        {"name": "Växeln", "kind": "driver", "valid_from": "2026-01-01", "values": "UF; 30\nSOF; 10\n"},
    )
    driver = AllocationKey.objects.get(name="Växeln")
    assert dict(driver.shares.values_list("administration__code", "load"))["UF"] == Decimal(30)
    bad = finance.post(
        "/allocation/keys/new/values/",
        {"name": "Fast", "kind": "fixed", "valid_from": "2026-01-01", "values": "UF; 60\nSOF; 30\n"},
    ).content.decode()
    assert "100" in bad and not AllocationKey.objects.filter(name="Fast").exists()
    upload = io.BytesIO(b"administration,value\nUF,60\nSOF,30\nTF,10\n")
    upload.name = "fast.csv"
    finance.post(
        "/allocation/keys/new/values/", {"name": "Fast", "kind": "fixed", "valid_from": "2026-01-01", "file": upload}
    )
    assert AllocationKey.objects.get(name="Fast").kind == "fixed"


def test_a_pool_is_created_and_run_from_its_page_with_a_preview(volumes, finance):
    from allocation.keys.compute import allocation_key_compute_measured

    key = approve_key(
        allocation_key_compute_measured(
            name="K",
            window_from=date(2026, 3, 1),
            window_to=date(2026, 4, 1),
            basis="cases",
            valid_from=date(2026, 1, 1),
        )
    )
    response = finance.post(
        "/allocation/pools/",
        {
            "name": "Medfinansiering",
            "year": "2026",
            "gross": "1 200,00",
            "funding": "Växeln; 100\nStartbidrag; 100,00",
            "key": key.pk,
            "unit": "ore",
            "is_co_financing": "on",
        },
    )
    pool = CostPool.objects.get()
    assert response.status_code == 302 and pool.is_co_financing and pool.funding_lines.count() == 2
    assert AuditEntry.objects.filter(action="pool.create").exists()
    page = finance.get(f"/allocation/pools/{pool.pk}/?preview=1").content.decode()
    assert 'id="preview"' in page and ("1\u00a0000,00" in page or "1 000,00" in page)
    assert not AllocationRun.objects.exists()  # a preview saves nothing
    response = finance.post(f"/allocation/pools/{pool.pk}/", {"run": "1"})
    run = AllocationRun.objects.get()
    assert run.is_charging and response["Location"] == f"/allocation/runs/{run.pk}/"
    page = finance.get(response["Location"]).content.decode()
    assert 'id="run-months"' in page and f"/api/v1/runs/{run.pk}/excel/" in page
    # A bad amount is refused with the parser's message, nothing saved.
    page = finance.post(
        "/allocation/pools/", {"name": "X", "year": "2027", "gross": "1e9", "unit": "ore"}
    ).content.decode()
    assert "inget belopp" in page and CostPool.objects.count() == 1


def test_a_pool_with_a_draft_key_cannot_be_run_from_its_page(volumes, finance):
    from allocation.keys.compute import allocation_key_compute_measured

    key = allocation_key_compute_measured(
        name="K", window_from=date(2026, 3, 1), window_to=date(2026, 4, 1), basis="cases", valid_from=date(2026, 1, 1)
    )
    pool = CostPool.objects.create(name="KC", year=2026, gross_amount=Decimal("100.00"), key=key)
    page = finance.get(f"/allocation/pools/{pool.pk}/?preview=1").content.decode()
    assert "bara en godkänd nyckel får debitera" in page
    finance.post(f"/allocation/pools/{pool.pk}/", {"run": "1"})
    assert not AllocationRun.objects.exists()


def test_what_if_shows_old_and_new_shares_and_saves_a_draft_map_change(volumes, finance):
    from allocation.keys.compute import allocation_key_compute_measured

    key = allocation_key_compute_measured(
        name="K", window_from=date(2026, 3, 1), window_to=date(2026, 4, 1), basis="cases", valid_from=date(2027, 1, 1)
    )
    page = finance.post(
        f"/allocation/keys/{key.pk}/what-if/", {"changes": "UF-01: TF=1", "amount": "1 100"}
    ).content.decode()
    assert 'id="what-if-result"' in page and "data:image/svg+xml;base64," in page
    bad = finance.post(f"/allocation/keys/{key.pk}/what-if/", {"changes": "UF-01: TF=0.5"}).content.decode()
    assert "inte 1" in bad
    response = finance.post(
        f"/allocation/keys/{key.pk}/what-if/", {"changes": "UF-01: TF=1", "valid_from": "2027-01-01", "save": "1"}
    )
    assert response.status_code == 302
    draft_id = int(response["Location"].split("draft=")[1])
    assert grouping_map_on(on=date(2027, 6, 1))["UF-01"][0].administration == "UF"  # a draft is not in force
    finance.post(f"/organisation/karta/utkast/{draft_id}/gor-verklig/")
    assert grouping_map_on(on=date(2027, 6, 1))["UF-01"][0].administration == "TF"


def test_the_drift_page_shows_measured_against_the_co_financing_key(volumes, steering_user):
    from allocation.keys.compute import allocation_key_compute_measured

    key = approve_key(
        allocation_key_compute_measured(
            name="K",
            window_from=date(2026, 3, 1),
            window_to=date(2026, 4, 1),
            basis="cases",
            valid_from=date(2026, 1, 1),
        )
    )
    CostPool.objects.create(name="KC", year=2026, gross_amount=Decimal("1"), key=key, is_co_financing=True)
    client = Client()
    client.force_login(steering_user)
    page = client.get("/allocation/drift/?month=2026-04").content.decode()
    assert 'id="drift-chart"' in page and "27,27" in page and "2026-04" in page  # figures the Swedish way


def test_the_map_pages_edit_a_grouping_from_a_date_and_download_what_uploads_again(volumes, finance):
    page = finance.get("/organisation/karta/?on=2026-06-01&q=split").content.decode()
    assert "SPLIT-01" in page and "UF-01" not in page
    preview = finance.post(
        "/organisation/karta/gruppering/UF-01/",
        {"valid_from": "2026-07-01", "owners": "UF; 0,5\nTF; 0,5", "preview": "1"},
    ).content.decode()
    assert 'id="grouping-preview"' in preview and "1,5" in preview  # 3 cases, half each
    finance.post(
        "/organisation/karta/gruppering/UF-01/", {"valid_from": "2026-07-01", "owners": "UF; 0,5\nTF; 0,5", "save": "1"}
    )
    assert [o.administration for o in grouping_map_on(on=date(2026, 8, 1))["UF-01"]] == ["UF", "TF"]
    bad = finance.post(
        "/organisation/karta/gruppering/UF-01/", {"valid_from": "2026-09-01", "owners": "UF; 0,5", "save": "1"}
    ).content.decode()
    assert "summerar till 0,5" in bad
    diff = finance.get("/organisation/karta/skillnad/?from=2026-06-01&to=2026-08-01").content.decode()
    assert "UF-01" in diff and "TF-01" not in diff
    exported = finance.get("/organisation/karta/export.csv?on=2026-08-01").content
    upload = io.BytesIO(exported)
    upload.name = "karta.csv"
    before = AuditEntry.objects.filter(action="grouping_map.change").count()
    result = finance.post("/organisation/karta/ladda-upp/", {"file": upload}).content.decode()
    assert 'id="map-upload-result"' in result
    assert AuditEntry.objects.filter(action="grouping_map.change").count() == before  # round trip: no change
    xlsx = finance.get("/organisation/karta/export.xlsx?on=2026-08-01")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_administrations_are_created_renamed_and_ended_only_when_they_own_nothing(org, finance):
    finance.post(
        "/organisation/forvaltningar/",
        {"code": "KFF", "name": "Kultur- och fritidsförvaltningen", "cost_centre": "6100", "valid_from": "2020-01-01"},
    )
    assert Administration.objects.get(code="KFF").cost_centre == "6100"
    page = finance.post(
        "/organisation/forvaltningar/TF/",
        {
            "code": "TF",
            "name": "Tekniska förvaltningen",
            "cost_centre": "4800",
            "valid_from": "2000-01-01",
            "valid_to": "2026-12-31",
        },
    ).content.decode()
    assert "äger fortfarande" in page and "TF-01" in page
    assert Administration.objects.get(code="TF").valid_to is None
    finance.post(
        "/organisation/forvaltningar/KFF/",
        {
            "code": "KFF",
            "name": "Kultur och fritid",
            "cost_centre": "6100",
            "valid_from": "2020-01-01",
            "valid_to": "2026-12-31",
        },
    )
    kff = Administration.objects.get(code="KFF")
    assert kff.name == "Kultur och fritid" and kff.valid_to == date(2026, 12, 31)
    assert AuditEntry.objects.filter(action="administration.change", object_id=str(kff.pk)).count() == 1


def test_sources_are_registered_with_a_profile_in_the_web_and_with_add_source(org, finance, tmp_path):
    response = finance.post(
        "/organisation/kallor/",
        {
            "name": "Chatt",
            "delivers_monthly": "on",
            "profile": '{"columns": {"case_id": "Ärendenummer"}, "date_format": "%d/%m/%Y %H:%M"}',
        },
    )
    assert response.status_code == 302
    assert DataSource.objects.get(name="Chatt").profile == {
        "columns": {"case_id": "Ärendenummer"},
        "date_format": "%d/%m/%Y %H:%M",
    }
    page = finance.post("/organisation/kallor/", {"name": "Fel", "profile": '{"columns": {"kundnummer": "X"}}'})
    assert "kundnummer" in page.content.decode() and not DataSource.objects.filter(name="Fel").exists()
    profile = tmp_path / "bank.json"
    profile.write_text(
        json.dumps({"columns": {"case_id": "call_id", "opened_at": "vru_entry"}, "date_format": "%y%m%d %H:%M:%S"})
    )
    out = StringIO()
    call_command("add_source", "Bank", "--profile", str(profile), "--json", stdout=out)
    assert json.loads(out.getvalue())["created"] is True
    assert DataSource.objects.get(name="Bank").profile["columns"] == {"case_id": "call_id", "opened_at": "vru_entry"}
    profile.write_text(json.dumps({"columns": {"kundnummer": "x"}}))
    with pytest.raises(CommandError, match="kundnummer") as refused:
        call_command("add_source", "Bank", "--profile", str(profile), stdout=StringIO())
    assert refused.value.returncode == 1
    profile.write_text("{not json")
    with pytest.raises(CommandError, match="inte giltig JSON"):
        call_command("add_source", "Bank", "--profile", str(profile), stdout=StringIO())


def test_the_start_page_tells_finance_staff_what_needs_attention(volumes, finance):
    from cases.models import DataSource as Source

    Source.objects.create(name="E-post", delivers_monthly=True)  # has delivered nothing
    CostPool.objects.create(name="KC", year=date.today().year, gross_amount=Decimal("1"))
    page = finance.get("/").content.decode()
    assert 'id="attention"' in page
    assert "Källan E-post saknar april 2026" in page
    assert "Månader med data som inte är publicerade: mars 2026, april 2026" in page
    assert "har ingen debiteringskörning" in page


def test_the_cost_page_shows_what_a_case_and_a_minute_cost_in_a_measured_month(volumes, finance):
    from allocation.models import CentreCost

    page = finance.get("/allocation/kostnad/?month=2026-03").content.decode()
    assert "Ingen kostnad" in page or "No cost" in page
    response = finance.post(
        "/allocation/kostnad/?month=2026-03",
        {
            "staff": "2",
            "hours_per_person": "165",
            "utilisation": "0.5",
            "staff_cost": "90000",
            "recruitment": "0",
            "training": "0",
            "overhead": "9000",
            "price_per_minute": "8",
            "price_per_case": "40",
        },
    )
    assert response.status_code == 302 and CentreCost.objects.get().total == Decimal("99000")
    page = finance.get("/allocation/kostnad/?month=2026-03").content.decode()
    # 19 handled cases in March: 99,000 kr / 19 = 5,210.53 kr a case; 9,900 productive minutes.
    assert "5\u00a0210,53\u00a0kr" in page and "9\u00a0900" in page
    assert 'id="cost-per-grouping"' in page
    assert AuditEntry.objects.filter(action="centre_cost.create").exists()
