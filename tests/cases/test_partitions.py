"""The case table partitioned by month on PostgreSQL (cases 0017, cases.partitions)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from cases.models import CaseRecord, DataSource
from cases.partitions import cross_month_duplicate, partition_months, partition_name, partitions_ensure
from tests.conftest import csv_bytes, migrate_to
from tests.imports.helpers import run_import

pytestmark = pytest.mark.usefixtures("postgres")

NAMES = (
    "id, case_id, opened_at, month, handle_seconds, wait_seconds, resolved_first_contact, batch_id, "
    "forwarded_to_id, channel_id, source_id, grouping_id, outcome"
)


def _fingerprint() -> tuple[int, str]:
    """Every column of every row, in id order, as one md5 (small data: one value is fine)."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT COUNT(*), md5(COALESCE(string_agg(t::text, '|' ORDER BY t.id), '')) "
            f"FROM (SELECT {NAMES} FROM cases_caserecord) t"
        )
        count, digest = cur.fetchone()
    return int(count), str(digest)


def _relkind() -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT relkind FROM pg_class WHERE relname = 'cases_caserecord'")
        return str(cur.fetchone()[0])


# In the test's transaction: rolled back whatever happens.
def test_the_migration_moves_every_row_into_month_partitions_and_back(org):
    migrate_to([("cases", "0016_notifications")])
    assert _relkind() == "r"
    other = DataSource.objects.create(name="Andra").pk
    with connection.cursor() as cur:
        # Rows in four months of two sources, with NULLs, an escaped id and an abandoned call.
        cur.execute("SELECT id FROM cases_channel WHERE code = 'phone'")
        phone = cur.fetchone()[0]
        cur.execute("SELECT id FROM cases_grouping WHERE code = 'UF-01'")
        uf = cur.fetchone()[0]
        rows = [
            (org["source"].pk, "A-1", "2024-12-31 23:59:59+01", "2024-12-01", 120, 5, True, 7, org["TF"].pk, None),
            (org["source"].pk, "A-2", "2025-01-01 00:00:00+01", "2025-01-01", None, None, None, None, None, None),
            (org["source"].pk, "tab\tid", "2025-01-15 12:00:00+01", "2025-01-01", 0, 0, False, 7, None, "handled"),
            (other, "A-1", "2025-02-28 23:00:00+01", "2025-02-01", 60, 400, None, 8, None, "abandoned"),
            (other, "Ä-ö", "2026-03-02 08:00:00+01", "2026-03-01", 3, 1, True, 8, None, None),
        ]
        for source, case_id, opened, month, handle, wait, resolved, batch, fwd, outcome in rows:
            cur.execute(
                "INSERT INTO cases_caserecord (source_id, case_id, opened_at, month, handle_seconds, wait_seconds, "
                "resolved_first_contact, batch_id, forwarded_to_id, channel_id, grouping_id, outcome) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [source, case_id, opened, month, handle, wait, resolved, batch, fwd, phone, uf, outcome],
            )
    before = _fingerprint()
    assert before[0] == 5

    migrate_to()
    assert _relkind() == "p"
    assert _fingerprint() == before
    assert partition_months() == [date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1), date(2026, 3, 1)]
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {partition_name(date(2025, 1, 1))}")
        assert cur.fetchone()[0] == 2
    # The ids go on after the highest moved one.
    new = CaseRecord.objects.create(
        source=org["source"],
        case_id="A-3",
        opened_at="2025-01-20T10:00:00+01:00",
        month=date(2025, 1, 1),
        channel_id=phone,
        grouping_id=uf,
    )
    assert new.pk > max(CaseRecord.objects.exclude(pk=new.pk).values_list("pk", flat=True))
    moved = _fingerprint()

    migrate_to([("cases", "0016_notifications")])
    assert _relkind() == "r"
    assert _fingerprint() == moved
    migrate_to()
    assert _fingerprint() == moved


@pytest.mark.django_db(transaction=True)
def test_an_import_makes_the_partitions_of_its_months(org):
    assert date(2031, 5, 1) not in partition_months()
    batch = run_import(
        org["source"],
        csv_bytes(["P-1,2031-05-02 09:00,phone,UF-01,100,10,1,", "P-2,2031-06-03 09:00,email,TF-01,50,,0,"]),
    )
    assert batch.status == "loaded", batch.message
    assert {date(2031, 5, 1), date(2031, 6, 1)} <= set(partition_months())
    with connection.cursor() as cur:
        cur.execute(f"SELECT case_id FROM {partition_name(date(2031, 6, 1))}")
        assert cur.fetchall() == [("P-2",)]


@pytest.mark.django_db(transaction=True)
def test_a_case_id_in_another_month_is_refused_with_its_row_whatever_the_order_of_ids(org):
    # The repeated id is the lowest of the new month's or its highest: caught either way.
    first = run_import(
        org["source"],
        csv_bytes(["A-1,2032-01-10 09:00,phone,UF-01,100,10,1,", "C-9,2032-01-11 09:00,phone,UF-01,100,10,1,"]),
    )
    assert first.status == "loaded", first.message
    for case_id in ("C-9", "A-1"):
        batch = run_import(
            org["source"],
            csv_bytes(["B-5,2032-02-10 09:00,phone,UF-01,100,10,1,", f"{case_id},2032-02-12 09:00,phone,TF-01,1,1,1,"]),
        )
        assert batch.status == "rejected"
        error = batch.errors.get()
        assert (error.row_number, error.column, error.value) == (3, "case_id", case_id)
        assert "2032-01" in error.reason
    assert not CaseRecord.objects.filter(month=date(2032, 2, 1)).exists()


@pytest.mark.django_db(transaction=True)
def test_the_cross_month_check_joins_only_months_whose_id_ranges_overlap(org):
    for rows in (
        ["M-100,2033-01-10 09:00,phone,UF-01,1,1,1,", "M-199,2033-01-11 09:00,phone,UF-01,1,1,1,"],
        ["M-200,2033-02-10 09:00,phone,UF-01,1,1,1,", "M-299,2033-02-11 09:00,phone,UF-01,1,1,1,"],
        ["M-150,2033-03-10 09:00,phone,UF-01,1,1,1,", "M-250,2033-03-11 09:00,phone,UF-01,1,1,1,"],
    ):
        assert run_import(org["source"], csv_bytes(rows)).status == "loaded"
    source = org["source"].pk
    assert cross_month_duplicate(source_id=source, months=[date(2033, 3, 1)]) is None
    # A row put in by hand (not through the import) in January with a March id is found.
    partitions_ensure([date(2033, 1, 1)])
    march = CaseRecord.objects.get(case_id="M-250")
    march.pk = None
    march.month = date(2033, 1, 1)
    march.opened_at = march.opened_at.replace(month=1)
    march.save()
    assert cross_month_duplicate(source_id=source, months=[date(2033, 3, 1)]) == "M-250"
    assert cross_month_duplicate(source_id=source, months=[date(2033, 2, 1)]) is None


@pytest.mark.django_db(transaction=True)
def test_old_months_are_archived_and_attached_again_with_numbers_confirmation_and_audit(org):
    from django.core.management import CommandError, call_command

    from cases.models import AuditEntry, MonthlyAggregate
    from cases.partitions import archive_name, archived_months

    january, february = date(1995, 1, 1), date(1995, 2, 1)
    with connection.cursor() as cur:  # left by an earlier run in this database, or an earlier test
        cur.execute(f"DROP TABLE IF EXISTS {archive_name(january)}")
        for month in partition_months():
            if month < january:  # empty now (the tests' data is flushed), but they would be counted
                cur.execute(f"DROP TABLE {partition_name(month)}")
    rows = ["A1,1995-01-10 09:00,phone,UF-01,1,1,1,", "A2,1995-01-11 09:00,phone,UF-01,1,1,1,"]
    rows.append("A3,1995-01-12 09:00,email,TF-01,1,,1,")
    assert run_import(org["source"], csv_bytes(rows)).status == "loaded"
    assert run_import(org["source"], csv_bytes(["B1,1995-02-10 09:00,phone,UF-01,1,1,1,"])).status == "loaded"

    with pytest.raises(CommandError, match=r"1 månader \(1995-01 – 1995-01\), 3 ärenden") as refused:
        call_command("case_partitions", "--detach-before", "1995-02")
    assert refused.value.returncode == 1
    assert january in partition_months()

    call_command("case_partitions", "--detach-before", "1995-02", "--confirm")
    assert january not in partition_months() and january in archived_months()
    assert not CaseRecord.objects.filter(month=january).exists()
    assert sum(MonthlyAggregate.objects.filter(month=january).values_list("cases", flat=True)) == 3
    entry = AuditEntry.objects.get(action="detach case month", object_id="1995-01")
    assert entry.before["rows"] == 3 and entry.after == {"table": archive_name(january)}

    # While January is away its ids are not checked: A1 can come in with February. Attaching
    # January again is then refused, naming the id, and nothing changes.
    batch = run_import(org["source"], csv_bytes(["A1,1995-02-11 09:00,phone,UF-01,1,1,1,"]), replace=True)
    assert batch.status == "loaded", batch.message
    with pytest.raises(CommandError, match="A1"):
        call_command("case_partitions", "--reattach", "1995-01", "--confirm")
    assert january in archived_months()

    batch = run_import(org["source"], csv_bytes(["B2,1995-02-12 09:00,phone,UF-01,1,1,1,"]), replace=True)
    assert batch.status == "loaded", batch.message
    call_command("case_partitions", "--reattach", "1995-01", "--confirm")
    assert january in partition_months() and january not in archived_months()
    assert sorted(CaseRecord.objects.filter(month=january).values_list("case_id", flat=True)) == ["A1", "A2", "A3"]
    assert AuditEntry.objects.filter(action="attach case month", object_id="1995-01").count() == 1
    assert february in partition_months()


@pytest.mark.django_db(transaction=True)
def test_the_admin_case_list_takes_the_planners_estimate_beyond_a_hundred_thousand_rows(org, monkeypatch, admin_client):
    from django.test.utils import CaptureQueriesContext

    from cases.admin import EstimatedCountPaginator

    rows = [f"E-{i},2036-04-{i + 1:02d} 09:00,phone,UF-01,1,1,1," for i in range(3)]
    assert run_import(org["source"], csv_bytes(rows)).status == "loaded"
    assert EstimatedCountPaginator(CaseRecord.objects.order_by("pk"), 100).count == 3  # few rows: counted exactly

    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", -1)
    with CaptureQueriesContext(connection) as queries:
        estimate = EstimatedCountPaginator(CaseRecord.objects.filter(source=org["source"]).order_by("pk"), 100).count
    assert estimate >= 0
    assert [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()] == []
    page = admin_client.get("/admin/cases/caserecord/")
    assert page.status_code == 200 and "E-2" in page.content.decode()
    assert "PostgreSQL" in page.content.decode()  # the count is marked as an estimate
