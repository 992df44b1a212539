"""The source profile form: a sample's headers as drop-downs, date formats detected from the
sample, and the same profile JSON the hand-written file gives (the anonymous bank export)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases.models import AuditEntry, DataSource
from imports.profile_form import date_format_candidates
from tests.conftest import browser_login, csv_bytes, ensure_channels, good_rows, service_missing

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
BANK = REALDATA / "anonymous-bank-callcentre" / "data_anonymous_bank_february.txt"
PROFILE_FILE = Path(__file__).resolve().parents[2] / "docs" / "profiles" / "anonymous-bank-callcentre.json"

BANK_VALUES = [
    ("outcome", "AGENT", "handled"),
    ("outcome", "HANG", "abandoned"),
    *[("grouping", code, f"BANK-{code}") for code in ("PS", "PE", "IN", "NE", "NW", "TT")],
]
BANK_FORM = {
    "column_case_id": "vru+line",
    "column_case_id_2": "call_id",
    "column_opened_at": "date",
    "column_opened_at_2": "vru_entry",
    "column_grouping": "type",
    "column_handle_seconds": "ser_time",
    "column_wait_seconds": "q_time",
    "column_outcome": "outcome",
    "constant_channel": "phone",
    "date_format": "%y%m%d %H:%M:%S",
    "duration_unit": "seconds",
    "skip_0_column": "outcome",
    "skip_0_value": "PHANTOM",
    **{
        f"value_{i}_{part}": v
        for i, row in enumerate(BANK_VALUES)
        for part, v in zip(("column", "from", "to"), row, strict=True)
    },
}


def _bank_sample() -> SimpleUploadedFile:
    if not BANK.exists():
        service_missing(f"needs the real export {BANK}")
    with BANK.open("rb") as fh:
        head = b"".join(fh.readline() for _ in range(200))  # a sample: the first rows of the export
    return SimpleUploadedFile("bank.txt", head, content_type="text/plain")


def read_bank_sample_in_the_form(page: Any, folder: Path) -> None:
    """On the profile form: the first rows of the bank export read as the sample."""
    sample = folder / "bank.txt"
    sample.write_bytes(_bank_sample().read())
    page.set_input_files("#id_file", str(sample))
    page.click("#sample-form button[type=submit]")
    page.wait_for_selector("#profile-form")


def fill_bank_form(page: Any) -> None:
    """On the profile form with the bank sample read: every answer of BANK_FORM given, the date
    format chosen once the form offers it (the live preview then shows the rows)."""
    for name, value in BANK_FORM.items():
        if name == "date_format":
            continue
        field = page.locator(f"#id_{name}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.wait_for_function("() => document.querySelectorAll('#id_date_format option').length > 1")
    page.select_option("#id_date_format", BANK_FORM["date_format"])
    page.wait_for_selector("#preview-rows")


def _token(response: Any) -> str:
    found = re.search(r'name="sample" value="([^"]+)"', response.content.decode())
    assert found, "the sample's headers are carried in the form"
    return found.group(1)


@pytest.fixture
def finance_client(finance_user) -> Client:  # type: ignore[no-untyped-def,unused-ignore]
    client = Client()
    client.force_login(finance_user)
    return client


@pytest.mark.django_db
def test_the_bank_export_is_connected_through_the_form_and_its_preview_loads_rows(finance_client):
    ensure_channels()
    source = DataSource.objects.create(name="Banken")
    url = reverse("imports:source-profile", args=[source.pk])
    first = finance_client.post(url, {"file": _bank_sample()})
    assert first.status_code == 200
    page = first.content.decode()
    assert 'value="vru+line"' in page and 'value="ser_time"' in page
    response = finance_client.post(url, {"sample": _token(first), **BANK_FORM})
    assert response.status_code == 302, response.content.decode()[:3000]
    source.refresh_from_db()
    assert source.profile == json.loads(PROFILE_FILE.read_text(encoding="utf-8"))
    assert AuditEntry.objects.filter(object_type="data_source", object_id=str(source.pk)).exists()
    preview = finance_client.post(
        reverse("imports:source-preview"),
        {"source": source.pk, "profile": json.dumps(source.profile), "file": _bank_sample()},
    )
    assert preview.status_code == 200
    assert preview.context["preview"].file_error == ""
    assert len(preview.context["preview"].rows) == 20


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"column_grouping": "typ"}, "typ är ingen kolumn i provfilen."),
        ({"date_format": "%d/%m/%Y %H:%M"}, "%d/%m/%Y %H:%M kan inte läsa provfilens datum."),
        ({"column_opened_at": "outcome", "date_format": ""}, "Inget datumformat kan läsa provfilens datum"),
    ],
)
def test_bad_answers_are_named_and_change_nothing(finance_client, change, message):
    source = DataSource.objects.create(name="Banken", profile={"columns": {"case_id": "call_id"}})
    url = reverse("imports:source-profile", args=[source.pk])
    token = _token(finance_client.post(url, {"file": _bank_sample()}))
    audits = AuditEntry.objects.count()
    response = finance_client.post(url, {"sample": token, **BANK_FORM, **change})
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    source.refresh_from_db()
    assert source.profile == {"columns": {"case_id": "call_id"}}
    assert AuditEntry.objects.count() == audits


@pytest.mark.django_db
def test_an_altered_sample_is_refused(finance_client):
    source = DataSource.objects.create(name="Banken")
    url = reverse("imports:source-profile", args=[source.pk])
    response = finance_client.post(url, {"sample": "x" + "abc", **BANK_FORM})
    assert response.status_code == 400
    source.refresh_from_db()
    assert source.profile == {}


def test_date_candidates_show_how_the_sample_reads():
    found = dict(date_format_candidates(["06-12-1999 14:03", "13-01-2000 09:00"]))
    assert list(found) == ["%d-%m-%Y %H:%M"]
    assert found["%d-%m-%Y %H:%M"] == "06-12-1999 14:03 → 6 december 1999 14:03"
    assert date_format_candidates(["yesterday"]) == []


@pytest.mark.django_db
def test_a_new_source_does_not_deliver_monthly_by_default(finance_client):
    page = finance_client.get(reverse("organisation:sources")).content.decode()
    box = re.search(r'<input[^>]*name="delivers_monthly"[^>]*>', page)
    assert box and "checked" not in box.group(0)


@pytest.mark.django_db
def test_monthly_delivery_is_off_by_default_in_the_model_and_the_admin_but_add_source_keeps_its_flag(
    finance_client, admin_client
):
    from io import StringIO

    from django.core.management import call_command

    assert DataSource(name="Ny").delivers_monthly is False  # the model, and so every path that creates one
    page = admin_client.get(reverse("admin:cases_datasource_add")).content.decode()
    box = re.search(r'<input[^>]*name="delivers_monthly"[^>]*>', page)
    assert box and "checked" not in box.group(0)
    # add_source's contract (DESIGN §7): monthly unless --not-monthly, for a new source and an update alike.
    call_command("add_source", "Telefoni", stdout=StringIO())
    assert DataSource.objects.get(name="Telefoni").delivers_monthly is True
    call_command("add_source", "Telefoni", "--not-monthly", stdout=StringIO())
    assert DataSource.objects.get(name="Telefoni").delivers_monthly is False


@pytest.mark.django_db
def test_a_csv_sample_in_the_standard_form_reads_its_headers(finance_client):
    source = DataSource.objects.create(name="Telefoni")
    data = csv_bytes(good_rows())
    response = finance_client.post(
        reverse("imports:source-profile", args=[source.pk]), {"file": SimpleUploadedFile("a.csv", data)}
    )
    assert response.status_code == 200
    assert "profile-form" in response.content.decode()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_finance_connects_the_bank_export_in_the_browser(live_server, browser, finance_user, tmp_path):
    source = DataSource.objects.create(name="Banken")
    page = browser.new_page()
    browser_login(page, live_server.url, "ekonom")
    page.goto(f"{live_server.url}{reverse('organisation:source', args=[source.pk])}")
    page.click("#profile-form-link")
    read_bank_sample_in_the_form(page, tmp_path)
    for name, value in BANK_FORM.items():
        field = page.locator(f"#id_{name}")
        if name == "date_format":
            assert field.locator("option").count() == 1  # none offered before the date columns are chosen
        elif field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.click("#profile-save")
    # The date formats that read the sample's dates are offered as they read.
    assert "990201 7:02:47 → 1 februari 1999 07:02:47" in page.inner_text("#id_date_format")
    page.select_option("#id_date_format", "%y%m%d %H:%M:%S")
    page.click("#profile-save")
    page.wait_for_url(f"{live_server.url}{reverse('organisation:source', args=[source.pk])}")
    source.refresh_from_db()
    assert source.profile == json.loads(PROFILE_FILE.read_text(encoding="utf-8"))


@pytest.mark.django_db
def test_reading_a_sample_is_throttled_like_uploads(finance_client, settings):
    settings.UPLOAD_THROTTLE_RATE = "2/minute"
    source = DataSource.objects.create(name="Telefoni")
    url = reverse("imports:source-profile", args=[source.pk])
    answers = [
        finance_client.post(url, {"file": SimpleUploadedFile("a.csv", csv_bytes(good_rows()))}).status_code
        for _ in range(3)
    ]
    assert answers == [200, 200, 429]


def test_a_wide_sample_is_cut_to_a_size_the_form_can_carry():
    import io

    from imports.profile_form import sample_read

    header = ";".join(f"c{i}" for i in range(500))
    row = ";".join("x" * 150 for _ in range(500))
    data = "\n".join([header, *[row] * 20]).encode()
    sample = sample_read(io.BytesIO(data), len(data))
    assert len(sample.headers) == 500
    assert len(sample.rows) == 5 and {len(c) for c in sample.rows[0]} == {100}
    assert len(sample.signed()) < 100_000


@pytest.mark.django_db
def test_the_form_shows_the_sample_as_it_will_be_read_without_saving(finance_client):
    ensure_channels()
    source = DataSource.objects.create(name="Banken")
    url = reverse("imports:source-profile", args=[source.pk])
    token = _token(finance_client.post(url, {"file": _bank_sample()}))
    response = finance_client.post(url, {"sample": token, "action": "preview", **BANK_FORM})
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.file_error == ""
    # Only the groupings are unknown: this database has no grouping map for the bank.
    assert preview.errors and all("okänd ärendegrupperingskod" in e for e in preview.errors)
    assert len(preview.rows) == 20 and preview.skipped == {}
    assert 'id="preview-rows"' in response.content.decode()
    source.refresh_from_db()
    assert source.profile == {}


@pytest.mark.django_db
def test_the_live_preview_answers_each_change_with_the_date_formats_and_the_rows_without_counting_uploads(
    finance_client, settings
):
    ensure_channels()
    settings.UPLOAD_THROTTLE_RATE = "1/minute"  # the sample's reading is the one upload counted
    source = DataSource.objects.create(name="Banken")
    token = _token(finance_client.post(reverse("imports:source-profile", args=[source.pk]), {"file": _bank_sample()}))
    live = reverse("imports:source-profile-live", args=[source.pk])
    # The date columns chosen, no format yet: the formats that read them are offered, the save's refusal said.
    partial = {k: v for k, v in BANK_FORM.items() if k != "date_format"}
    first = finance_client.post(live, {"sample": token, **partial})
    page = first.content.decode()
    assert first.status_code == 200 and 'id="date-format-row"' in page
    assert "990201 7:02:47 → 1 februari 1999 07:02:47" in page
    assert "Välj det datumformat som läser provfilens datum." in page and 'id="preview-rows"' not in page
    # The format chosen: the rows as they will be read, columns in words; nothing saved.
    for _ in range(3):
        answer = finance_client.post(live, {"sample": token, **BANK_FORM})
        assert answer.status_code == 200
    page = answer.content.decode()
    assert 'id="preview-rows"' in page and '<th scope="col">ärende-id</th>' in page
    assert "<td>telefon</td>" in page and "<td>besvarad</td>" in page and "<td>phone</td>" not in page
    assert len(answer.context["preview"].rows) == 20
    source.refresh_from_db()
    assert source.profile == {}


@pytest.mark.django_db
def test_the_live_preview_refuses_an_altered_sample_and_leads_a_get_to_the_form(finance_client):
    source = DataSource.objects.create(name="Banken")
    live = reverse("imports:source-profile-live", args=[source.pk])
    answer = finance_client.post(live, {"sample": "abc", **BANK_FORM})
    assert "Provfilen saknas eller har ändrats" in answer.content.decode()
    response = finance_client.get(live)
    assert response.status_code == 302 and response["Location"] == reverse("imports:source-profile", args=[source.pk])


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_profile_forms_preview_follows_the_answers_in_the_browser(live_server, browser, finance_user, tmp_path):
    ensure_channels()
    source = DataSource.objects.create(name="Banken")
    page = browser.new_page()
    browser_login(page, live_server.url, "ekonom")
    page.goto(f"{live_server.url}{reverse('imports:source-profile', args=[source.pk])}")
    read_bank_sample_in_the_form(page, tmp_path)
    assert page.is_visible("#profile-live-note")
    page.select_option("#id_column_case_id", "call_id")
    page.select_option("#id_column_grouping", "type")
    page.fill("#id_constant_channel", "phone")
    page.select_option("#id_column_opened_at", "date")
    page.select_option("#id_column_opened_at_2", "vru_entry")
    # The formats that read the chosen columns appear without a page load …
    page.wait_for_function("() => document.querySelectorAll('#id_date_format option').length > 1")
    page.select_option("#id_date_format", "%y%m%d %H:%M:%S")
    # … and the sample as it will be read, also without one.
    page.wait_for_selector("#preview-rows")
    assert page.locator("#preview-rows tbody tr").count() == 20
    assert "ärende-id" in page.inner_text("#preview-rows thead")
    assert page.locator("#profile-form").get_attribute("data-previews") is not None
    source.refresh_from_db()
    assert source.profile == {}
