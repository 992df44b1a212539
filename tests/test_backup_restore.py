"""A pg_dump of a populated database, restored into an empty one, reproduces every key, run
and publication (README: *Backup and restore*)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from allocation.keys.compute import allocation_key_compute_measured
from allocation.keys.decisions import allocation_key_decide
from allocation.models import CostPool, PublicationFile
from allocation.publications.publishing import publication_create
from allocation.runs.allocate import allocation_run_create
from allocation.selectors import export_checksums, records_fingerprint
from tests.conftest import IN_CI

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent


def test_a_restored_dump_reproduces_every_key_run_and_publication(
    volumes,
    postgres,
    finance_user,
    steering_user,
    tmp_path,
):
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        if IN_CI:
            pytest.fail("CI=true but pg_dump/pg_restore are missing (apt-get install postgresql-client)")
        pytest.skip("needs pg_dump and pg_restore")
    key = allocation_key_compute_measured(
        name="K", window_from=date(2026, 3, 1), window_to=date(2026, 4, 1), basis="cases", valid_from=date(2026, 1, 1)
    )
    allocation_key_decide(key=key, status="proposed", user=finance_user)
    allocation_key_decide(key=key, status="approved", user=steering_user)
    pool = CostPool.objects.create(
        name="KC", year=2026, gross_amount=Decimal("12345.67"), key=key, is_co_financing=True
    )
    allocation_run_create(key=key, pool=pool)
    publication_create(month=date(2026, 3, 1))
    original = records_fingerprint()
    original_exports = export_checksums()

    s = connection.settings_dict
    conn = ["-h", s.get("HOST") or "127.0.0.1", "-p", str(s.get("PORT") or 5432), "-U", s.get("USER") or "postgres"]
    dump = tmp_path / "backup.dump"
    subprocess.run(["pg_dump", *conn, "-Fc", "-f", str(dump), s["NAME"]], check=True)
    target = f"{s['NAME']}_restored"
    subprocess.run(["dropdb", *conn, "--if-exists", target], check=True)
    subprocess.run(["createdb", *conn, target], check=True)
    try:
        subprocess.run(["pg_restore", *conn, "--no-owner", "-d", target, str(dump)], check=True)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"postgres://{conn[5]}@{conn[1]}:{conn[3]}/{target}",
            "DJANGO_SECRET_KEY": "restore-check",
        }
        restored = (
            subprocess.run(
                [
                    sys.executable,
                    "manage.py",
                    "shell",
                    "-c",
                    "import json; from allocation.selectors import export_checksums, records_fingerprint; "
                    "print(json.dumps([records_fingerprint(), export_checksums()]))",
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        fingerprint, exports = json.loads(restored)
        assert fingerprint == original
        # Every export made from the restored database is byte for byte the original's, and the
        # publication files made again from the restored figures are the files that were stored.
        assert exports == original_exports
        stored = {
            f"{f.publication.month:%Y-%m}-v{f.publication.version}-{f.name}": f.sha256
            for f in PublicationFile.objects.select_related("publication")
        }
        assert stored and all(exports[name] == sha for name, sha in stored.items())
        assert sum(name.endswith(".xlsx") for name in exports) >= 3
        # The restored database also still refuses to change an approved key.
        refused = subprocess.run(
            ["psql", *conn, "-d", target, "-c", f"UPDATE allocation_keyshare SET share = 0 WHERE key_id = {key.pk}"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert refused.returncode != 0 and "is frozen" in refused.stderr
    finally:
        subprocess.run(["dropdb", *conn, "--if-exists", target], check=False)
