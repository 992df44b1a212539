"""The third attack on the demo (issue 27, "Security, third round"), except its forged ledger lines.

Each test reproduces one step of the attack; every one of them failed on the code before the fix.
"""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from allocation.models import AllocationKey
from cases.models import DataSource
from imports.models import ImportBatch
from tests.conftest import csv_bytes, good_rows, uploaded_file
from tests.imports.helpers import run_import

# --- Medium: the decision memo exhausts the machine: a key's window is bounded ------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("window_from", "window_to", "reason"),
    [
        ("0001-01", "9999-11", "1990–2100"),  # the attack: 119,975 months
        ("2020-01", "2023-01", "37 månader"),  # longer than 36 months
        ("2026-03", "9999-12", "1990–2100"),  # used to overflow the month after December 9999: a 500
        ("1899-01", "1899-12", "1990–2100"),  # a year nobody has case logs for
    ],
)
def test_the_compute_api_refuses_a_window_that_is_too_long_or_in_an_unlikely_year(
    volumes, finance_user, window_from, window_to, reason
):
    client = APIClient()
    client.force_authenticate(finance_user)
    started = time.monotonic()
    response = client.post(
        "/api/v1/keys/compute/",
        {
            "name": "Allt",
            "window_from": window_from,
            "window_to": window_to,
            "basis": "cases",
            "valid_from": "2027-01-01",
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert reason in str(response.json())
    assert time.monotonic() - started < 5
    assert not AllocationKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_command_and_the_web_form_refuse_a_window_that_is_too_long(volumes, finance_user):
    with pytest.raises(CommandError, match="1990–2100"):
        call_command("compute_key", name="Allt", window_from="0001-01", window_to="9999-11", valid_from="2027-01-01")
    client = Client()
    client.force_login(finance_user)
    form = {"name": "Allt", "basis": "cases", "valid_from": "2027-01-01"}
    response = client.post("/allocation/keys/new/measured/", {**form, "window_from": "2026-03", "window_to": "9999-12"})
    assert response.status_code == 200
    assert "1990–2100" in response.content.decode()
    response = client.post("/allocation/keys/new/measured/", {**form, "window_from": "2020-01", "window_to": "2023-12"})
    assert "högst 36" in response.content.decode()
    assert not AllocationKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_key_stores_a_bounded_number_of_warnings_and_counts_the_rest(volumes, settings):
    from allocation.keys import compute as keys

    # Ten sources that deliver every month and have nothing: one warning each, and a month without data.
    for i in range(10):
        DataSource.objects.create(name=f"Tom {i}", delivers_monthly=True)
    settings.KEY_MAX_WARNINGS = 5
    key = keys.allocation_key_compute_measured(
        name="K",
        window_from=date(2026, 1, 1),
        window_to=date(2026, 4, 1),
        basis="cases",
        valid_from=date(2027, 1, 1),
    )
    assert len(key.warnings) == 5
    assert key.warnings[-1].startswith("8 ")  # 2 empty months + 10 sources = 12 warnings: 4 kept, 8 counted
    assert "inte" in key.warnings[-1]
    # A stale-data warning added later keeps the bound and the count.
    keys.allocation_keys_flag_stale(months=[date(2026, 3, 1)])
    key.refresh_from_db()
    assert len(key.warnings) == 5
    assert key.warnings[-1].startswith("9 ")


# --- Low: entered quantities are bounded like amounts -------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["1e-999999", "1e999999", "sNaN", "NaN", "Infinity", "0.0000001"])
def test_a_driver_value_with_an_exponent_is_refused_at_once(org, finance_user, raw):
    client = Client()
    client.force_login(finance_user)
    started = time.monotonic()
    response = client.post(
        "/allocation/keys/new/values/",
        {"name": "Växel", "kind": "driver", "valid_from": "2027-01-01", "values": f"UF; {raw}\nSOF; 10"},
    )
    assert time.monotonic() - started < 5
    assert response.status_code == 200
    assert "Rad 1, kolumn värde" in response.content.decode()
    assert not AllocationKey.objects.exists()


@pytest.mark.django_db
def test_the_key_service_refuses_unbounded_values_whatever_path_they_came_by(org):
    from allocation.keys.compute import allocation_key_create_from_values

    with pytest.raises(ValidationError, match="UF"):
        allocation_key_create_from_values(
            name="Växel", kind="driver", valid_from=date(2027, 1, 1), values={"UF": Decimal("1e-999999")}
        )
    assert not AllocationKey.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["sNaN", "1e999999", "1e-999999"])
def test_the_grouping_preview_refuses_an_owner_fraction_that_is_no_plain_number(org, finance_user, raw):
    client = Client()
    client.force_login(finance_user)
    response = client.post(
        "/organisation/karta/gruppering/UF-01/", {"valid_from": "2026-01-01", "owners": f"UF; {raw}"}
    )
    assert response.status_code == 400
    assert "Rad 1, kolumn fraction" in response.content.decode()


# --- Low: 500s that become 400s, and no batch left "processing" --------------------------------

REPEATED = {"columns": {"opened_at": "opened_at"}, "date_format": "%Y-%m-%d %H:%M %d"}


@pytest.mark.django_db
def test_a_date_format_with_a_repeated_directive_is_refused_when_saved(org, finance_user):
    source = DataSource(name="Dubbel", profile=REPEATED)
    with pytest.raises(ValidationError, match="två gånger"):
        source.full_clean()
    client = Client()
    client.force_login(finance_user)
    response = client.post(
        "/organisation/kallor/prova/",
        {"profile": '{"date_format": "%d/%m/%Y %d"}', "file": uploaded_file(csv_bytes(good_rows()))},
    )
    assert response.status_code == 400
    assert "två gånger" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_stored_profile_that_cannot_be_used_rejects_the_batch_instead_of_leaving_it_processing(org):
    DataSource.objects.filter(pk=org["source"].pk).update(profile=REPEATED)  # stored before the check
    org["source"].refresh_from_db()
    batch = run_import(org["source"], csv_bytes(good_rows()))
    assert batch.status == "rejected"
    assert "två gånger" in batch.message


@pytest.mark.django_db(transaction=True)
def test_an_unforeseen_error_fails_the_batch_with_its_reason(org, monkeypatch):
    import imports.processing

    def broken(batch):  # type: ignore[no-untyped-def]
        raise RuntimeError("oväntat")

    monkeypatch.setattr(imports.processing, "_process_cases", broken)
    batch = run_import(org["source"], csv_bytes(good_rows()))
    assert batch.status == "failed"
    assert "oväntat" in batch.message
    assert not ImportBatch.objects.filter(status="processing").exists()


@pytest.mark.django_db
def test_a_profile_nested_100000_deep_is_a_400_with_the_reason(org, finance_user, tmp_path):
    deep = "[" * 100_000
    client = Client()
    client.force_login(finance_user)
    response = client.post(
        "/organisation/kallor/prova/", {"profile": deep, "file": uploaded_file(csv_bytes(good_rows()))}
    )
    assert response.status_code == 400
    assert "nivåer" in response.content.decode()
    form = client.post(f"/organisation/kallor/{org['source'].pk}/", {"name": "Telefoni", "profile": deep})
    assert "nivåer" in form.content.decode()  # the form again, with the reason
    path = tmp_path / "djup.json"
    path.write_text(deep)
    with pytest.raises(CommandError, match="nivåer"):
        call_command("add_source", "Djup", profile=str(path))
    assert not DataSource.objects.filter(name="Djup").exists()


@pytest.mark.django_db
def test_the_profile_preview_is_throttled_like_uploads(org, finance_user, settings):
    settings.UPLOAD_THROTTLE_RATE = "2/minute"
    client = Client()
    client.force_login(finance_user)
    answers = []
    for _ in range(3):
        response = client.post(
            "/organisation/kallor/prova/", {"profile": "{}", "file": uploaded_file(csv_bytes(good_rows()))}
        )
        answers.append(response.status_code)
    assert answers == [200, 200, 429]
    assert "Vänta en stund" in response.content.decode()


# --- Low: a time with a UTC offset lands in its Stockholm month ---------------------------------

OFFSET_TIMES = {
    # ISO 8601 (the plain path), 19 characters like a local time: the fast path took its month.
    "Z1": ("2026-03-31 23:30-11", "2026-04"),  # 2026-04-01 12:30 in Stockholm (summer time)
    "Z2": ("2026-03-31T23:30+01", "2026-04"),  # summer time began 29 March: 00:30 on 1 April
    "Z3": ("2026-10-31T23:30+01", "2026-10"),  # winter time again: 23:30 on 31 October
    "Z4": ("2026-02-28T23:30-01", "2026-03"),
    "Z5": ("2026-03-29T00:30+00", "2026-03"),  # the night summer time began
    "Z6": ("2026-03-15T12:00+01", "2026-03"),
}
PROFILE_TIMES = {
    # The source's own format with %z: +0100 and -1100, either side of both changes of clock.
    "P1": ("2026-03-31 23:30+0100", "2026-04"),
    "P2": ("2026-03-31 23:30-1100", "2026-04"),
    "P3": ("2026-10-31 23:30+0100", "2026-10"),
    "P4": ("2026-10-31 23:00+0000", "2026-11"),  # midnight in Stockholm on 1 November
    "P5": ("2026-10-31 22:59+0000", "2026-10"),
    "P6": ("2026-03-15 12:00+0100", "2026-03"),
}


def _months_of(source: DataSource) -> dict[str, str]:
    from cases.models import CaseRecord

    return {c: f"{m:%Y-%m}" for c, m in CaseRecord.objects.filter(source=source).values_list("case_id", "month")}


@pytest.mark.django_db(transaction=True)
def test_an_iso_time_with_an_offset_is_counted_in_its_stockholm_month(org):
    rows = [f"{case},{moment},phone,UF-01,60,,," for case, (moment, _month) in OFFSET_TIMES.items()]
    batch = run_import(org["source"], csv_bytes(rows))
    assert batch.status == "loaded", batch.message
    assert _months_of(org["source"]) == {case: month for case, (_moment, month) in OFFSET_TIMES.items()}


@pytest.mark.django_db(transaction=True)
def test_a_profiled_time_with_an_offset_is_counted_in_its_stockholm_month(org):
    source = DataSource.objects.create(name="Med zon", profile={"date_format": "%Y-%m-%d %H:%M%z"})
    rows = [f"{case},{moment},phone,UF-01,60,,," for case, (moment, _month) in PROFILE_TIMES.items()]
    batch = run_import(source, csv_bytes(rows))
    assert batch.status == "loaded", batch.message
    assert _months_of(source) == {case: month for case, (_moment, month) in PROFILE_TIMES.items()}


# --- Medium: XLSX limits counted as the parser reads; CSV rows bounded ---------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _workbook(strings: str, *, part: str = "xl/sharedStrings.xml") -> bytes:
    """A one-sheet workbook whose shared strings (the sst element's content) lie in `part`, declared
    in [Content_Types].xml and in the workbook's relationships as Excel does. The header row takes
    the first four shared strings; the data row is written inline."""
    header = "".join(f'<c r="{c}1" t="s"><v>{i}</v></c>' for i, c in enumerate("ABCD"))
    row = "".join(
        f'<c r="{c}2" t="inlineStr"><is><t>{v}</t></is></c>'
        for c, v in zip("ABCD", ["A1", "2026-03-02 10:00", "phone", "UF-01"], strict=True)
    )
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            f'<Override PartName="/{part}" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            '<sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="/{part}"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{header}</row><row r="2">{row}</row>'
            "</sheetData></worksheet>"
        ),
        part: f'<x:sst xmlns:x="{MAIN}">{strings}</x:sst>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("strings", "part"),
    [
        ("".join(f"<x:si><x:t>s{i}</x:t></x:si>" for i in range(1500)), "xl/sharedStrings.xml"),  # a prefix
        ("".join(f"<si><t>s{i}</t></si>" for i in range(1500)), "xl/strings/andra.xml"),  # renamed part
        ("".join(f"<x:si><x:t>s{i}</x:t></x:si>" for i in range(1500)), "xl/andra.xml"),  # both
    ],
)
def test_shared_strings_are_counted_whatever_their_prefix_or_part(org, settings, strings, part):
    settings.IMPORT_MAX_XLSX_SHARED_STRINGS = 1000
    batch = run_import(org["source"], _workbook(strings, part=part), name="bomb.xlsx")
    assert batch.status == "rejected", batch.message
    assert "fler än 1\u00a0000 delade texter" in batch.message


@pytest.mark.django_db(transaction=True)
def test_a_workbook_with_few_strings_in_a_renamed_part_still_loads(org):
    strings = "".join(f"<x:si><x:t>{s}</x:t></x:si>" for s in ["case_id", "opened_at", "channel", "grouping"])
    batch = run_import(org["source"], _workbook(strings, part="xl/andra.xml"), name="ok.xlsx")
    assert batch.status == "loaded", batch.message  # the reader found the header in the renamed part


@pytest.mark.django_db
def test_the_profile_preview_applies_the_same_xlsx_limits(org, finance_user, settings):
    settings.IMPORT_MAX_XLSX_SHARED_STRINGS = 1000
    client = Client()
    client.force_login(finance_user)
    strings = "".join(f"<x:si><x:t>s{i}</x:t></x:si>" for i in range(1500))
    sample = uploaded_file(_workbook(strings, part="xl/andra.xml"), name="bomb.xlsx")
    page = client.post("/organisation/kallor/prova/", {"profile": "{}", "file": sample}).content.decode()
    assert "fler än 1\u00a0000 delade texter" in page


@pytest.mark.django_db(transaction=True)
def test_a_csv_line_longer_than_the_limit_is_refused_with_the_numbers(org, settings):
    settings.IMPORT_MAX_CSV_LINE_BYTES = 100_000
    # Every cell below the cell limit (100,000 characters), the line above the line limit.
    data = csv_bytes([*good_rows(n=2), ",".join(["x" * 60_000] * 3) + ",2026-03-02 10:00,phone,UF-01,1,,,"])
    batch = run_import(org["source"], data)
    assert batch.status == "rejected"
    assert "Rad 4" in batch.message and "100\u00a0000 byte" in batch.message


@pytest.mark.django_db(transaction=True)
def test_a_header_of_commas_is_refused_with_the_numbers(org, settings):
    settings.IMPORT_MAX_CSV_LINE_BYTES = 10 * 1024 * 1024
    started = time.monotonic()
    batch = run_import(org["source"], b"," * 5_000_000 + b"\n" + csv_bytes(good_rows()))
    assert batch.status == "rejected"
    assert "Rad 1 har 5\u00a0000\u00a0001 fält" in batch.message and "1\u00a0000" in batch.message
    assert time.monotonic() - started < 30
    settings.IMPORT_MAX_CSV_LINE_BYTES = 1024 * 1024
    default = run_import(org["source"], b"," * 2_000_000 + b"\n" + csv_bytes(good_rows()), name="b.csv")
    assert default.status == "rejected" and "byte" in default.message


# --- Low: e-mail headers carry no control characters; a notification that finally fails is told ---


@pytest.mark.django_db(transaction=True)
def test_a_key_named_with_a_header_injection_is_still_notified_on_one_line(volumes):
    from django.core import mail

    from allocation.keys.decisions import allocation_key_decide
    from cases import roles
    from cases.notifications import notifications_send
    from tests.conftest import make_user, measured_key

    finance = make_user("ekonom.mejl", roles.FINANCE)
    steering = make_user("styr.mejl", roles.STEERING_GROUP)
    for person, address in ((finance, "ekonom@example.se"), (steering, "styr@example.se")):
        person.email = address
        person.save()
    key = measured_key()
    AllocationKey.objects.filter(pk=key.pk).update(name="Nyckel\r\nBcc: angripare@example.org")
    key.refresh_from_db()
    allocation_key_decide(key=key, status="proposed", user=finance)
    notifications_send()
    sent = [m for m in mail.outbox if "Nyckel" in m.subject]
    assert len(sent) == 1
    assert "\r" not in sent[0].subject and "\n" not in sent[0].subject
    assert sent[0].recipients() == ["styr@example.se"]
    assert sent[0].message()["Bcc"] is None and not sent[0].bcc


@pytest.mark.django_db(transaction=True)
def test_a_notification_that_finally_fails_is_logged_and_shown_on_the_start_page(org, finance_user, caplog):
    from unittest.mock import patch

    from cases.models import Notification
    from cases.notifications import notifications_send, notify

    finance_user.email = "ekonom@example.se"
    finance_user.save()
    with patch("django.core.mail.send_mail", side_effect=OSError("SMTP nere")):
        notify(kind="failure", event="test:1", recipients=[finance_user], subject="Fel", body="x")
        for _ in range(6):
            notifications_send()
    note = Notification.objects.get(event="test:1")
    assert note.attempts == 5 and note.sent_at is None, (note.attempts, note.error, note.sent_at)
    assert "given up" in caplog.text
    client = Client()
    client.force_login(finance_user)
    page = client.get("/").content.decode()
    assert "1 e-postavisering(ar) kunde inte skickas efter 5 försök" in page


# --- Medium: every change to who may do what, and to what moves money, is audited ---------------


@pytest.fixture
def root(db):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    return User.objects.create_superuser("rot", password="pw-for-tests-only")


@pytest.mark.django_db
def test_groups_made_and_their_permissions_changed_in_the_admin_are_audited(root, steering_user):
    from django.contrib.auth.models import Group, Permission

    from cases import roles
    from cases.models import AuditEntry

    client = Client()
    client.force_login(root)
    delete_key = Permission.objects.get(codename="delete_allocationkey")
    steering = Group.objects.get(name=roles.STEERING_GROUP)
    kept = list(steering.permissions.values_list("pk", flat=True))
    response = client.post(
        f"/admin/auth/group/{steering.pk}/change/", {"name": steering.name, "permissions": [*kept, delete_key.pk]}
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="group.change", object_id=str(steering.pk))
    assert entry.user == root
    added = set(entry.after["permissions"]) - set(entry.before["permissions"])
    assert added == {"allocation.delete_allocationkey"}
    client.post("/admin/auth/group/add/", {"name": "revisorer", "permissions": [delete_key.pk]})
    made = Group.objects.get(name="revisorer")
    created = AuditEntry.objects.get(action="group.create", object_id=str(made.pk))
    assert created.user == root and created.after["permissions"] == ["allocation.delete_allocationkey"]
    # Outside the admin (a shell, a command) the change is audited too, as the operating-system user.
    made.permissions.clear()
    cleared = AuditEntry.objects.get(action="group.permissions", object_id=str(made.pk))
    assert cleared.after["permissions"] == [] and cleared.actor.startswith("os:")
    made.permissions.add(delete_key)
    client.post(f"/admin/auth/group/{made.pk}/delete/", {"post": "yes"})
    deleted = AuditEntry.objects.get(action="group.delete", object_id=str(made.pk))
    assert deleted.before["permissions"] == ["allocation.delete_allocationkey"] and deleted.user == root


@pytest.mark.django_db
def test_a_user_deleted_in_the_admin_is_audited_with_the_access_it_had(root, steering_user):
    from cases.models import AuditEntry

    client = Client()
    client.force_login(root)
    pk = steering_user.pk
    response = client.post(f"/admin/auth/user/{pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="user.delete", object_id=str(pk))
    assert entry.user == root and entry.before["groups"] == ["steering_group"]


@pytest.mark.django_db(transaction=True)
def test_pools_and_keys_deleted_in_the_admin_are_audited(volumes, finance_user):
    from allocation.models import CostPool
    from cases.models import AuditEntry
    from tests.conftest import measured_key

    key = measured_key()
    pool = CostPool.objects.create(name="Växeln", year=2027, gross_amount=Decimal("1000.00"))
    client = Client()
    client.force_login(finance_user)
    assert client.post(f"/admin/allocation/costpool/{pool.pk}/delete/", {"post": "yes"}).status_code == 302
    assert AuditEntry.objects.get(action="pool.delete", object_id=str(pool.pk)).before["name"] == "Växeln"
    assert client.post(f"/admin/allocation/allocationkey/{key.pk}/delete/", {"post": "yes"}).status_code == 302
    entry = AuditEntry.objects.get(action="key.delete", object_id=str(key.pk))
    assert entry.user == finance_user and set(entry.before["shares"]) == {"UF", "SOF", "TF"}


@pytest.mark.django_db(transaction=True)
def test_a_groupings_code_is_kept_once_cases_refer_to_it_and_other_changes_are_audited(volumes, finance_user):
    from cases.models import AuditEntry, Grouping

    client = Client()
    client.force_login(finance_user)
    used = Grouping.objects.get(code="UF-01")
    response = client.post(f"/admin/cases/grouping/{used.pk}/change/", {"code": "SOF-99", "name": used.name})
    assert response.status_code == 200  # the form again, with the reason
    assert "ärendeloggarna" in response.content.decode()
    assert Grouping.objects.get(pk=used.pk).code == "UF-01"
    client.post(f"/admin/cases/grouping/{used.pk}/change/", {"code": "UF-01", "name": "Förskola"})
    renamed = AuditEntry.objects.get(action="grouping.change", object_id=str(used.pk))
    assert renamed.before["name"] != "Förskola" and renamed.after["name"] == "Förskola"
    unused = Grouping.objects.create(code="NY-01", name="Ny")
    client.post(f"/admin/cases/grouping/{unused.pk}/change/", {"code": "NY-02", "name": "Ny"})
    assert Grouping.objects.get(pk=unused.pk).code == "NY-02"
    assert AuditEntry.objects.get(action="grouping.change", object_id=str(unused.pk)).after["code"] == "NY-02"


# --- Medium: memo PDFs are printed one at a time, in a child process with a time limit -----------


@pytest.fixture
def memo_client(volumes, steering_user, settings):  # type: ignore[no-untyped-def]
    import sys

    from django.core.cache import cache

    from tests.conftest import measured_key

    settings.MEMO_PDF_CHROMIUM = sys.executable  # present; the tests below never reach a browser
    cache.delete("memo-pdf-printing")
    client = Client()
    client.force_login(steering_user)
    yield client, measured_key()
    cache.delete("memo-pdf-printing")


@pytest.mark.django_db(transaction=True)
def test_a_memo_pdf_is_refused_with_a_clear_message_while_another_is_printed(memo_client, monkeypatch):
    from django.core.cache import cache

    import allocation.keys.printing

    client, key = memo_client

    def no_browser(executable: str) -> list[str]:
        raise AssertionError("a second printer was started")

    monkeypatch.setattr(allocation.keys.printing, "memo_pdf_command", no_browser, raising=False)
    cache.add("memo-pdf-printing", "another request", timeout=60)
    response = client.get(f"/allocation/keys/{key.pk}/memo/?format=pdf", follow=True)
    assert response.status_code == 200
    assert "Ett annat beslutsunderlag skrivs ut just nu" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_memo_pdf_that_takes_too_long_is_stopped_and_the_next_may_print(memo_client, monkeypatch, settings):
    import sys

    from django.core.cache import cache

    import allocation.keys.printing

    client, key = memo_client
    settings.MEMO_PDF_SECONDS = 1
    slow = [sys.executable, "-c", "import time; time.sleep(60)"]
    monkeypatch.setattr(allocation.keys.printing, "memo_pdf_command", lambda executable: slow, raising=False)
    started = time.monotonic()
    response = client.get(f"/allocation/keys/{key.pk}/memo/?format=pdf", follow=True)
    assert time.monotonic() - started < 15
    assert "tog mer än 1 sekunder och stoppades" in response.content.decode()
    assert cache.get("memo-pdf-printing") is None  # released: the next request may print


@pytest.mark.django_db
def test_an_api_body_nested_100000_deep_is_a_400(finance_user):
    client = APIClient()
    client.force_authenticate(finance_user)
    response = client.post("/api/v1/keys/compute/", data="[" * 100_000, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.django_db
def test_a_users_access_changed_outside_the_admin_is_audited_too(org):
    from django.contrib.auth.models import Group, Permission, User

    from cases import roles
    from cases.models import AuditEntry

    person = User.objects.create_user("ny.person", password="pw-for-tests-only")
    assert AuditEntry.objects.get(action="user.create", object_id=str(person.pk)).actor.startswith("os:")
    person.groups.add(Group.objects.get(name=roles.FINANCE))
    person.user_permissions.add(Permission.objects.get(codename="delete_allocationkey"))
    Group.objects.get(name=roles.STEERING_GROUP).user_set.add(person)
    person.is_superuser = True
    person.save()
    changes = AuditEntry.objects.filter(action="user.access", object_id=str(person.pk)).order_by("id")
    after = [c.after for c in changes]
    assert after[0]["groups"] == ["finance"]
    assert after[1]["permissions"] == ["allocation.delete_allocationkey"]
    assert after[2]["groups"] == ["finance", "steering_group"]
    assert after[3]["is_superuser"] is True
    person.last_login = None
    person.save()  # a login's timestamp is no change of access
    assert changes.count() == 4
