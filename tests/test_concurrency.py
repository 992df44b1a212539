"""Two loads of the same month at once, and two runs of the same pool at once, on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from cases.models import CaseRecord, MonthlyAggregate
from imports.models import ImportBatch
from tests.conftest import csv_bytes
from tests.test_worker import _database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent


def _import_at_once(files: list[tuple[Path, str]], settings: Any, *options: str) -> None:
    """Run `import_cases` for each (file, source) in processes of their own, all at once, each
    importing in-process (no broker), and wait until every one has succeeded."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "concurrency-test",
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    env.pop("REDIS_URL", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "import_cases", str(path), "--source", source, *options, "--wait", "--json"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path, source in files
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs


def test_two_uploads_of_the_same_month_at_once_never_interleave(org, postgres, tmp_path, settings):
    files = []
    for prefix, n in (("A", 60_000), ("B", 45_000)):
        path = tmp_path / f"{prefix}.csv"
        path.write_bytes(
            csv_bytes([f"{prefix}{i},2026-03-{(i % 27) + 1:02d} 10:00,phone,UF-01,{i % 400},,," for i in range(n)])
        )
        files.append(path)
    _import_at_once([(path, "Telefoni") for path in files], settings, "--replace")
    # Both loaded, one after the other; the month holds exactly one file, never a mix.
    assert list(ImportBatch.objects.values_list("status", flat=True).order_by("status")) == ["loaded", "superseded"]
    prefixes = set(CaseRecord.objects.values_list("case_id", flat=True).iterator())
    first_letters = {c[0] for c in prefixes}
    assert len(first_letters) == 1
    expected = 60_000 if first_letters == {"A"} else 45_000
    assert CaseRecord.objects.count() == expected
    assert sum(MonthlyAggregate.objects.values_list("cases", flat=True)) == expected
    winner = ImportBatch.objects.get(status="loaded")
    assert winner.original_name.startswith(first_letters.pop())


def test_two_sources_bringing_a_new_month_at_once_both_load_into_one_new_partition(org, postgres, tmp_path, settings):
    from datetime import date

    from cases.models import DataSource
    from cases.partitions import partition_months, partition_name

    month = date(2037, 7, 1)
    if month in partition_months():  # left (empty) by an earlier run in this database
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE {partition_name(month)}")
    DataSource.objects.create(name="E-tjänster")
    files = []
    for prefix, n in (("T", 40_000), ("E", 30_000)):
        path = tmp_path / f"{prefix}.csv"
        path.write_bytes(
            csv_bytes([f"{prefix}{i},2037-07-{(i % 27) + 1:02d} 10:00,phone,UF-01,{i % 400},,," for i in range(n)])
        )
        files.append(path)
    _import_at_once(list(zip(files, ("Telefoni", "E-tjänster"), strict=True)), settings)
    assert list(ImportBatch.objects.values_list("status", flat=True)) == ["loaded", "loaded"]
    assert partition_months().count(month) == 1
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {partition_name(month)}")
        assert cur.fetchone()[0] == 70_000
    assert CaseRecord.objects.filter(source__name="E-tjänster").count() == 30_000


def test_two_runs_of_the_same_pool_at_once_are_serialised(volumes, postgres):
    from allocation.models import AllocationRun, CostPool
    from allocation.runs.allocate import allocation_run_create
    from tests.allocation.test_keys_and_runs import _key
    from tests.conftest import approve_key

    key = approve_key(_key())
    pool = CostPool.objects.create(name="KC", year=2027, gross_amount=Decimal("1000.00"), key=key)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            allocation_run_create(key=key, pool=pool)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    first, second = AllocationRun.objects.order_by("pk")
    # The second waited for the first's lock on the pool and records it as superseded.
    assert second.supersedes_id == first.pk
    assert sorted(first.amounts.values_list("amount", flat=True)) == sorted(
        second.amounts.values_list("amount", flat=True)
    )
