"""Published pages under load and the time to publish a month (issue: monthly statistics).

Run: make bench-statistics   (PostgreSQL on 127.0.0.1:5432, wrk from Debian; scratch database costshare_bench)

Loads three years of 2,000,000 cases a year through the real import path, publishes the last
month (timed), then serves the site with gunicorn and drives it with wrk, 20 connections on
loopback: the published overview page, beside the reference of a static file served by the
same gunicorn (the floor for any page) in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from common import (
    OUT,
    ROOT,
    django_env,
    manage,
    recreate_database,
    run_measured,
    setup_organisation,
    write_canonical_csv,
)

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases-per-year", type=int, default=2_000_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database of a previous run")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (one per core)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if not args.reuse:
        recreate_database()
        setup_organisation()
    for i, year in enumerate(range(2026 - args.years + 1, 2027) if not args.reuse else []):
        path = write_canonical_csv(
            OUT / f"year-{year}-{args.cases_per_year}.csv",
            args.cases_per_year,
            seed=10 + i,
            year=year,
            prefix=f"Y{year}-",
        )
        run_measured(
            [sys.executable, "manage.py", "import_cases", str(path), "--source", "Bench", "--wait", "--json"],
            django_env(),
        )
    month = "2026-12"
    publish_wall, publish_rss, _ = run_measured([sys.executable, "manage.py", "publish_month", month], django_env())
    cookie = (
        manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import User, Group\n"
            "from django.contrib.sessions.backends.db import SessionStore\n"
            "from cases.roles import roles_ensure\n"
            "roles_ensure()\n"
            "u, _ = User.objects.get_or_create(username='bench')\n"
            "u.groups.add(Group.objects.get(name='steering_group'))\n"
            "s = SessionStore(); s['_auth_user_id'] = str(u.pk)\n"
            "s['_auth_user_backend'] = 'django.contrib.auth.backends.ModelBackend'\n"
            "s['_auth_user_hash'] = u.get_session_auth_hash(); s.save(); print(s.session_key)",
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    manage("collectstatic", "--noinput", "-v0")
    env = django_env({"DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_STATIC_ROOT": str(OUT / "static")})
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "-b",
            "127.0.0.1:8099",
            "-w",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        time.sleep(4)
        page = wrk(f"http://127.0.0.1:8099/statistik/{month}/", cookie, args.seconds)
        static = wrk("http://127.0.0.1:8099/static/css/app.css", cookie, args.seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    results = {
        "date": date.today().isoformat(),
        "cases": args.cases_per_year * args.years,
        "publish_month_s": round(publish_wall, 2),
        "publish_peak_rss_mb": round(publish_rss),
        "published_page": page,
        "reference_static_file": static,
    }
    Path(OUT / "statistics_bench.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
