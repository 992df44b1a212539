"""Operator work on the whole database: emptying it (Django's flush, the demo's start-over) past the
guards that freeze money records (allocation.migrations._frozen): the SQLite triggers, and
PostgreSQL's refusal to TRUNCATE a frozen table. Never used to change one record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction


@contextmanager
def frozen_records_lifted(using: str = "default") -> Iterator[None]:
    """On SQLite, drop every trigger for the block and put each back as it was, in one transaction
    (an error puts them back by rolling back). On PostgreSQL, let TRUNCATE through for the block
    (the session setting `costshare.emptying`, reset however the block ends)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('costshare.emptying', 'on', false)")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('costshare.emptying', 'off', false)")
        return
    if connection.vendor != "sqlite":
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL")
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
        yield
        with connection.cursor() as cursor:
            for _name, sql in triggers:
                cursor.execute(sql)
