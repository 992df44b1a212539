"""Django's flush, able to empty a SQLite database whose money records are frozen by triggers.

SQLite's flush deletes rows, which the frozen-record triggers (allocation.migrations._frozen)
refuse; this lifts every trigger for the flush and puts each back as it was, in one transaction.
PostgreSQL's flush truncates, which row triggers do not see. Emptying the whole database is an
operator's act (tests use it between tests), not a way to change one record."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections, transaction


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with transaction.atomic(using=options["database"]):
            with connection.cursor() as cursor:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL")
                triggers = cursor.fetchall()
                for name, _sql in triggers:
                    cursor.execute(f'DROP TRIGGER "{name}"')
            super().handle(**options)
            with connection.cursor() as cursor:
                for _name, sql in triggers:
                    cursor.execute(sql)
