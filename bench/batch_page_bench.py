"""The batch page of a rejected file with 100,000 row errors (issue 30, item 4): time and size,
beside the Django admin's change page of the same batch (the page finance staff used before).

Run: make bench-batch-page   (PostgreSQL on 127.0.0.1:5432; scratch database costshare_bench,
or BENCH_DATABASE_URL)

The batch is written directly (the errors a bank export gives: one unknown grouping code in a
third of the rows, bad dates with distinct values, unknown channels), with every error stored
(IMPORT_STORED_ERRORS raised to match). Both pages are fetched in-process through Django's test
client as a logged-in finance officer (no network), five times each; the median is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from common import OUT, django_env, recreate_database

LIMIT_SECONDS = 1.0
LIMIT_BYTES = 300 * 1024


def _batch_with_errors(errors: int) -> int:
    from django.contrib.auth.models import User

    from cases.models import DataSource
    from imports.models import ImportBatch, ImportRowError

    source, _ = DataSource.objects.get_or_create(name="Bank")
    User.objects.filter(username="bench.ekonom").delete()
    User.objects.create_superuser("bench.ekonom", "", "bench-only-password")
    batch = ImportBatch.objects.create(
        source=source,
        file="imports/bench/bank.csv",
        original_name="bank.csv",
        sha256="0" * 64,
        status=ImportBatch.Status.REJECTED,
        progress=100,
        rows_read=errors,
        rows_rejected=errors,
        message=f"{errors} rader har fel; inget lästes in.",
    )
    rows = []
    for i in range(errors):
        kind = i % 3
        if kind == 0:
            rows.append(
                ImportRowError(
                    batch=batch,
                    row_number=i + 2,
                    column="grouping",
                    value="BANK-PS",
                    reason="okänd ärendegrupperingskod",
                )
            )
        elif kind == 1:
            rows.append(
                ImportRowError(
                    batch=batch,
                    row_number=i + 2,
                    column="opened_at",
                    value=f"31-02-2026 {i % 24}:{i % 60:02}",
                    reason="datumet finns inte",
                )
            )
        else:
            rows.append(
                ImportRowError(
                    batch=batch, row_number=i + 2, column="channel", value=f"KANAL-{i % 7}", reason="okänd kanal"
                )
            )
    ImportRowError.objects.bulk_create(rows, batch_size=5000)
    return batch.pk


def _measure(client, url: str, times: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    seconds, size = [], 0
    for _ in range(times):
        started = time.perf_counter()
        response = client.get(url)
        body = response.content
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        size = len(body)
    return {"median_seconds": round(statistics.median(seconds), 3), "bytes": size}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", type=int, default=100_000)
    parser.add_argument("--times", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the scratch database of a previous run")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if not args.reuse:
        recreate_database()
    os.environ.update(django_env({"IMPORT_STORED_ERRORS": str(args.errors)}))
    import django

    django.setup()
    from django.test import Client

    batch_id = _batch_with_errors(args.errors)
    client = Client()
    client.login(username="bench.ekonom", password="bench-only-password")
    result = {
        "errors": args.errors,
        "batch_page": _measure(client, f"/import/{batch_id}/", args.times),
        "batch_page_one_kind_page_2": _measure(client, f"/import/{batch_id}/?kind=1&page=2", args.times),
        "admin_change_page_reference": _measure(client, f"/admin/imports/importbatch/{batch_id}/change/", args.times),
    }
    page = result["batch_page"]
    result["within_limits"] = page["median_seconds"] < LIMIT_SECONDS and page["bytes"] < LIMIT_BYTES
    print(json.dumps(result, indent=1))
    (OUT.parent / "batch_page_bench_result.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
