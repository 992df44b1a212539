"""Ten years of a large city (issue: speed and scale), each figure beside its reference.

Run: make bench-scale   (PostgreSQL on 127.0.0.1:5432, wrk from Debian; scratch database costshare_scale)
Options: --years 10 --cases-per-year 5000000 --month-rows 400000 --seconds 15 [--imports-only]

Loads `--years` years of `--cases-per-year` cases each through the real import path
(`import_cases`, one file a year), and after the first year and after the last runs the same
measurements, so that each figure is seen at 5 M and at 50 M rows:

- replacing one month (a file of `--month-rows` rows) through the import, beside a bare COPY
  of the same file into a table of its own (median of 3, the files alternate);
- a measured key over the last 12 months (the service, from the monthly aggregates; goal < 1 s),
  beside the same loads summed from the raw case rows;
- publishing a month (`publish_month`; goal < 30 s);
- the published statistics page at 20 concurrent clients (wrk, 15 s; goal p95 < 150 ms),
  beside a static file served by the same gunicorn;
- `pg_dump -Fc` of the whole database, its time and size;

and the disk the case table and its aggregates take per year of data.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/costshare_scale")

import import_bench  # it and common read the database above when imported
from common import (
    BENCH_DB,
    OUT,
    RAW_LOADS_SQL,
    django_env,
    manage,
    recreate_database,
    run_measured,
    serve_site,
    setup_organisation,
    steering_session,
    stop,
    write_canonical_csv,
    wrk,
)
from import_bench import import_file, psql

FIRST_YEAR = 2016
REPLACED_MONTH = (FIRST_YEAR, 6)  # an old month, replaced in both rounds


def bare_copy(path: Path) -> float:
    """import_bench's bare COPY into an empty table of its own, dropped after (it is as big as the file)."""
    wall = import_bench.bare_copy(path)[0]
    psql("DROP TABLE bench_copy")
    return wall


def sql_value(query: str) -> str:
    out = subprocess.run(["psql", BENCH_DB, "-Atq", "-c", query], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def disk_mb() -> dict[str, float]:
    def size(table: str) -> float:
        # A partitioned table keeps nothing itself: its partitions (with their indexes) hold the rows.
        total = sql_value(
            f"SELECT pg_total_relation_size('{table}') + COALESCE((SELECT SUM(pg_total_relation_size(inhrelid)) "
            f"FROM pg_inherits WHERE inhparent = '{table}'::regclass), 0)"
        )
        return round(int(total) / 1e6, 1)

    return {
        "cases_mb": size("cases_caserecord"),
        "aggregates_mb": size("cases_monthlyaggregate"),
        "database_mb": round(int(sql_value("SELECT pg_database_size(current_database())")) / 1e6, 1),
    }


KEY_TIMING = """
import json, statistics, time
from datetime import date
from django.db import connection
from allocation.keys.compute import allocation_key_compute_measured
window = (date({y}, 1, 1), date({y}, 12, 1))
service, raw = [], []
for _ in range(3):
    t = time.perf_counter()
    allocation_key_compute_measured(name="scale", window_from=window[0], window_to=window[1], basis="weighted",
                                    valid_from=date({y} + 1, 1, 1))
    service.append(time.perf_counter() - t)
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute({raw_sql!r}, window)
        cur.fetchall()
    raw.append(time.perf_counter() - t)
print(json.dumps({{"service_s": round(statistics.median(service), 3), "all_service_s": [round(x, 3) for x in service],
                  "reference_raw_scan_s": round(statistics.median(raw), 3)}}))
"""


def measure(rows_loaded: int, last_year: int, args: argparse.Namespace, round_no: int) -> dict[str, object]:
    """The measurements at the current size of the database."""
    print(f"measuring at {rows_loaded:,} rows", flush=True)
    result: dict[str, object] = {"rows": rows_loaded}

    # Replacing one month: three different files (a file already live is refused), alternating with the COPY.
    year, month = REPLACED_MONTH
    copies, imports, peaks = [], [], []
    for i in range(3):
        path = write_canonical_csv(
            OUT / f"scale-month-{round_no}-{i}.csv",
            args.month_rows,
            seed=100 + 10 * round_no + i,
            year=year,
            month=month,
            prefix=f"R{round_no}{i}-",
        )
        copies.append(bare_copy(path))
        # Confirmed, as a finance officer confirms a corrected month (its count may differ).
        wall, rss, _doc = import_file(path, "--month", f"{year}-{month:02d}", "--replace")
        imports.append(wall)
        peaks.append(rss)
        path.unlink()
    result["replace_month"] = {
        "rows": args.month_rows,
        "import_s": round(statistics.median(imports), 2),
        "bare_copy_s": round(statistics.median(copies), 2),
        "ratio_to_copy": round(statistics.median(copies) / statistics.median(imports), 2),
        "import_peak_rss_mb": round(max(peaks)),
        "all_import_s": [round(x, 2) for x in imports],
        "all_bare_copy_s": [round(x, 2) for x in copies],
    }
    print(json.dumps(result["replace_month"]), flush=True)
    if args.imports_only:
        return result

    key = json.loads(
        manage("shell", "-c", KEY_TIMING.format(y=last_year, raw_sql=RAW_LOADS_SQL)).stdout.strip().splitlines()[-1]
    )
    result["key_12_months"] = key
    print(json.dumps(key), flush=True)

    published = f"{last_year}-12"
    wall, rss, _ = run_measured([sys.executable, "manage.py", "publish_month", published], django_env())
    result["publish_month"] = {"month": published, "s": round(wall, 2), "peak_rss_mb": round(rss)}
    print(json.dumps(result["publish_month"]), flush=True)

    cookie = steering_session()
    server = serve_site(workers=2)
    try:
        page = wrk(f"http://127.0.0.1:8099/statistik/{published}/", cookie, args.seconds)
        static = wrk("http://127.0.0.1:8099/static/css/app.css", cookie, args.seconds)
    finally:
        stop(server)
    result["published_page"] = {"page": page, "reference_static_file": static}
    print(json.dumps(result["published_page"]), flush=True)

    dump = OUT / "scale.dump"
    wall, _rss, _ = run_measured(["pg_dump", "-Fc", "-f", str(dump), BENCH_DB], django_env())
    result["pg_dump"] = {"s": round(wall, 1), "size_mb": round(dump.stat().st_size / 1e6, 1)}
    dump.unlink()
    result["disk"] = disk_mb()
    print(json.dumps({"pg_dump": result["pg_dump"], "disk": result["disk"]}), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--cases-per-year", type=int, default=5_000_000)
    parser.add_argument("--month-rows", type=int, default=400_000)
    parser.add_argument("--seconds", type=int, default=15, help="wrk duration per URL")
    parser.add_argument(
        "--replace-only",
        action="store_true",
        help="only replace the month again in the database as a run left it (bench/out/scale_bench_replace.json)",
    )
    parser.add_argument(
        "--imports-only",
        action="store_true",
        help="only the yearly imports and the month replaced (bench/out/scale_bench_imports.json)",
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.replace_only:
        args.imports_only = True
        loaded = int(sql_value("SELECT COUNT(*) FROM cases_caserecord"))
        replaced = measure(loaded, FIRST_YEAR + args.years - 1, args, round_no=int(time.time()) % 1000)
        (OUT / "scale_bench_replace.json").write_text(json.dumps(replaced, indent=2))
        return
    recreate_database()
    setup_organisation()
    results: dict[str, object] = {
        "date": date.today().isoformat(),
        "machine": f"{os.uname().machine}, {os.cpu_count()} cores",
        "years": args.years,
        "cases_per_year": args.cases_per_year,
        "yearly_imports": [],
        "rounds": [],
    }
    loaded = 0
    for i in range(args.years):
        year = FIRST_YEAR + i
        path = write_canonical_csv(
            OUT / f"scale-year-{year}.csv", args.cases_per_year, seed=10 + i, year=year, prefix=f"Y{year}-"
        )
        copy_s = bare_copy(path)
        wall, rss, doc = import_file(path)
        path.unlink()
        loaded = int(sql_value("SELECT COUNT(*) FROM cases_caserecord"))
        step = {
            "year": year,
            "rows": doc["rows_loaded"],
            "import_s": round(wall, 1),
            "bare_copy_s": round(copy_s, 1),
            "ratio_to_copy": round(copy_s / wall, 2),
            "peak_rss_mb": round(rss),
            "rows_in_table_after": loaded,
            **disk_mb(),
        }
        results["yearly_imports"].append(step)  # type: ignore[attr-defined]
        print(json.dumps(step), flush=True)
        if i == 0 or i == args.years - 1:
            results["rounds"].append(measure(loaded, year, args, round_no=len(results["rounds"])))  # type: ignore[arg-type]
    last = results["yearly_imports"][-1]  # type: ignore[index]
    results["disk_per_year_mb"] = round((last["cases_mb"] + last["aggregates_mb"]) / args.years, 1)
    name = "scale_bench_imports.json" if args.imports_only else "scale_bench.json"
    (OUT / name).write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
