"""Operator work on the whole database: emptying it (Django's flush, the demo's start-over) past the
SQLite triggers that freeze money records (allocation.migrations._frozen). Never used to change one
record; PostgreSQL empties tables with TRUNCATE, which row triggers do not see."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction


@contextmanager
def sqlite_triggers_lifted(using: str = "default") -> Iterator[None]:
    """On SQLite, drop every trigger for the block and put each back as it was, in one transaction
    (an error puts them back by rolling back). Elsewhere, nothing."""
    connection = connections[using]
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
