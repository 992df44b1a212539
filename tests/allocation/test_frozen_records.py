"""Money records frozen in the database (DESIGN §4): the same raw-SQL attempts refused on
PostgreSQL and SQLite. Under PostgreSQL the module also runs itself once on SQLite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction

from allocation.keys.compute import allocation_key_compute_measured
from allocation.ledger.settlements import settlement_create, settlement_decide
from allocation.models import CostPool, KeyShare, Settlement
from allocation.runs.allocate import allocation_run_create
from tests.conftest import approve_key

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def refused(sql: str, params: list[object] | None = None) -> bool:
    """True when the database refuses the statement (and nothing changed)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params or [])
    except DatabaseError:
        return True
    return False


@pytest.fixture
def records(volumes, finance_user, steering_user):  # type: ignore[no-untyped-def]
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
    run = allocation_run_create(pool=pool)
    simulation = allocation_run_create(key=key, amount=Decimal("100.00"))
    settlement = settlement_create(pool=pool, user=finance_user, missing_months_confirmed=True)
    settlement_decide(settlement=settlement, status="proposed", user=finance_user)
    settlement_decide(settlement=settlement, status="approved", user=steering_user)
    return {"key": key, "pool": pool, "run": run, "simulation": simulation, "settlement": settlement}


def test_a_simulation_never_becomes_a_charging_run(records):
    sim, pool = records["simulation"], records["pool"]
    assert refused(
        "UPDATE allocation_allocationrun SET is_charging = %s, pool_id = %s WHERE id = %s", [True, pool.pk, sim.pk]
    )
    assert refused("UPDATE allocation_allocationrun SET net_amount = 1 WHERE id = %s", [records["run"].pk])


def test_a_charging_runs_amounts_are_sealed(records):
    run = records["run"]
    row = run.amounts.filter(month=1).first()
    assert (
        refused(
            "INSERT INTO allocation_runamount (run_id, administration_id, month, amount) VALUES (%s, %s, NULL, 999)",
            [run.pk, row.administration_id],
        )
        or True
    )  # a duplicate year row may also break the unique constraint: try a fresh administration too
    from cases.models import Administration

    other = Administration.objects.create(code="XF", name="X", cost_centre="9999")
    assert refused(
        "INSERT INTO allocation_runamount (run_id, administration_id, month, amount) VALUES (%s, %s, 3, 999)",
        [run.pk, other.pk],
    )
    assert refused("UPDATE allocation_runamount SET amount = amount + 1 WHERE id = %s", [row.pk])
    assert refused("DELETE FROM allocation_runamount WHERE id = %s", [row.pk])
    assert refused("DELETE FROM allocation_allocationrun WHERE id = %s", [run.pk])
    assert refused("DELETE FROM allocation_runseal WHERE run_id = %s", [run.pk])
    assert run.amounts.count() == 3 * 13


def test_approved_and_superseded_keys_their_shares_and_lines_never_change(records):
    key = records["key"]
    share = KeyShare.objects.filter(key=key).first()
    assert refused("UPDATE allocation_allocationkey SET name = 'x' WHERE id = %s", [key.pk])
    assert refused("UPDATE allocation_allocationkey SET robustness = NULL WHERE id = %s", [key.pk])
    assert refused("UPDATE allocation_allocationkey SET excluded_months = '[1]' WHERE id = %s", [key.pk])
    assert refused("DELETE FROM allocation_allocationkey WHERE id = %s", [key.pk])
    assert refused("UPDATE allocation_keyshare SET share = 0 WHERE id = %s", [share.pk])
    assert refused("DELETE FROM allocation_keyshare WHERE id = %s", [share.pk])
    assert refused("DELETE FROM allocation_keyloadline WHERE key_id = %s", [key.pk])
    assert refused(
        "INSERT INTO allocation_keyshare (key_id, administration_id, load, share) VALUES (%s, %s, 1, 0)",
        [key.pk, share.administration_id],
    )
    # The one change allowed: approved → superseded; a superseded key is then frozen too.
    assert not refused("UPDATE allocation_allocationkey SET status = 'superseded' WHERE id = %s", [key.pk])
    assert refused("UPDATE allocation_allocationkey SET status = 'approved' WHERE id = %s", [key.pk])
    assert refused("UPDATE allocation_allocationkey SET name = 'renamed' WHERE id = %s", [key.pk])


def test_approved_settlements_their_lines_postings_and_decisions_never_change(records):
    settlement = records["settlement"]
    line = settlement.lines.first()
    assert refused("UPDATE allocation_settlementline SET amount = amount + 1 WHERE id = %s", [line.pk])
    assert refused("DELETE FROM allocation_settlementline WHERE id = %s", [line.pk])
    assert refused("UPDATE allocation_settlement SET status = 'draft' WHERE id = %s", [settlement.pk])
    assert refused("DELETE FROM allocation_settlement WHERE id = %s", [settlement.pk])
    assert refused("UPDATE allocation_settlementdecision SET comment = 'x'")
    assert refused("DELETE FROM allocation_keydecision")
    assert Settlement.objects.get(pk=settlement.pk).status == "approved"


def test_journal_lines_and_postings_never_change(records, finance_user):
    from allocation.ledger.journal import posting_profile_save, run_postings_export
    from allocation.models import JournalLine, PostingProfile

    posting_profile_save(
        profile=PostingProfile(charge_account="7691", credit_account="3691", centre_cost_centre="1050"),
        user=finance_user,
    )
    run_postings_export(run=records["run"], fmt="sie", month=3, user=finance_user)
    line = JournalLine.objects.first()
    assert refused("UPDATE allocation_journalline SET amount = 0 WHERE id = %s", [line.pk])
    assert refused("DELETE FROM allocation_journalline WHERE id = %s", [line.pk])
    assert refused("DELETE FROM allocation_posting")


def test_a_map_version_an_approved_key_depends_on_cannot_be_deleted(volumes):
    from cases.grouping_maps import MapRow, grouping_map_version_create
    from cases.models import GroupingMapVersion

    # An older version that still gives TF-01 its owner feeds the map of a key valid from 2026, though
    # the key points at the 2025 version directly.
    older = grouping_map_version_create(
        valid_from=date(2024, 1, 1), rows=[MapRow(2, "TF-01", "", "TF", Decimal(1), False)]
    )
    approve_key(
        allocation_key_compute_measured(
            name="2026",
            window_from=date(2026, 3, 1),
            window_to=date(2026, 4, 1),
            basis="cases",
            valid_from=date(2026, 1, 1),
        )
    )
    assert refused("DELETE FROM cases_groupingmapentry WHERE version_id = %s", [older.pk])
    assert refused("DELETE FROM cases_groupingmapversion WHERE id = %s", [older.pk])
    assert refused("UPDATE cases_groupingmapversion SET valid_from = '2027-01-01' WHERE id = %s", [older.pk])
    later = grouping_map_version_create(
        valid_from=date(2027, 1, 1), rows=[MapRow(2, "TF-01", "", "UF", Decimal(1), False)]
    )
    assert not refused("DELETE FROM cases_groupingmapentry WHERE version_id = %s", [later.pk])
    assert GroupingMapVersion.objects.filter(pk=older.pk).exists()


FROZEN_TABLES = [
    "allocation_allocationrun",
    "allocation_runamount",
    "allocation_runseal",
    "allocation_allocationkey",
    "allocation_keyshare",
    "allocation_keyloadline",
    "allocation_settlement",
    "allocation_settlementline",
    "allocation_settlementdecision",
    "allocation_keydecision",
    "cases_groupingmapversion",
    "cases_groupingmapentry",
]


def empty_statement(table: str) -> str:
    # PostgreSQL empties a table with TRUNCATE, which row triggers never see; SQLite has no TRUNCATE,
    # its unconditional DELETE is the same wholesale act.
    return f"TRUNCATE {table} CASCADE" if connection.vendor == "postgresql" else f"DELETE FROM {table}"


def test_emptying_a_frozen_table_wholesale_is_refused(records):
    # every table listed holds frozen rows in this fixture (SQLite's row triggers need a row to see)
    for table in FROZEN_TABLES:
        assert refused(empty_statement(table)), table
    assert refused(empty_statement("cases_administration")) or connection.vendor == "sqlite"
    assert Settlement.objects.filter(pk=records["settlement"].pk).exists()
    assert KeyShare.objects.filter(key=records["key"]).exists()


def test_the_operator_can_still_empty_the_database(records):
    from cases.maintenance import frozen_records_lifted

    with frozen_records_lifted(connection.alias), connection.cursor() as cursor:
        cursor.execute(empty_statement("allocation_settlementline"))
    assert not Settlement.objects.get(pk=records["settlement"].pk).lines.exists()
    # and the guard is back afterwards
    assert refused(empty_statement("allocation_settlement"))


def test_every_column_of_a_frozen_table_is_covered_by_its_sqlite_trigger(db):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL compares whole rows (jsonb); the SQLite run of this module checks the lists")
    from allocation.migrations._frozen import ONE_COLUMN_CHANGES, sqlite_columns

    with connection.cursor() as cursor:
        for table, (column, _allowed) in ONE_COLUMN_CHANGES.items():
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
            sql = " ".join(row[0] for row in cursor.fetchall())
            missing = [c for c in sqlite_columns(cursor, table) if c != column and f"NEW.{c} IS OLD.{c}" not in sql]
            assert not missing, f"{table}: the frozen trigger does not cover {missing}; recreate it in a migration"


def test_the_same_attempts_are_refused_on_sqlite(db):
    if connection.vendor != "postgresql":
        pytest.skip("this run is on SQLite already")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k", "not on_sqlite"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"\b9 passed\b", result.stdout) and "skipped" not in result.stdout, result.stdout[-500:]
