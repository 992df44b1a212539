"""Backtest of the forecast (issue 31, part 5): each year forecast from the years before it and
compared with what happened. No database: the pure forecast (allocation.forecast) on two series.

Run: make bench-forecast   (writes forecast_backtest_result.json beside this file)

(a) The demo municipality: its pure generator (config/demo/data.py, the one seed_demo imports)
    for 48 months, 2023-01…2026-12, counted per grouping and month; the demo's 235 groupings
    and their owners as the map. 2024, 2025 and 2026 are each forecast from the months before.
(b) Baltimore 311 (../shared/realdata/baltimore-311/311_sample.csv, 10,000 requests
    2014-01…2019-02): request types as groupings, each owned by the agency that handled most of
    its requests; 2015…2018 are each forecast from the months before.

Figures per year: the mean absolute error of the administrations' shares in percentage points,
beside the naive answer (the last twelve months' shares, what a measured key gives); the error
of the yearly volume in % (forecast − actual, signed); and how many administrations' actual
shares fell inside the forecast's range.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
BALTIMORE = ROOT.parent / "shared" / "realdata" / "baltimore-311" / "311_sample.csv"


def demo_series(seed: int, cases_per_year: int):  # type: ignore[no-untyped-def]
    from allocation.calculation import MapOwner
    from cases.months import month_range
    from config.demo import data as demo_data

    groupings = demo_data.demo_groupings(random.Random(seed))
    months = month_range(date(2023, 1, 1), date(2026, 12, 1))
    counts: dict[str, list[Decimal | None]] = {g.code: [Decimal(0)] * len(months) for g in groupings}
    for i, month in enumerate(months):
        rng = random.Random(f"{seed}-{month:%Y-%m}")  # as write_month_files seeds each month
        for row in demo_data.generate_month(rng, groupings, month, cases_per_year):
            code = str(row["grouping"])
            counts[code][i] = (counts[code][i] or Decimal(0)) + 1
    owners = {
        g.code: [MapOwner(a, f) for a, f in g.owners] if g.owners else [MapOwner(None, Decimal(1))] for g in groupings
    }
    return months, counts, owners


def baltimore_series(path: Path):  # type: ignore[no-untyped-def]
    from allocation.calculation import MapOwner
    from cases.months import month_range

    cells: Counter[tuple[date, str]] = Counter()
    agencies: dict[str, Counter[str]] = defaultdict(Counter)
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            opened = datetime.strptime(row["CreatedDate"], "%m/%d/%Y %I:%M:%S %p")
            cells[(date(opened.year, opened.month, 1), row["SRType"])] += 1
            agencies[row["SRType"]][row["Agency"]] += 1
    months = month_range(min(m for m, _g in cells), max(m for m, _g in cells))
    types = sorted(agencies)
    counts: dict[str, list[Decimal | None]] = {t: [Decimal(cells[(m, t)]) for m in months] for t in types}
    # Each request type belongs to the agency that handled most of it (ties: the first by name).
    owners = {
        t: [MapOwner(sorted(agencies[t].items(), key=lambda kv: (-kv[1], kv[0]))[0][0], Decimal(1))] for t in types
    }
    return months, counts, owners


def run(name: str, months, counts, owners, years):  # type: ignore[no-untyped-def]
    from allocation.forecast.backtest import backtest

    started = time.perf_counter()
    rows = backtest(months=months, volumes=counts, owners=owners, years=years)
    seconds = time.perf_counter() - started
    print(f"\n{name}: {len(counts)} groupings, {len({o.administration for g in owners.values() for o in g})} owners")
    print(f"{'year':>6} {'model':>15} {'months':>6} {'MAE pp':>8} {'naive pp':>9} {'volume %':>9} {'in range':>9}")
    for r in rows:
        print(
            f"{r.year:>6} {r.method:>15} {r.months_used:>6} {r.share_error_pp:>8.3f} {r.naive_share_error_pp:>9.3f}"
            f" {r.volume_error_percent:>+9.2f} {r.within_range:>4}/{r.administrations:<4}"
        )
    mean = lambda xs: sum(xs, Decimal(0)) / len(xs) if xs else Decimal(0)  # noqa: E731
    summary = {
        "mean_share_error_pp": f"{mean([r.share_error_pp for r in rows]):.3f}",
        "mean_naive_share_error_pp": f"{mean([r.naive_share_error_pp for r in rows]):.3f}",
        "mean_abs_volume_error_percent": f"{mean([abs(r.volume_error_percent) for r in rows]):.2f}",
        "within_range": f"{sum(r.within_range for r in rows)}/{sum(r.administrations for r in rows)}",
        "seconds": round(seconds, 1),
    }
    print(
        f"{'mean':>6} {'':>15} {'':>6} {summary['mean_share_error_pp']:>8} {summary['mean_naive_share_error_pp']:>9}"
        f" {'|' + summary['mean_abs_volume_error_percent'] + '|':>9} {summary['within_range']:>9}"
    )
    return {
        "years": [
            {
                "year": r.year,
                "method": r.method,
                "months_used": r.months_used,
                "share_error_pp": f"{r.share_error_pp:.3f}",
                "naive_share_error_pp": f"{r.naive_share_error_pp:.3f}",
                "volume_error_percent": f"{r.volume_error_percent:.2f}",
                "within_range": r.within_range,
                "administrations": r.administrations,
            }
            for r in rows
        ],
        **summary,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cases-per-year", type=int, default=171_000)
    parser.add_argument("--baltimore", type=Path, default=BALTIMORE)
    parser.add_argument("--shrinkage", type=Decimal, help="k of the slope's shrinkage (default: the service's)")
    parser.add_argument("--no-trend", action="store_true", help="seasonal pattern only, however long the history")
    args = parser.parse_args()
    import django

    django.setup()
    from allocation.forecast import series

    if args.shrinkage is not None:
        series.SHRINKAGE = args.shrinkage
    if args.no_trend:
        series.MONTHS_FOR_TREND = 10**6
    print(f"shrinkage k = {series.SHRINKAGE}, trend from {series.MONTHS_FOR_TREND} months")
    result = {
        "demo": run(
            "Demo (generator, 2023-01…2026-12)", *demo_series(args.seed, args.cases_per_year), [2024, 2025, 2026]
        ),
        "baltimore": run("Baltimore 311 sample", *baltimore_series(args.baltimore), [2015, 2016, 2017, 2018]),
        "command": "make bench-forecast",
        "shrinkage": str(series.SHRINKAGE),
        "trend_from_months": series.MONTHS_FOR_TREND,
    }
    (HERE / "forecast_backtest_result.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
