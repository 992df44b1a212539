"""Shared set-up for the benchmarks: a scratch PostgreSQL database with the demo organisation."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
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
grouping_map_version_create(valid_from=date(2010, 1, 1), rows=rows)
DataSource.objects.get_or_create(name="Bench")
"""
    manage("shell", "-c", code)


# A key's loads summed straight from the raw case rows over a window of months (params: first,
# last): the reference the service, which reads the monthly aggregates, is measured beside.
RAW_LOADS_SQL = (
    "SELECT e.administration_id, SUM(ch.weight * e.fraction) FROM cases_caserecord c "
    "JOIN cases_channel ch ON ch.id = c.channel_id JOIN cases_groupingmapentry e ON e.grouping_id = c.grouping_id "
    "WHERE c.month BETWEEN %s AND %s AND NOT e.is_central GROUP BY e.administration_id"
)


def write_canonical_csv(
    path: Path, rows: int, seed: int = 1, year: int = 2025, prefix: str = "C", month: int | None = None
) -> Path:
    """A canonical case log (DESIGN.md §6 columns) spread over a year (or one `month` of it),
    phone ≈ 60 %."""
    from config.demo import data as demo_data
    from config.demo import names as demo_names

    rng = random.Random(seed)
    codes = [g.code for g in demo_data.demo_groupings(random.Random(1))]
    admins = [a[0] for a in demo_names.ADMINISTRATIONS]
    channels = ["phone"] * 12 + ["email"] * 4 + ["chat", "eservice", "visit", "social"]
    start = datetime(year, month or 1, 1, 7, 0)
    if month is None:
        # From 1 January 07:00 to 31 December 23:00: every row inside the year's months.
        span = 365 * 24 * 3600 - 8 * 3600
    else:
        # From the 1st 07:00 to the last day 23:00 of the month.
        from cases.months import next_month

        end = datetime.combine(next_month(date(year, month, 1)), datetime.min.time())
        span = int((end - start).total_seconds()) - 3600
    step = span / rows
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


LUA = (
    "done = function(summary, latency, requests)\n"
    '  io.write(string.format("JSON {\\"p50_ms\\": %.2f, \\"p95_ms\\": %.2f, \\"p99_ms\\": %.2f, "\n'
    '    .. "\\"requests\\": %d, \\"errors\\": %d, \\"non2xx\\": %d}\\n",\n'
    "    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,\n"
    "    summary.requests,\n"
    "    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,\n"
    "    summary.errors.status))\n"
    "end\n"
)


def wrk(url: str, cookie: str, seconds: int) -> dict[str, float]:
    script = OUT / "percentiles.lua"
    script.write_text(LUA)
    out = subprocess.run(
        ["wrk", "-t2", "-c20", f"-d{seconds}s", "-s", str(script), "-H", f"Cookie: sessionid={cookie}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"JSON (\{.*\})", out)
    assert match, out
    doc = json.loads(match.group(1))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    doc["requests_per_s"] = float(rps.group(1)) if rps else 0.0
    return doc


def steering_session() -> str:
    """A logged-in steering-group session's cookie value, for load tests of the pages."""
    code = (
        "from django.contrib.auth.models import User, Group\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        "from cases.roles import roles_ensure\n"
        "roles_ensure()\n"
        "u, _ = User.objects.get_or_create(username='bench')\n"
        "u.groups.add(Group.objects.get(name='steering_group'))\n"
        "s = SessionStore(); s['_auth_user_id'] = str(u.pk)\n"
        "s['_auth_user_backend'] = 'django.contrib.auth.backends.ModelBackend'\n"
        "s['_auth_user_hash'] = u.get_session_auth_hash(); s.save(); print(s.session_key)"
    )
    return manage("shell", "-c", code).stdout.strip().splitlines()[-1]


def serve_site(workers: int, port: int = 8099) -> subprocess.Popen[bytes]:
    """The site under gunicorn on loopback (static files collected first); stop it with stop()."""
    import time

    env = django_env(
        {
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_STATIC_ROOT": str(OUT / "static"),
            "GUNICORN_CMD_ARGS": "--log-level warning",
        }
    )
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", str(workers)],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    time.sleep(4)
    if server.poll() is not None:  # e.g. the port is taken by a server left from an earlier run
        raise RuntimeError(f"gunicorn on 127.0.0.1:{port} did not start (exit {server.returncode})")
    return server


def stop(server: subprocess.Popen[bytes]) -> None:
    import signal

    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)
