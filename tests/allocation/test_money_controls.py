"""Controls around the money (issue "Controls around the money"): one test per hole found."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from allocation.keys.compute import allocation_key_compute_measured, allocation_key_create_from_values
from allocation.keys.decisions import allocation_key_decide
from allocation.models import AllocationRun, CostPool, KeyShare
from allocation.publications.figures import month_figures
from allocation.runs.allocate import allocation_run_create
from cases import roles
from cases.models import AuditEntry, CaseRecord, Channel
from tests.conftest import approve_key, csv_bytes, make_user
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db(transaction=True)
MARCH = date(2026, 3, 1)


def _measured(valid_from: date = date(2026, 1, 1)):  # type: ignore[no-untyped-def]
    return allocation_key_compute_measured(
        name="Mätt", window_from=MARCH, window_to=date(2026, 4, 1), basis="cases", valid_from=valid_from
    )


def test_a_pool_cannot_be_charged_with_a_draft_key_by_any_path(volumes, finance_user):
    draft = _measured()
    pool = CostPool.objects.create(name="KC", year=2026, gross_amount=Decimal("1200.00"), key=draft)
    with pytest.raises(ValidationError, match="bara en godkänd nyckel får debitera"):
        allocation_run_create(pool=pool)
    out = StringIO()
    with pytest.raises(CommandError, match="godkänd nyckel") as refused:
        call_command("allocate", "--pool", str(pool.pk), stdout=out, stderr=out)
    assert refused.value.returncode == 1
    api = APIClient()
    api.force_authenticate(finance_user)
    response = api.post("/api/v1/runs/create/", {"pool": pool.pk}, format="json")
    assert response.status_code == 400 and "godkänd" in str(response.json())
    assert not AllocationRun.objects.exists()
    # A simulation with the same draft key is allowed, and never shown as charged.
    simulation = allocation_run_create(key=draft, amount=Decimal("1200.00"))
    assert simulation.is_charging is False
    assert month_figures(MARCH)["overview"]["charged_total"] is None


def test_the_statistics_compare_with_the_co_financing_pools_key_not_any_approved_key(volumes):
    measured = approve_key(_measured())
    CostPool.objects.create(
        name="Medfinansiering", year=2026, gross_amount=Decimal("1200.00"), key=measured, is_co_financing=True
    )
    switchboard = allocation_key_create_from_values(
        name="Växeln", kind="driver", valid_from=date(2026, 2, 1), values={"UF": Decimal(90), "SOF": Decimal(10)}
    )
    approve_key(switchboard)  # newer and approved, but not the co-financing pool's key
    admins = {a["code"]: a for a in month_figures(MARCH)["overview"]["administrations"]}
    assert admins["UF"]["share_key"] == "27.27"  # 3 of 11 in the measured key, not 90 %
    assert admins["TF"]["share_key"] == "36.36"
    # A driver key can never be the co-financing pool's key.
    from allocation.runs.pools import cost_pool_save

    pool = CostPool.objects.get(is_co_financing=True)
    pool.key = switchboard
    with pytest.raises(ValidationError, match="uppmätt nyckel"):
        cost_pool_save(pool=pool, user=None)


def test_whoever_proposed_a_key_cannot_approve_it_on_any_path(volumes):
    both = make_user("dubbelroll", roles.FINANCE, staff=True)
    both.groups.add(Group.objects.get(name=roles.STEERING_GROUP))
    both = User.objects.get(pk=both.pk)
    key = _measured()
    allocation_key_decide(key=key, status="proposed", user=both, comment="Mitt förslag")
    with pytest.raises(PermissionDenied, match="fyra ögon"):
        allocation_key_decide(key=key, status="approved", user=both)
    with pytest.raises(PermissionDenied, match="fyra ögon"):
        allocation_key_decide(key=key, status="rejected", user=both)
    api = APIClient()
    api.force_authenticate(both)
    assert api.post(f"/api/v1/keys/{key.pk}/decision/", {"status": "approved"}, format="json").status_code == 403
    web = Client()
    web.force_login(both)
    assert web.post(f"/allocation/keys/{key.pk}/decision/", {"status": "approved"}).status_code == 403
    assert "fyra ögon" in web.get(f"/allocation/keys/{key.pk}/").content.decode()
    with pytest.raises(CommandError, match="fyra ögon") as refused:
        call_command(
            "decide_key",
            "--key",
            str(key.pk),
            "--decision",
            "approved",
            "--user",
            "dubbelroll",
            stdout=StringIO(),
            stderr=StringIO(),
        )
    assert refused.value.returncode == 1
    key.refresh_from_db()
    assert key.status == "proposed"
    # Another member of the steering group decides, and both decisions stay on record.
    other = make_user("annan.ledamot", roles.STEERING_GROUP)
    out = StringIO()
    call_command(
        "decide_key",
        "--key",
        str(key.pk),
        "--decision",
        "approved",
        "--user",
        "annan.ledamot",
        "--comment",
        "Beslut",
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue())["status"] == "approved"
    assert [(d.user, d.to_status, d.comment) for d in key.decisions.all()] == [
        (both, "proposed", "Mitt förslag"),
        (other, "approved", "Beslut"),
    ]


def test_money_and_access_changes_in_the_admin_are_audited(org, finance_user):
    superuser = User.objects.create_superuser("rot", password="pw-for-tests-only")
    admin = Client()
    admin.force_login(superuser)
    phone = Channel.objects.get(code="phone")
    response = admin.post(
        f"/admin/cases/channel/{phone.pk}/change/", {"code": "phone", "name": "Telefon", "weight": "2.5"}
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="channel.change")
    assert (entry.before["weight"], entry.after["weight"], entry.actor) == ("1.0000", "2.5", "rot")
    head = make_user("ny.chef", roles.DEPARTMENT_HEAD)
    uf = org["UF"]
    response = admin.post(
        f"/admin/cases/administration/{uf.pk}/change/",
        {
            "code": "UF",
            "name": "Utbildningsförvaltningen",
            "cost_centre": "3100",
            "valid_from": "2000-01-01",
            "heads": [head.pk],
        },
    )
    assert response.status_code == 302
    heads = AuditEntry.objects.get(action="administration.heads")
    assert heads.before["heads"] == [] and heads.after["heads"] == ["ny.chef"]
    source = org["source"]
    admin.post(
        f"/admin/cases/datasource/{source.pk}/change/",
        {"name": "Telefoni", "delivers_monthly": "on", "profile": '{"date_format": "%d/%m/%Y %H:%M"}'},
    )
    assert AuditEntry.objects.get(action="source.change").after["profile"] == {"date_format": "%d/%m/%Y %H:%M"}
    steering = Group.objects.get(name=roles.STEERING_GROUP)
    admin.post(
        f"/admin/auth/user/{finance_user.pk}/change/",
        {
            "username": "ekonom",
            "is_active": "on",
            "is_staff": "on",
            "groups": [steering.pk, Group.objects.get(name=roles.FINANCE).pk],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    access = AuditEntry.objects.get(action="user.access", user=superuser)  # the form's one entry
    assert "steering_group" in access.after["groups"] and "steering_group" not in access.before["groups"]
    # A line of a map in force cannot be deleted in the admin.
    from cases.models import GroupingMapEntry

    entry_pk = GroupingMapEntry.objects.first().pk
    assert admin.post(f"/admin/cases/groupingmapentry/{entry_pk}/delete/", {"post": "yes"}).status_code == 403
    assert GroupingMapEntry.objects.filter(pk=entry_pk).exists()


def test_a_command_records_the_operating_system_user(volumes):
    key = approve_key(_measured())
    out = StringIO()
    call_command(
        "create_pool",
        "--year",
        "2026",
        "--name",
        "KC",
        "--gross",
        "1 200,00",
        "--funding",
        "Växeln=200",
        "--key",
        str(key.pk),
        "--co-financing",
        "--json",
        stdout=out,
    )
    pool = CostPool.objects.get(pk=json.loads(out.getvalue())["pool"])
    assert pool.is_co_financing and pool.funding_lines.get().amount == Decimal("200.00")
    created = AuditEntry.objects.get(action="pool.create")
    assert created.actor.startswith("os:") and created.after["funding"] == [["Växeln", "200.00"]]
    out = StringIO()
    call_command("allocate", "--pool", str(pool.pk), "--json", stdout=out)
    assert sum(Decimal(v) for v in json.loads(out.getvalue())["amounts"].values()) == Decimal("1000.00")


def test_a_file_that_would_replace_most_of_a_month_is_refused_with_the_numbers(volumes, finance_user):
    before = CaseRecord.objects.filter(month=MARCH).count()
    one_row = run_import(volumes["source"], csv_bytes(["X1,2026-03-09 10:00,phone,UF-01,10,,,"]), name="en.csv")
    assert one_row.status == "rejected" and one_row.needs_confirmation
    assert f"ersätter {before} ärenden i Telefoni 2026-03 med 1" in one_row.message
    assert "bekräfta ersättning" in one_row.message.lower()
    assert CaseRecord.objects.filter(month=MARCH).count() == before
    # The uploader confirms: now it replaces the month.
    from imports.services import import_batch_confirm_replace

    import_batch_confirm_replace(batch_id=one_row.pk, user=finance_user)
    one_row.refresh_from_db()
    assert one_row.status == "loaded" and CaseRecord.objects.filter(month=MARCH).count() == 1


def test_a_file_uploaded_under_the_wrong_source_is_refused(volumes):
    from cases.models import DataSource

    chat = DataSource.objects.create(name="Chatt")
    ids = list(CaseRecord.objects.filter(month=MARCH).values_list("case_id", flat=True))
    rows = [f"{case_id},2026-03-02 10:00,phone,UF-01,10,,," for case_id in ids]
    batch = run_import(chat, csv_bytes(rows), name="telefoni-mars.csv")
    assert batch.status == "rejected" and "finns redan i Telefoni" in batch.message
    assert not CaseRecord.objects.filter(source=chat).exists()


def test_an_approved_key_and_a_charging_run_cannot_be_changed_through_the_orm(volumes):
    key = approve_key(_measured())
    with pytest.raises(ValidationError):
        KeyShare.objects.filter(key=key).update(share=Decimal("0.5"))
    with pytest.raises(ValidationError):
        KeyShare.objects.filter(key=key).delete()
    with pytest.raises(ValidationError):
        type(key).objects.filter(pk=key.pk).update(name="Ändrad")
    from django.db import DatabaseError, connection, transaction

    # Below the ORM too (a trigger on PostgreSQL and on SQLite).
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE allocation_keyshare SET share = 0.5 WHERE key_id = %s", [key.pk])
    pool = CostPool.objects.create(name="KC", year=2026, gross_amount=Decimal("100.00"), key=key)
    run = allocation_run_create(pool=pool)
    assert run.is_charging
    with pytest.raises(ValidationError):
        AllocationRun.objects.filter(pk=run.pk).update(net_amount=Decimal("1"))
    with pytest.raises(ValidationError):
        run.amounts.update(amount=Decimal("1"))
    with pytest.raises(ValidationError):
        run.delete()


def test_the_audit_page_filters_shows_before_and_after_and_exports(org, finance_user, steering_user, head_user):
    from io import BytesIO

    from openpyxl import load_workbook

    from cases.services import channel_save

    phone = Channel.objects.get(code="phone")
    phone.weight = Decimal("2.5")
    channel_save(channel=phone, user=finance_user)
    client = Client()
    client.force_login(steering_user)
    page = client.get("/andringslogg/", {"action": "channel.", "who": "ekonom"}).content.decode()
    assert "channel.change" in page and "1.0000" in page and "2.5" in page
    assert 'class="changed"' in page  # the weight's row is marked as changed
    assert "grouping_map.create" not in page  # filtered out
    csv_text = client.get("/andringslogg/", {"action": "channel.", "format": "csv"}).content.decode("utf-8-sig")
    assert csv_text.count("\n") == 2 and "ändrade" in csv_text and "vikt: 1,0000 → 2,5" in csv_text
    xlsx = client.get("/andringslogg/", {"object_type": "channel", "format": "xlsx"})
    sheet = load_workbook(BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[2]][1:4] == ["ekonom", "ändrade", "kanal"]  # in words; the JSON beside
    empty = client.get("/andringslogg/", {"since": "2099-01-01"}).content.decode()
    assert "Inga poster" in empty or "No entries" in empty
    head = Client()
    head.force_login(head_user)
    assert head.get("/andringslogg/").status_code == 403
