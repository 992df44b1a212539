"""PostgreSQL: the case table's id sequence hands each session 1,000 ids at a time.

A million-row import takes a million ids; with the default cache of one, every row's id is a
visit to the shared sequence (its lock, and a WAL record every 32 ids), about 5 % of PostgreSQL's
time for the whole COPY (bench/import_bench.py). A session's unused ids are lost when it ends, so
ids have gaps and rows of two imports running at once need not be in id order; nothing reads
meaning into a case row's id (the case id, the month and the batch are what the service uses).
SQLite has no sequence: nothing changes there.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _cache(size: int) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cur:
            cur.execute("SELECT pg_get_serial_sequence('cases_caserecord', 'id')")
            sequence = cur.fetchone()[0]
            cur.execute(f"ALTER SEQUENCE {sequence} CACHE {size}")

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0019_new_sources_do_not_claim_monthly_delivery")]

    operations = [migrations.RunPython(_cache(1000), _cache(1))]
