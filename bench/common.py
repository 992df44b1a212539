"""Shared set-up for the benchmarks: a scratch PostgreSQL database with the demo organisation."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/costshare_bench")
OUT = ROOT / "bench" / "out"


def django_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(
        {
            "DATABASE_URL": BENCH_DB,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": "bench-only-secret-key",
            "DJANGO_MEDIA_ROOT": str(OUT / "media"),
            "IMPORT_MAX_ROWS": "10000000",
            "IMPORT_MAX_UPLOAD_BYTES": str(4 * 1024**3),
        }
    )
    env.update(extra or {})
    return env


def recreate_database() -> None:
    import psycopg

    base, name = BENCH_DB.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    manage("migrate", "--noinput", "-v0")


def manage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=django_env(), check=True, capture_output=True, text=True
    )


def setup_organisation() -> None:
    """The demo organisation and its map, without case logs."""
    code = """
import random
from datetime import date
from decimal import Decimal
from config.demo import data as demo_data
from config.demo import names as demo_names
from cases.models import Administration, DataSource, Grouping
from cases.grouping_maps import MapRow, grouping_map_version_create
from cases.services import AdministrationRow, administrations_upsert
groupings = demo_data.demo_groupings(random.Random(1))
admins = demo_names.ADMINISTRATIONS
administrations_upsert(rows=[AdministrationRow(code=c, name=n, cost_centre=cc) for c, n, cc in admins])
Grouping.objects.bulk_create([Grouping(code=g.code, name=g.name, area=g.area) for g in groupings])
rows = []
for i, g in enumerate(groupings):
    if not g.owners:
        rows.append(MapRow(i, g.code, g.name, "", Decimal(1), True))
    for a, f in g.owners:
        rows.append(MapRow(i, g.code, g.name, a, f, False))
grouping_map_version_create(valid_from=date(2020, 1, 1), rows=rows)
DataSource.objects.get_or_create(name="Bench")
"""
    manage("shell", "-c", code)


def write_canonical_csv(path: Path, rows: int, seed: int = 1, year: int = 2025, prefix: str = "C") -> Path:
    """A canonical case log (DESIGN.md §6 columns) spread over a year, phone ≈ 60 %."""
    from config.demo import data as demo_data
    from config.demo import names as demo_names

    rng = random.Random(seed)
    codes = [g.code for g in demo_data.demo_groupings(random.Random(1))]
    admins = [a[0] for a in demo_names.ADMINISTRATIONS]
    channels = ["phone"] * 12 + ["email"] * 4 + ["chat", "eservice", "visit", "social"]
    start = datetime(year, 1, 1, 7, 0)
    # From 1 January 07:00 to 31 December 23:00: every row inside the year's months.
    step = (365 * 24 * 3600 - 8 * 3600) / rows
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("case_id,opened_at,channel,grouping,handle_seconds,wait_seconds,resolved_first_contact,forwarded_to\n")
        lines = []
        for i in range(rows):
            opened = start + timedelta(seconds=int(i * step))
            channel = channels[rng.randrange(20)]
            wait = str(rng.randrange(300)) if channel == "phone" else ""
            forwarded = admins[rng.randrange(len(admins))] if rng.random() < 0.1 else ""
            lines.append(
                f"{prefix}{i:09d},{opened:%Y-%m-%d %H:%M:%S},{channel},{codes[rng.randrange(len(codes))]},"
                f"{rng.randrange(30, 900)},{wait},{rng.randrange(2)},{forwarded}\n"
            )
            if len(lines) >= 100_000:
                fh.writelines(lines)
                lines.clear()
        fh.writelines(lines)
    return path


def run_measured(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a child process; return (wall seconds, its peak RSS in MB, its stdout)."""
    import tempfile
    import time

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=err, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read()
        if proc.returncode != 0:
            raise RuntimeError(f"{argv} failed ({proc.returncode}): {stdout[-1000:]} {err.read()[-2000:]}")
    return wall, usage.ru_maxrss / 1024, stdout
