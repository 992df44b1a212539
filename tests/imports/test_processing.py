"""The import service end to end on the configured database (PostgreSQL in CI, SQLite locally)."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from cases.models import CaseRecord, DataSource, MonthlyAggregate
from imports import loading
from imports.models import ImportBatch, StagedCase
from imports.processing import import_batch_process
from imports.services import import_batch_create, import_batch_requeue
from tests.conftest import HEADER, csv_bytes, good_rows
from tests.imports.helpers import database_state, run_import

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_valid_file_loads_and_refreshes_the_aggregates(org):
    batch = run_import(org["source"], csv_bytes(good_rows(n=30)))
    assert batch.status == "loaded", batch.message
    assert batch.rows_loaded == 30
    assert batch.progress == 100
    assert batch.months == ["2026-03"]
    assert CaseRecord.objects.count() == 30
    assert MonthlyAggregate.objects.aggregate(n=Sum("cases"))["n"] == 30
    handle = CaseRecord.objects.aggregate(s=Sum("handle_seconds"))["s"]
    assert MonthlyAggregate.objects.aggregate(s=Sum("handle_seconds"))["s"] == handle


def test_naive_timestamps_are_stockholm_time(org):
    run_import(org["source"], csv_bytes(["S1,2026-07-01 00:30,phone,UF-01,10,5,1,"]))
    case = CaseRecord.objects.get(case_id="S1")
    # 00:30 in Stockholm summer time is 22:30 UTC the day before, but the month is July.
    assert case.opened_at == datetime(2026, 7, 1, 0, 30, tzinfo=ZoneInfo("Europe/Stockholm"))
    assert case.month == date(2026, 7, 1)


def test_a_file_with_one_bad_row_changes_nothing_and_says_where(org):
    run_import(org["source"], csv_bytes(good_rows(month="2026-02", prefix="OLD")))
    before = database_state()
    rows = good_rows(n=10)
    rows[4] = "A4,2026-03-05 09:00,phone,NOPE-99,60,1,1,"
    batch = run_import(org["source"], csv_bytes(rows))
    assert batch.status == "rejected"
    assert database_state() == before
    error = batch.errors.get()
    assert (error.row_number, error.column, error.value) == (6, "grouping", "NOPE-99")
    assert "okänd" in error.reason
    assert "rad 6" in batch.message
    assert not StagedCase.objects.exists()


def test_load_valid_rows_sets_the_bad_ones_aside(org):
    rows = good_rows(n=10)
    rows[2] = "A2,2026-03-05 09:00,fax,UF-01,60,1,1,"
    rows[3] = "A3,2026-03-05 09:00,phone,UF-01,-5,1,1,"
    batch = run_import(org["source"], csv_bytes(rows), load_valid_rows=True)
    assert batch.status == "loaded"
    assert batch.rows_loaded == 8
    assert batch.rows_rejected == 2
    assert sorted(batch.errors.values_list("column", flat=True)) == ["channel", "handle_seconds"]
    assert not CaseRecord.objects.filter(case_id__in=["A2", "A3"]).exists()


def test_the_same_bytes_twice_are_refused_with_a_pointer_to_the_first_batch(org):
    data = csv_bytes(good_rows())
    first = run_import(org["source"], data)
    with pytest.raises(ValidationError) as excinfo:
        run_import(org["source"], data)
    assert f"#{first.pk}" in excinfo.value.messages[0]
    assert ImportBatch.objects.count() == 1


def test_a_corrected_file_replaces_the_month_and_keeps_the_old_batch(org):
    first = run_import(org["source"], csv_bytes(good_rows(n=10)))
    corrected = run_import(org["source"], csv_bytes(good_rows(n=7, prefix="B")), replace=True)
    assert corrected.status == "loaded"
    first.refresh_from_db()
    assert first.status == "superseded"
    assert first.superseded_by_id == corrected.pk
    assert first.file.storage.exists(first.file.name)
    assert set(CaseRecord.objects.values_list("case_id", flat=True)) == {f"B{i}" for i in range(7)}
    assert MonthlyAggregate.objects.aggregate(n=Sum("cases"))["n"] == 7


def test_other_months_and_sources_are_untouched_by_a_replace(org):
    other = DataSource.objects.create(name="Ärendesystem")
    run_import(org["source"], csv_bytes(good_rows(month="2026-02", prefix="F")))
    run_import(other, csv_bytes(good_rows(month="2026-03", prefix="E")))
    run_import(org["source"], csv_bytes(good_rows(month="2026-03", prefix="M")))
    run_import(org["source"], csv_bytes(good_rows(month="2026-03", n=2, prefix="N")), replace=True)
    assert CaseRecord.objects.filter(source=org["source"], month=date(2026, 2, 1)).count() == 6
    assert CaseRecord.objects.filter(source=other).count() == 6
    assert CaseRecord.objects.filter(source=org["source"], month=date(2026, 3, 1)).count() == 2


def test_a_refused_replacement_leaves_the_month_as_it_was(org):
    """The month's old rows go before its new ones come in (on PostgreSQL a month held by one
    source alone is emptied whole); a refusal at the end must bring every one of them back."""
    first = run_import(org["source"], csv_bytes(good_rows(n=40)))
    assert first.status == "loaded", first.message
    before = database_state()
    shrunk = run_import(org["source"], csv_bytes(good_rows(n=5, prefix="S")))
    assert shrunk.status == "rejected" and shrunk.needs_confirmation, shrunk.message
    assert "40" in shrunk.message and "5" in shrunk.message
    assert database_state() == before
    confirmed = run_import(org["source"], csv_bytes(good_rows(n=5, prefix="S")), replace=True)
    assert confirmed.status == "loaded", confirmed.message
    assert set(CaseRecord.objects.values_list("case_id", flat=True)) == {f"S{i}" for i in range(5)}
    assert MonthlyAggregate.objects.aggregate(n=Sum("cases"))["n"] == 5


def test_a_month_shared_with_another_source_keeps_the_other_sources_rows(org):
    other = DataSource.objects.create(name="Chatt")
    assert run_import(other, csv_bytes(good_rows(n=12, prefix="C"))).status == "loaded"
    assert run_import(org["source"], csv_bytes(good_rows(n=12, prefix="P"))).status == "loaded"
    again = run_import(org["source"], csv_bytes(good_rows(n=11, prefix="Q")), replace=True)
    assert again.status == "loaded", again.message
    assert sorted(CaseRecord.objects.filter(source=other).values_list("case_id", flat=True)) == sorted(
        f"C{i}" for i in range(12)
    )
    assert CaseRecord.objects.filter(source=org["source"]).count() == 11
    assert MonthlyAggregate.objects.filter(source=other).aggregate(n=Sum("cases"))["n"] == 12


def test_a_case_id_twice_in_the_file_is_an_error_on_the_second_row(org):
    rows = good_rows(n=5)
    rows.append(rows[1].replace("2026-03-02", "2026-03-09"))
    batch = run_import(org["source"], csv_bytes(rows))
    assert batch.status == "rejected"
    error = batch.errors.get()
    assert error.row_number == 7
    assert "rad 3" in error.reason
    assert CaseRecord.objects.count() == 0


def test_a_case_id_already_loaded_in_another_month_is_an_error(org):
    run_import(org["source"], csv_bytes(["X1,2026-02-03 10:00,phone,UF-01,1,1,1,"]))
    batch = run_import(org["source"], csv_bytes(["X1,2026-03-03 10:00,phone,UF-01,1,1,1,"]))
    assert batch.status == "rejected"
    assert "2026-02" in batch.errors.get().reason


def test_rows_outside_the_declared_month_are_errors(org):
    rows = [*good_rows(n=3), "Z9,2026-04-01 08:00,phone,UF-01,1,1,1,"]
    batch = run_import(org["source"], csv_bytes(rows), declared_month=date(2026, 3, 1))
    assert batch.status == "rejected"
    assert batch.errors.get().row_number == 5


def test_a_header_only_file_is_rejected(org):
    batch = run_import(org["source"], (HEADER + "\n\n\n").encode())
    assert batch.status == "rejected"
    assert "inga ärenderader" in batch.message


def test_the_row_limit_is_enforced_with_a_clear_message(org, settings):
    settings.IMPORT_MAX_ROWS = 5
    before = database_state()
    batch = run_import(org["source"], csv_bytes(good_rows(n=6)))
    assert batch.status == "rejected"
    assert "fler än 5 rader" in batch.message
    assert database_state() == before


def test_the_size_limit_is_enforced_before_anything_is_stored(org, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ValidationError) as excinfo:
        run_import(org["source"], csv_bytes(good_rows(n=20)))
    assert "största tillåtna" in excinfo.value.messages[0]
    assert not ImportBatch.objects.exists()


def test_a_redelivered_task_leaves_exactly_one_copy(org):
    batch = run_import(org["source"], csv_bytes(good_rows(n=12)))
    state = database_state()
    assert import_batch_process(batch_id=batch.pk) == "loaded"
    assert database_state() == state
    assert CaseRecord.objects.count() == 12


def test_a_task_killed_halfway_is_redone_from_scratch(org, lost_messages):
    # Create the batch without running it, then leave what a killed worker leaves behind:
    # status processing and half of the rows in staging.
    with lost_messages():
        batch = import_batch_create(
            source=org["source"], stream=io.BytesIO(csv_bytes(good_rows(n=8))), filename="x.csv"
        )
    ImportBatch.objects.filter(pk=batch.pk).update(status="processing", attempts=1)
    loading.staging_write(batch.pk, [(2, "A0", "2026-03-01 09:00", "2026-03-01", 1, 1, None, None, None, None, None)])
    assert import_batch_process(batch_id=batch.pk) == "loaded"
    batch.refresh_from_db()
    assert batch.attempts == 2
    assert CaseRecord.objects.count() == 8
    assert not StagedCase.objects.exists()


def test_a_failed_batch_can_be_requeued(org, lost_messages):
    with lost_messages():
        batch = import_batch_create(source=org["source"], stream=io.BytesIO(csv_bytes(good_rows())), filename="x.csv")
    ImportBatch.objects.filter(pk=batch.pk).update(status="failed", message="worker lost")
    import_batch_requeue(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == "loaded"
    with pytest.raises(ValidationError):
        import_batch_requeue(batch_id=batch.pk)


def test_xlsx_with_a_title_row_above_the_header_loads(org):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Ärendelogg mars 2026"])
    ws.append([])
    ws.append(["Ärende-id", "Öppnad", "Kanal", "Ärendegruppering", "Hanteringstid"])
    ws.append(["X1", datetime(2026, 3, 2, 9, 15), "Telefon", "UF-01", 120])
    ws.append(["X2", "2026-03-03 10:00", "e-post", "TF-01", 45.0])
    out = io.BytesIO()
    wb.save(out)
    batch = run_import(org["source"], out.getvalue(), name="mars.xlsx")
    assert batch.status == "loaded", batch.message
    assert sorted(CaseRecord.objects.values_list("case_id", "handle_seconds")) == [("X1", 120), ("X2", 45)]


def test_windows_1252_semicolon_swedish_headers_load_with_aao_intact(org):
    data = (
        "Ärende-id;Öppnad;Kanal;Ärendegruppering;Hanteringstid;Väntetid;"
        "Löst vid första kontakt;Vidarebefordrad till\r\n"
        "Å1;2026-03-02 09:00;Besök;UF-01;100;;ja;\r\n"
        "Ö2;2026-03-02 09:05;telefon;SOF-01;200;30;nej;UF\r\n"
    ).encode("cp1252")
    batch = run_import(org["source"], data)
    assert batch.status == "loaded", batch.message
    assert set(CaseRecord.objects.values_list("case_id", flat=True)) == {"Å1", "Ö2"}
    assert CaseRecord.objects.get(case_id="Ö2").forwarded_to == org["UF"]


def test_a_source_profile_renames_columns_and_sets_the_date_format(org):
    source = DataSource.objects.create(
        name="Chattsystem",
        profile={
            "columns": {"case_id": "Konversation", "opened_at": "Start", "channel": "Typ", "grouping": "Ämne"},
            "date_format": "%d/%m/%Y %H:%M",
        },
    )
    data = "Konversation,Start,Typ,Ämne\nC1,02/03/2026 14:30,chat,UF-01\n".encode()
    batch = run_import(source, data)
    assert batch.status == "loaded", batch.message
    assert CaseRecord.objects.get(case_id="C1").month == date(2026, 3, 1)


def test_aggregated_reference_statistics_load_into_the_aggregates(org):
    ref = DataSource.objects.create(name="Referens", is_reference=True)
    data = b"month,grouping,cases,channel\n2024-05,UF-01,120,\n2024-05,TF-01,30,phone\n2024-06,UF-01,80,\n"
    batch = run_import(ref, data, kind="aggregated")
    assert batch.status == "loaded", batch.message
    assert MonthlyAggregate.objects.filter(source=ref).aggregate(n=Sum("cases"))["n"] == 230
    assert not CaseRecord.objects.exists()


def test_aggregated_statistics_with_a_bad_row_change_nothing(org):
    ref = DataSource.objects.create(name="Referens", is_reference=True)
    before = database_state()
    batch = run_import(ref, b"month,grouping,cases\n2024-05,UF-01,120\n2024-13,UF-01,x\n", kind="aggregated")
    assert batch.status == "rejected"
    assert {e.column for e in batch.errors.all()} == {"month", "cases"}
    assert database_state() == before


def test_the_database_itself_refuses_a_second_case_with_the_same_id_in_a_source(org):
    from django.db import IntegrityError, transaction

    from cases.models import Channel, Grouping
    from cases.partitions import partitions_ensure

    common = {
        "source": org["source"],
        "case_id": "DUP",
        "opened_at": datetime(2026, 3, 1, 9, tzinfo=ZoneInfo("Europe/Stockholm")),
        "month": date(2026, 3, 1),
        "channel": Channel.objects.get(code="phone"),
        "grouping": Grouping.objects.get(code="UF-01"),
    }
    partitions_ensure([date(2026, 3, 1)])  # on PostgreSQL the import makes a month's partition
    CaseRecord.objects.create(**common)
    # On PostgreSQL the constraint is deferred: it bites at the latest at commit.
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseRecord.objects.create(**common)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SET CONSTRAINTS case_id_unique_per_source IMMEDIATE")
    assert CaseRecord.objects.filter(case_id="DUP").count() == 1


def test_the_sweeper_requeues_a_batch_whose_message_was_lost_and_leaves_fresh_ones(org, lost_messages):
    from datetime import timedelta

    from django.utils import timezone

    from imports.services import import_batches_sweep

    with lost_messages():  # the message is "lost"
        lost = import_batch_create(source=org["source"], stream=io.BytesIO(csv_bytes(good_rows(n=4))), filename="a.csv")
        fresh = import_batch_create(
            source=org["source"], stream=io.BytesIO(csv_bytes(good_rows(n=2, month="2026-04"))), filename="b.csv"
        )
    ImportBatch.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert import_batches_sweep(stale_seconds=600) == [lost.pk]
    assert ImportBatch.objects.get(pk=lost.pk).status == "loaded"
    assert ImportBatch.objects.get(pk=fresh.pk).status == "pending"
    assert import_batches_sweep(stale_seconds=600) == []


def test_a_batch_is_described_in_the_uploaders_language_even_by_a_worker(org, lost_messages):
    """The upload records the interface language; processing later, as a worker does (no request,
    the site's language active), writes the batch's message and row reasons in it."""
    import io

    from django.utils import translation

    bad = csv_bytes(["E1,2026-03-02 10:00,fax,UF-01,60,,,"])
    with lost_messages():
        with translation.override("en"):
            english = import_batch_create(source=org["source"], stream=io.BytesIO(bad), filename="en.csv")
        swedish = import_batch_create(source=org["source"], stream=io.BytesIO(bad + b"\n"), filename="sv.csv")
    for batch in (english, swedish):  # the worker's turn, outside any request
        import_batch_process(batch_id=batch.pk)
    english.refresh_from_db()
    swedish.refresh_from_db()
    assert english.language == "en" and english.status == "rejected"
    assert english.message.startswith("1 row has errors; nothing was loaded"), english.message
    assert english.errors.get().reason.startswith("unknown channel"), english.errors.get().reason
    assert swedish.message.startswith("1 rad har fel; inget laddades"), swedish.message
