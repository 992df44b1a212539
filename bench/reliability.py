"""make reliability: the fault and bad-input tests, then a load run, and one table.

Needs PostgreSQL and Redis on 127.0.0.1 (as CI has them). The load run uses a scratch database
costshare_reliability, gunicorn (2 workers) and a real celery worker, and sends traffic only to
127.0.0.1, bounded by --seconds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from datetime import date

import common
from common import OUT, ROOT, run_measured, write_canonical_csv

DB = "postgres://postgres@127.0.0.1:5432/costshare_reliability"
REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
SUITES = {
    "faults survived": [
        "tests/test_worker.py",
        "tests/test_concurrency.py",
        "tests/test_backup_restore.py",
        "tests/allocation/test_publication_requests.py",
    ],
    "bad inputs rejected": ["tests/imports/test_bad_input.py", "tests/imports/test_parsing.py"],
}


def run_suites() -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    env = {
        **os.environ,
        "CI": "true",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/costshare"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        "DJANGO_SECRET_KEY": "reliability-run",
    }
    for label, paths in SUITES.items():
        junit = OUT / f"junit-{label.split()[0]}.xml"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *paths],
            cwd=ROOT,
            env=env,
            check=False,
            capture_output=True,
        )
        suite = ET.parse(junit).getroot().find("testsuite")  # noqa: S314
        assert suite is not None
        total, failed = int(suite.get("tests", 0)), int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        out[label] = (total - failed - int(suite.get("skipped", 0)), failed)
    return out


def load_run(seconds: int, users: int) -> dict[str, object]:
    common.BENCH_DB = DB
    env = common.django_env(
        {
            "DATABASE_URL": DB,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "REDIS_URL": REDIS,
            "DJANGO_STATIC_ROOT": str(OUT / "static"),
            "CELERY_QUEUE": "reliability",
        }
    )
    env["REDIS_URL"] = REDIS
    common.django_env = lambda extra=None: {**env, **(extra or {})}  # type: ignore[assignment]
    common.recreate_database()
    common.setup_organisation()
    first = write_canonical_csv(OUT / "rel-2025.csv", 200_000, seed=21, year=2025, prefix="R25-")
    run_measured(
        [sys.executable, "manage.py", "import_cases", str(first), "--source", "Bench", "--wait"],
        {**env, "REDIS_URL": ""},
    )
    subprocess.run(
        [sys.executable, "manage.py", "publish_month", "2025-12"],
        cwd=ROOT,
        env={**env, "REDIS_URL": ""},
        check=True,
        capture_output=True,
    )
    cookie = (
        common.manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import User, Group\n"
            "from django.contrib.sessions.backends.db import SessionStore\n"
            "from cases.roles import roles_ensure\nroles_ensure()\n"
            "u, _ = User.objects.get_or_create(username='load')\n"
            "u.groups.add(Group.objects.get(name='steering_group'))\n"
            "s = SessionStore(); s['_auth_user_id'] = str(u.pk)\n"
            "s['_auth_user_backend'] = 'config.auth.LockoutModelBackend'\n"
            "s['_auth_user_hash'] = u.get_session_auth_hash(); s.save(); print(s.session_key)",
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    counts = (
        "from cases.models import CaseRecord; from allocation.models import Publication; "
        "print(CaseRecord.objects.count(), Publication.objects.count())"
    )
    before = common.manage("shell", "-c", counts).stdout.strip().splitlines()[-1].split()
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "-b",
            "127.0.0.1:8098",
            "-w",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "reliability,reliability.imports,reliability.publications,reliability.mail",
            "--pool",
            "solo",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    latencies: list[float] = []
    errors: list[str] = []
    stop = time.monotonic() + seconds
    paths = [
        "/statistik/2025-12/",
        "/statistik/2025-12/UF/",
        "/statistik/2025-12/v1/kommun.xlsx",
        "/statistik/2025-12/v1/UF.xlsx",
        "/statistik/",
        "/api/v1/statistics/2025-12/",
    ]

    def user(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", 8098, timeout=30)
        i = n
        while time.monotonic() < stop:
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(f"{path}: {response.status}")
            except Exception as exc:  # counted, and the connection is renewed
                errors.append(f"{path}: {exc}")
                conn = http.client.HTTPConnection("127.0.0.1", 8098, timeout=30)
            latencies.append(time.perf_counter() - started)

    try:
        time.sleep(4)
        second = write_canonical_csv(OUT / "rel-2026.csv", 200_000, seed=22, year=2026, prefix="R26-")
        threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
        for t in threads:
            t.start()
        # While the users browse: an import and a publication run through the real worker.
        subprocess.run(
            [sys.executable, "manage.py", "import_cases", str(second), "--source", "Bench", "--wait"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        common.manage(
            "shell",
            "-c",
            "from datetime import date; from allocation.publications.publishing import publication_request_create; "
            "publication_request_create(month=date(2026, 12, 1), reason='reliability')",
        )
        for t in threads:
            t.join()
        # The queued publication runs on the worker; wait for it (bounded).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            published = (
                common.manage(
                    "shell", "-c", "from allocation.models import Publication; print(Publication.objects.count())"
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            if int(published) > int(before[1]):
                break
            time.sleep(2)
    finally:
        for proc in (server, worker):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
    after = common.manage("shell", "-c", counts).stdout.strip().splitlines()[-1].split()
    ordered = sorted(latencies)
    return {
        "users": users,
        "seconds": seconds,
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95)] * 1000, 1),
        "p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 1),
        "errors": len(errors),
        "first_errors": errors[:5],
        "cases_before": int(before[0]),
        "cases_after": int(after[0]),
        "publications_before": int(before[1]),
        "publications_after": int(after[1]),
        "rows_lost": int(before[0]) + 200_000 - int(after[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    suites = run_suites()
    load = load_run(args.seconds, args.users)
    print(f"\nReliability run {date.today().isoformat()}")
    print(f"{'what':<34}{'passed':>10}{'failed':>10}")
    for label, (ok, bad) in suites.items():
        print(f"{label:<34}{ok:>10}{bad:>10}")
    print(
        f"{'requests served (' + str(load['users']) + ' users, ' + str(load['seconds']) + ' s)':<34}"
        f"{load['requests']:>10}{load['errors']:>10}"
    )
    print(f"latency p50/p95/p99: {load['p50_ms']}/{load['p95_ms']}/{load['p99_ms']} ms, {load['requests_per_s']} req/s")
    print(
        f"cases {load['cases_before']} → {load['cases_after']} (+200000 imported during the run), "
        f"rows lost: {load['rows_lost']}; publications {load['publications_before']} → {load['publications_after']}"
    )
    (OUT / "reliability.json").write_text(json.dumps({"suites": suites, "load": load}, indent=2, default=str))
    failed = (
        any(bad for _ok, bad in suites.values())
        or load["errors"]
        or load["rows_lost"]
        or load["publications_after"] != load["publications_before"] + 1
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
