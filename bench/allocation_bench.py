"""Key computation and allocation speed (issue: allocation), each beside its reference.

Run: make bench-allocation   (PostgreSQL on 127.0.0.1:5432; scratch database costshare_bench)

1. A measured key over 12 months from 2,000,000 cases a year, read from the monthly
   aggregates (the service), beside the same loads computed by scanning the raw case rows.
2. A run of a pool over 20 administrations and 12 months (the service, with its writes),
   beside the pure arithmetic alone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from decimal import Decimal

from common import (
    OUT,
    RAW_LOADS_SQL,
    ROOT,
    django_env,
    recreate_database,
    run_measured,
    setup_organisation,
    write_canonical_csv,
)


def timed(fn, repeat: int) -> tuple[float, list[float]]:  # type: ignore[no-untyped-def]
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    recreate_database()
    setup_organisation()
    path = write_canonical_csv(OUT / f"cases-{args.cases}.csv", args.cases, seed=4)
    run_measured(
        [sys.executable, "manage.py", "import_cases", str(path), "--source", "Bench", "--wait", "--json"], django_env()
    )

    os.environ.update(django_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from allocation import calculation
    from allocation.keys.compute import allocation_key_compute_measured, allocation_key_create_from_values
    from allocation.models import AllocationKey
    from allocation.runs.allocate import allocation_run_create
    from cases.models import Administration

    window = (date(2025, 1, 1), date(2025, 12, 1))

    def service_key() -> None:
        allocation_key_compute_measured(
            name="bench", window_from=window[0], window_to=window[1], basis="weighted", valid_from=date(2026, 1, 1)
        )

    def raw_scan() -> None:
        # The reference: the same loads straight from the case rows, no aggregates.
        with connection.cursor() as cur:
            cur.execute(RAW_LOADS_SQL, window)
            cur.fetchall()

    key_median, key_runs = timed(service_key, args.repeat)
    raw_median, raw_runs = timed(raw_scan, args.repeat)
    cases = sum(
        AllocationKey.objects.order_by("-pk").first().lines.values_list("cases", flat=True)  # type: ignore[union-attr]
    )

    # 20 administrations: the demo's 11 and nine more.
    for i in range(20 - Administration.objects.count()):
        Administration.objects.create(code=f"X{i:02d}", name=f"Extra förvaltning {i}")
    values = {
        code: Decimal(100 + 37 * i) for i, code in enumerate(Administration.objects.values_list("code", flat=True))
    }
    key = allocation_key_create_from_values(name="bench20", kind="driver", valid_from=date(2026, 1, 1), values=values)
    amount = Decimal("18400000.00")
    run_median, run_runs = timed(lambda: allocation_run_create(key=key, amount=amount), args.repeat * 4)
    pure_median, _pure_runs = timed(
        lambda: calculation.monthly_split(calculation.largest_remainder(amount, values)), args.repeat * 4
    )
    results = {
        "date": date.today().isoformat(),
        "key": {
            "cases_in_window": int(cases),
            "service_from_aggregates_s": round(key_median, 3),
            "reference_raw_scan_s": round(raw_median, 3),
            "all_service_s": [round(x, 3) for x in key_runs],
            "all_raw_s": [round(x, 3) for x in raw_runs],
        },
        "allocation": {
            "administrations": len(values),
            "service_run_ms": round(run_median * 1000, 2),
            "pure_arithmetic_ms": round(pure_median * 1000, 2),
            "all_service_ms": [round(x * 1000, 2) for x in run_runs],
        },
    }
    (OUT / "allocation_bench.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
