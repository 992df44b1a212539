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
import sys
from datetime import date
from pathlib import Path

from common import (
    OUT,
    django_env,
    recreate_database,
    run_measured,
    serve_site,
    setup_organisation,
    steering_session,
    stop,
    write_canonical_csv,
    wrk,
)


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
    cookie = steering_session()
    server = serve_site(args.workers)
    try:
        page = wrk(f"http://127.0.0.1:8099/statistik/{month}/", cookie, args.seconds)
        static = wrk("http://127.0.0.1:8099/static/css/app.css", cookie, args.seconds)
    finally:
        stop(server)
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
