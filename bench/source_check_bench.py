"""The wrong-source check of the import at 5 M rows, beside a plain count of the same rows.

Run: make bench-source-check   (PostgreSQL on 127.0.0.1:5432; scratch database costshare_sourcecheck)
Options: --rows 5000000 --months 12 --overlap 0.5 --repeat 3

Builds, with SQL generate_series (no file, no import: the check is what is measured), a batch of
`--rows` cases of one source spread over `--months` months of 2025, and another source holding as
many cases in the same months, `--overlap` of whose ids the batch shares. Then runs the check
exactly as the loader does inside its transaction (imports.source_check.ids_in_other_sources: every case
id of the batch against the other sources, one semi-join over the batch's months), the whole
year at once and one month alone, each beside a plain COUNT(*) of the batch's rows of those months
(the cheapest statement that reads them) and of both sources' rows. Median of `--repeat` runs.
Writes bench/source_check_bench_result.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import date
from typing import Any

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/costshare_sourcecheck")

from common import ROOT, django_env, recreate_database

BATCH_ID = 1


def _median_seconds(run: Any, repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--overlap", type=float, default=0.5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    recreate_database()
    os.environ.update(django_env())
    import django

    django.setup()
    from django.db import connection, transaction

    from cases.models import Channel, DataSource, Grouping
    from cases.partitions import partitions_ensure
    from imports.source_check import ids_in_other_sources

    months = [date(2025, m, 1) for m in range(1, args.months + 1)]
    own = DataSource.objects.create(name="Telefoni")
    other = DataSource.objects.create(name="Chatt")
    grouping = Grouping.objects.create(code="G-01", name="Bench")
    channel = Channel.objects.get(code="phone")
    shared = int(args.rows * args.overlap)
    with transaction.atomic():
        partitions_ensure(months)
    started = time.perf_counter()
    with connection.cursor() as cur:
        # Row i lies in month i mod N; the batch's first `shared` ids are the other source's.
        insert = (
            "INSERT INTO cases_caserecord (source_id, batch_id, case_id, opened_at, month, channel_id, grouping_id) "
            "SELECT %s, %s, %s || lpad(i::text, 9, '0'), "
            "(DATE '2025-01-01' + make_interval(months => (i %% %s)::int))::timestamptz, "
            "DATE '2025-01-01' + make_interval(months => (i %% %s)::int), %s, %s "
            "FROM generate_series(0, %s - 1) AS i"
        )
        cur.execute(insert, [other.pk, None, "K", len(months), len(months), channel.pk, grouping.pk, args.rows])
        cur.execute(
            insert.replace("%s || lpad", "CASE WHEN i < %s THEN 'K' ELSE 'N' END || lpad"),
            [own.pk, BATCH_ID, shared, len(months), len(months), channel.pk, grouping.pk, args.rows],
        )
        cur.execute("VACUUM ANALYZE cases_caserecord")
    built = time.perf_counter() - started

    def count(sql: str, params: list[Any]) -> int:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return int(cur.fetchone()[0])

    def measure(window: list[date]) -> dict[str, Any]:
        marks = ", ".join(["%s"] * len(window))
        with transaction.atomic():  # as the loader runs it: inside the loading transaction
            check, found = _median_seconds(
                lambda: ids_in_other_sources(
                    batch_id=BATCH_ID, source_id=own.pk, months=window, source_ids=[other.pk], staged=False
                ),
                args.repeat,
            )
            batch_count, batch_rows = _median_seconds(
                lambda: count(
                    f"SELECT COUNT(*) FROM cases_caserecord WHERE source_id = %s AND month IN ({marks}) "
                    "AND batch_id = %s",
                    [own.pk, *window, BATCH_ID],
                ),
                args.repeat,
            )
            both_count, both_rows = _median_seconds(
                lambda: count(f"SELECT COUNT(*) FROM cases_caserecord WHERE month IN ({marks})", [*window]),
                args.repeat,
            )
        return {
            "months": len(window),
            "batch_rows": batch_rows,
            "found_in_other_source": found,
            "rows_read": both_rows,
            "check_seconds": round(check, 3),
            "plain_count_of_batch_rows_seconds": round(batch_count, 3),
            "plain_count_of_both_sources_seconds": round(both_count, 3),
            "check_over_count_of_both": round(check / both_count, 2) if both_count else None,
        }

    result = {
        "rows_per_source": args.rows,
        "overlap": args.overlap,
        "build_seconds": round(built, 1),
        "whole_batch": measure(months),
        "one_month": measure(months[:1]),
        "command": "cd bench && ../.venv/bin/python source_check_bench.py "
        f"--rows {args.rows} --months {args.months} --overlap {args.overlap} --repeat {args.repeat}",
    }
    (ROOT / "bench" / "source_check_bench_result.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
