"""The same import through the API, the admin upload page and the import_cases command."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import CaseRecord
from imports.models import ImportBatch
from tests.conftest import csv_bytes, good_rows, uploaded_file

pytestmark = pytest.mark.django_db(transaction=True)


def _api(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_upload_answers_202_with_a_url_that_shows_status_and_progress(org, finance_user):
    client = _api(finance_user)
    response = client.post(
        "/api/v1/imports/upload/",
        {"file": uploaded_file(csv_bytes(good_rows(n=5))), "source": "Telefoni", "month": "2026-03"},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    assert response["Location"] == response.json()["url"]
    status = client.get(response.json()["url"]).json()
    assert status["status"] == "loaded"
    assert status["progress"] == 100
    assert status["rows_loaded"] == 5
    assert status["row_errors"] == []


def test_upload_of_a_bad_file_shows_the_first_row_errors_and_a_report(org, finance_user):
    client = _api(finance_user)
    rows = good_rows(n=3)
    rows[1] = "A1,2026-03-02 09:00,fax,UF-01,1,1,1,"
    response = client.post(
        "/api/v1/imports/upload/", {"file": uploaded_file(csv_bytes(rows)), "source": "Telefoni"}, format="multipart"
    )
    status = client.get(response.json()["url"]).json()
    assert status["status"] == "rejected"
    assert status["row_errors"][0] == {
        "row_number": 3,
        "column": "channel",
        "value": "fax",
        "reason": status["row_errors"][0]["reason"],
    }
    report = client.get(status["errors_csv"])
    assert report.status_code == 200
    text = report.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "rad;kolumn;värde;orsak"
    assert '3;channel;fax;"okänd kanal' in text


def test_upload_refuses_a_bad_month_and_an_unknown_source_with_400(org, finance_user):
    client = _api(finance_user)
    bad_month = client.post(
        "/api/v1/imports/upload/",
        {"file": uploaded_file(csv_bytes(good_rows())), "source": "Telefoni", "month": "mars"},
        format="multipart",
    )
    assert bad_month.status_code == 400
    assert "ÅÅÅÅ-MM" in json.dumps(bad_month.json(), ensure_ascii=False)
    unknown = client.post(
        "/api/v1/imports/upload/", {"file": uploaded_file(csv_bytes(good_rows())), "source": "Fax"}, format="multipart"
    )
    assert unknown.status_code == 400
    assert not ImportBatch.objects.exists()


def test_the_same_file_twice_through_the_api_is_a_400_naming_the_first_batch(org, finance_user):
    client = _api(finance_user)
    data = csv_bytes(good_rows())
    first = client.post(
        "/api/v1/imports/upload/", {"file": uploaded_file(data), "source": "Telefoni"}, format="multipart"
    )
    second = client.post(
        "/api/v1/imports/upload/", {"file": uploaded_file(data), "source": "Telefoni"}, format="multipart"
    )
    assert second.status_code == 400
    assert f"#{first.json()['id']}" in second.json()["detail"][0]


@pytest.mark.parametrize("who", ["anonymous", "head", "steering"])
def test_only_finance_staff_may_upload_or_read_imports(org, head_user, steering_user, who):
    client = APIClient()
    if who == "head":
        client.force_authenticate(head_user)
    elif who == "steering":
        client.force_authenticate(steering_user)
    response = client.post(
        "/api/v1/imports/upload/",
        {"file": uploaded_file(csv_bytes(good_rows())), "source": "Telefoni"},
        format="multipart",
    )
    assert response.status_code in (401, 403)
    assert client.get("/api/v1/imports/").status_code in (401, 403)
    assert not ImportBatch.objects.exists()


def test_the_admin_upload_page_loads_a_file_and_shows_the_progress_section(org, finance_user, client):
    client.force_login(finance_user)
    page = client.get(reverse("admin:imports_importbatch_upload"))
    assert page.status_code == 200
    assert "Ladda upp ärendelogg" in page.content.decode()
    response = client.post(
        reverse("admin:imports_importbatch_upload"),
        {"file": uploaded_file(csv_bytes(good_rows(n=4))), "source": "Telefoni", "kind": "cases", "month": ""},
    )
    assert response.status_code == 302
    shown = client.get(response["Location"]).content.decode()
    assert 'data-status-url="/api/v1/imports/' in shown
    assert "import-progress" in shown
    assert CaseRecord.objects.count() == 4


def test_a_department_head_cannot_reach_the_upload_page(org, head_user, client):
    client.force_login(head_user)
    response = client.get(reverse("admin:imports_importbatch_upload"))
    assert response.status_code == 302  # to the admin login: not staff
    assert not ImportBatch.objects.exists()


def test_import_cases_exits_0_when_loaded(org, tmp_path, capsys):
    path = tmp_path / "mars.csv"
    path.write_bytes(csv_bytes(good_rows(n=4)))
    call_command("import_cases", str(path), "--source", "Telefoni", "--wait", "--json")
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "loaded"
    assert doc["rows_loaded"] == 4


def test_import_cases_exits_1_when_rejected_and_names_the_first_errors(org, tmp_path, capsys):
    path = tmp_path / "mars.csv"
    path.write_bytes(csv_bytes(["A1,2026-03-02 09:00,fax,UF-01,1,1,1,"]))
    with pytest.raises(SystemExit) as excinfo:
        call_command("import_cases", str(path), "--source", "Telefoni", "--wait")
    assert excinfo.value.code == 1
    out = capsys.readouterr().out
    assert "rad 2, kolumn kanal (channel), värde ”fax”: okänd kanal" in out


def test_import_cases_exits_2_for_usage_errors(org, tmp_path):
    import subprocess
    import sys

    cases = [
        ["import_cases", str(tmp_path / "saknas.csv"), "--source", "Telefoni"],
        ["import_cases", __file__, "--source", "Okänd"],
        ["import_cases", __file__, "--source", "Telefoni", "--month", "mars"],
        ["import_cases"],
    ]
    from django.core.management import CommandError

    for argv in cases[:3]:
        with pytest.raises(CommandError) as excinfo:
            call_command(*argv)
        assert excinfo.value.returncode == 2
    proc = subprocess.run([sys.executable, "manage.py", *cases[3]], capture_output=True, text=True, check=False)
    assert proc.returncode == 2


def test_import_groupings_refuses_unknown_administrations_and_changes_nothing(org, tmp_path):
    from django.core.management import CommandError

    from cases.models import GroupingMapVersion

    before = GroupingMapVersion.objects.count()
    path = tmp_path / "karta.csv"
    path.write_text(
        "grouping,name,administration,fraction,central,valid_from\n"
        "UF-01,Förskola,UF,1,0,2026-01-01\n"
        "NY-01,Ny gruppering,XYZ,1,0,2026-01-01\n"
        "SPLIT-01,Delad,SOF,0.5,0,2026-01-01\n"
        "SPLIT-01,Delad,TF,0.4,0,2026-01-01\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as excinfo:
        call_command("import_groupings", str(path))
    message = str(excinfo.value)
    assert "Rad 3" in message and "XYZ" in message
    assert "summerar till 0,9" in message
    assert GroupingMapVersion.objects.count() == before


def test_import_groupings_loads_a_map_version_with_splits_and_central_groupings(org, tmp_path, capsys):
    from cases.selectors import grouping_map_in_force

    path = tmp_path / "karta.csv"
    path.write_text(
        "Gruppering;Namn;Förvaltning;Andel;Central;Giltig från\n"
        "UF-01;Förskola;UF;1;0;2026-01-01\n"
        "NY-01;Ny gruppering;SOF;0,25;0;2026-01-01\n"
        "NY-01;Ny gruppering;TF;0,75;0;2026-01-01\n"
        "CEN-01;Växeln;;;1;2026-01-01\n",
        encoding="utf-8",
    )
    call_command("import_groupings", str(path))
    from datetime import date

    version = grouping_map_in_force(on=date(2026, 6, 1))
    assert version is not None and version.valid_from == date(2026, 1, 1)
    # UF-01 and CEN-01 restate what is in force already: only NY-01 is a change of that date.
    assert sorted(version.entries.values_list("grouping__code", flat=True)) == ["NY-01", "NY-01"]
    from cases.selectors import grouping_map_on

    in_force = grouping_map_on(on=date(2026, 6, 1))
    assert in_force["CEN-01"][0].central and in_force["UF-01"][0].administration == "UF"
    assert sorted((o.administration, o.fraction) for o in in_force["NY-01"]) == [
        ("SOF", Decimal("0.25")),
        ("TF", Decimal("0.75")),
    ]


def test_import_administrations_creates_and_updates_by_code(org, tmp_path):
    from cases.models import Administration

    path = tmp_path / "forv.csv"
    path.write_text("code,name,cost_centre\nUF,Barn- och utbildningsförvaltningen,3100\nKFF,Kultur och fritid,6100\n")
    call_command("import_administrations", str(path))
    assert Administration.objects.get(code="UF").name == "Barn- och utbildningsförvaltningen"
    assert Administration.objects.filter(code="KFF").exists()


def test_a_stuck_batch_shows_as_stuck_in_the_admin_and_is_re_run_by_the_admin_action(
    org, finance_user, client, lost_messages
):
    import io
    from datetime import timedelta

    from django.utils import timezone

    from imports.services import import_batch_create

    with lost_messages():
        batch = import_batch_create(
            source=org["source"], stream=io.BytesIO(csv_bytes(good_rows(n=3))), filename="s.csv"
        )
    # What a worker that died mid-way leaves: processing, and no sign of life for an hour.
    ImportBatch.objects.filter(pk=batch.pk).update(
        status="processing", heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    client.force_login(finance_user)
    listing = client.get("/admin/imports/importbatch/").content.decode()
    assert "fastnat" in listing
    response = client.post(
        "/admin/imports/importbatch/", {"action": "requeue", "_selected_action": [batch.pk]}, follow=True
    )
    assert response.status_code == 200
    batch.refresh_from_db()
    assert batch.status == "loaded"
    assert CaseRecord.objects.count() == 3


def test_groupings_can_be_filtered_by_their_owner_in_the_map_in_force(org, steering_user):
    client = APIClient()
    client.force_authenticate(steering_user)
    codes = [g["code"] for g in client.get("/api/v1/groupings/?administration=TF").json()["results"]]
    assert codes == ["SPLIT-01", "TF-01"]


def test_the_import_list_filters_by_month(org, finance_user):
    client = APIClient()
    client.force_authenticate(finance_user)
    for month in ("2026-02", "2026-03"):
        client.post(
            "/api/v1/imports/upload/",
            {"file": uploaded_file(csv_bytes(good_rows(month=month, prefix=month))), "source": "Telefoni"},
            format="multipart",
        )
    listed = client.get("/api/v1/imports/?month=2026-03").json()["results"]
    assert [b["months"] for b in listed] == [["2026-03"]]


def test_import_cases_json_has_the_contracts_keys_even_when_refused(org, tmp_path, capsys):
    import json

    import pytest

    empty = tmp_path / "tom.csv"
    empty.write_bytes(b"")
    with pytest.raises(SystemExit) as exit_:
        call_command("import_cases", str(empty), "--source", "Telefoni", "--json")
    assert exit_.value.code == 1
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {
        "batch",
        "status",
        "rows_loaded",
        "rows_rejected",
        "rows_skipped",
        "months",
        "message",
        "errors",
    }
    assert doc["status"] == "refused" and "tom" in doc["message"]
