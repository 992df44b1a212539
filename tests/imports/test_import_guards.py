"""Import guards that look at the whole file and at the month's history (issue 26, part 5)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import CaseRecord, DataSource
from cases.services import data_source_save
from imports.services import import_batch_confirm_replace
from tests.conftest import csv_bytes
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db(transaction=True)


def _rows(prefix: str, n: int, month: str = "2026-03", start: int = 0) -> list[str]:
    return [f"{prefix}{i:05d},{month}-{(i % 27) + 1:02d} 09:00,phone,UF-01,60,5,1," for i in range(start, start + n)]


def test_every_case_id_of_the_file_is_checked_against_the_other_sources(org):
    # given a chat source holding 1,500 cases of March
    chat = DataSource.objects.create(name="Chatt")
    assert run_import(chat, csv_bytes(_rows("T", 1500))).status == "loaded"
    # when a file whose first 1,000 ids (the lowest) are new and whose other 1,500 are the chat's
    # is uploaded under the phone source
    batch = run_import(org["source"], csv_bytes(_rows("A", 1000) + _rows("T", 1500)), name="blandad.csv")
    # then it is refused with the numbers over the whole file, and nothing is loaded
    assert batch.status == "rejected" and batch.needs_confirmation, batch.message
    assert "1 500 av 2 500" in batch.message.replace("\u00a0", " ") and "Chatt" in batch.message
    assert not CaseRecord.objects.filter(source=org["source"]).exists()


def test_a_month_cannot_be_shrunk_in_unconfirmed_steps(org, finance_user):
    source = org["source"]
    # the first load is the month's confirmed count: 100 cases
    assert run_import(source, csv_bytes(_rows("A", 100))).status == "loaded"
    # −15 % against 100 passes without a question
    assert run_import(source, csv_bytes(_rows("B", 85))).status == "loaded"
    # 72 is −15.3 % against the previous load but −28 % against the confirmed 100: refused
    third = run_import(source, csv_bytes(_rows("C", 72)))
    assert third.status == "rejected" and third.needs_confirmation, third.message
    assert "bekräftade antal, 100 ärenden" in third.message
    assert CaseRecord.objects.filter(source=source).count() == 85
    # confirmed, 72 becomes the month's confirmed count: 61 (−15.3 %) then passes
    import_batch_confirm_replace(batch_id=third.pk, user=finance_user)
    third.refresh_from_db()
    assert third.status == "loaded" and third.month_counts == {"2026-03": 72}
    assert run_import(source, csv_bytes(_rows("D", 61))).status == "loaded"
    # and a load confirmed beforehand with --replace counts as confirmed too
    assert run_import(source, csv_bytes(_rows("E", 30)), replace=True).status == "loaded"
    assert run_import(source, csv_bytes(_rows("F", 26))).status == "loaded"
    assert run_import(source, csv_bytes(_rows("G", 2))).status == "rejected"


def test_a_small_month_may_change_by_up_to_ten_cases_without_a_question(org):
    from imports.outcomes import REPLACE_FLOOR

    assert REPLACE_FLOOR == 10
    source = org["source"]
    assert run_import(source, csv_bytes(_rows("A", 12))).status == "loaded"
    # 12 → 2 is −83 % but only 10 cases: a correction of a small month loads
    assert run_import(source, csv_bytes(_rows("B", 2))).status == "loaded"
    # 12 → 1 (11 cases against the confirmed 12) needs the confirmation
    refused = run_import(source, csv_bytes(_rows("C", 1)))
    assert refused.status == "rejected" and refused.needs_confirmation
    # a large month keeps the 20 % rule: 100 → 79 is refused although 21 cases is above the floor
    assert run_import(source, csv_bytes(_rows("D", 100, month="2026-04"))).status == "loaded"
    assert run_import(source, csv_bytes(_rows("E", 79, month="2026-04"))).status == "rejected"


def test_a_load_into_an_archived_month_is_refused_until_it_is_attached_again(org):
    if connection.vendor != "postgresql":
        pytest.skip("months are archived only on PostgreSQL")
    from cases.partitions import archive_name, archived_months, partition_reattach, partitions_detach

    january = date(1993, 1, 1)
    with connection.cursor() as cur:  # left by an earlier run in this database
        cur.execute(f"DROP TABLE IF EXISTS {archive_name(january)}")
    source = org["source"]
    assert run_import(source, csv_bytes(_rows("A", 40, month="1993-01"))).status == "loaded"
    partitions_detach(before=date(1993, 2, 1), user=None)
    assert january in archived_months()
    for replace in (False, True):
        batch = run_import(source, csv_bytes(_rows("B", 3, month="1993-01")), replace=replace)
        assert batch.status == "rejected" and not batch.needs_confirmation, batch.message
        assert "1993-01" in batch.message and "arkiverad" in batch.message and "--reattach" in batch.message
    assert not CaseRecord.objects.filter(month=january).exists()
    partition_reattach(month=january, user=None)
    # attached again, the month is an ordinary month: a correction within the rules loads
    assert run_import(source, csv_bytes(_rows("C", 38, month="1993-01"))).status == "loaded"


def test_a_source_holding_data_cannot_switch_between_reference_and_own(org, finance_user, admin_client):
    source = org["source"]
    assert run_import(source, csv_bytes(_rows("A", 25))).status == "loaded"
    # the service
    source.is_reference = True
    with pytest.raises(ValidationError, match=r"25 ärenden i 1 månad"):
        data_source_save(source=source, user=finance_user)
    source.refresh_from_db()
    assert source.is_reference is False
    # the command (add_source without --reference on a reference source, or with it on an own one)
    with pytest.raises(CommandError, match="25 ärenden") as refused:
        call_command("add_source", source.name, "--reference", stdout=StringIO())
    assert refused.value.returncode == 1
    # the web form
    web = Client()
    web.force_login(finance_user)
    response = web.post(
        f"/organisation/kallor/{source.pk}/", {"name": source.name, "is_reference": "on", "delivers_monthly": "on"}
    )
    assert response.status_code == 200 and "25 ärenden" in response.content.decode()
    # the admin
    response = admin_client.post(
        f"/admin/cases/datasource/{source.pk}/change/",
        {"name": source.name, "is_reference": "on", "delivers_monthly": "on", "profile": "{}"},
    )
    assert response.status_code == 200 and "25" in response.content.decode()
    source.refresh_from_db()
    assert source.is_reference is False
    # a source without data may still be switched
    empty = DataSource.objects.create(name="Ny")
    out = StringIO()
    call_command("add_source", "Ny", "--reference", "--json", stdout=out)
    assert json.loads(out.getvalue())["source"] == empty.pk
    empty.refresh_from_db()
    assert empty.is_reference is True


_MONTHS = iter(range(10_000))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(min_value=1, max_value=40), st.booleans()), min_size=1, max_size=4))
def test_no_sequence_of_unconfirmed_loads_moves_a_month_beyond_the_rule(org, loads):
    # any sequence of loads of one month, some confirmed with --replace: an unconfirmed load lands
    # only within max(20 %, 10 cases) of the month's confirmed count, and a refused one changes nothing
    index = next(_MONTHS)
    month = f"{2030 + index // 12}-{index % 12 + 1:02d}"
    confirmed = None
    held = 0
    for step, (count, replace) in enumerate(loads):
        batch = run_import(org["source"], csv_bytes(_rows(f"S{index}x{step}x", count, month=month)), replace=replace)
        allowed = confirmed is None or replace or abs(count - confirmed) <= max(Decimal("0.2") * confirmed, 10)
        assert (batch.status == "loaded") == allowed, (loads, step, batch.message)
        if allowed:
            held = count
            if confirmed is None or replace:
                confirmed = count
        assert CaseRecord.objects.filter(source=org["source"], month=date.fromisoformat(f"{month}-01")).count() == held
