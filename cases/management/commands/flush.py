"""Django's flush, able to empty a SQLite database whose money records are frozen by triggers
(cases.maintenance). Emptying the whole database is an operator's act (tests use it between
tests), not a way to change one record."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush

from cases.maintenance import frozen_records_lifted


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with frozen_records_lifted(options["database"]):
            super().handle(**options)
