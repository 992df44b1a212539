"""case_partitions [--detach-before YYYY-MM | --reattach YYYY-MM] [--confirm] [--user USERNAME] [--json]

PostgreSQL: list the case table's month partitions and archived months, detach old months to
archive them, or attach an archived month again. Changes are audited and need --confirm.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from cases import partitions
from cases.months import month_argument
from cases.roles import user_argument


class Command(BaseCommand):
    help = "List, archive (detach) or restore (attach) the case table's month partitions (PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--detach-before", help="YYYY-MM: detach every month before it and keep it as a table")
        parser.add_argument("--reattach", help="YYYY-MM: attach an archived month again")
        parser.add_argument("--confirm", action="store_true", help="Do it (without: show what would change)")
        parser.add_argument("--user", help="Record the change as this user (default: the operating-system user)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not partitions.is_partitioned():
            raise CommandError("Falltabellen är inte partitionerad (bara på PostgreSQL).", returncode=2)
        user = user_argument(options["user"])
        if options["detach_before"]:
            self._detach(month_argument(options["detach_before"]), user, options)
        elif options["reattach"]:
            self._reattach(month_argument(options["reattach"]), user, options)
        else:
            self._list(options)

    def _list(self, options: dict[str, Any]) -> None:
        tables = [(m, partitions.partition_name(m), False) for m in partitions.partition_months()]
        tables += [(m, partitions.archive_name(m), True) for m in partitions.archived_months()]
        rows: list[dict[str, Any]] = [
            {"month": f"{m:%Y-%m}", "table": table, "archived": archived, **partitions.month_table_summary(table)}
            for m, table, archived in tables
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for row in rows:
            state = "arkiverad" if row["archived"] else "i falltabellen"
            self.stdout.write(f"{row['month']}  {row['rows']:>10} ärenden  {row['bytes'] / 1e6:8.1f} MB  {state}")

    def _detach(self, before: Any, user: Any, options: dict[str, Any]) -> None:
        months = [m for m in partitions.partition_months() if m < before]
        if not months:
            raise CommandError(f"Ingen månad före {before:%Y-%m} finns i falltabellen.", returncode=1)
        if not options["confirm"]:
            summaries = [partitions.month_table_summary(partitions.partition_name(m)) for m in months]
            rows = sum(s["rows"] for s in summaries)
            size = sum(s["bytes"] for s in summaries) / 1e6
            raise CommandError(
                f"Inget ändrades: {len(months)} månader ({months[0]:%Y-%m} – {months[-1]:%Y-%m}), {rows} ärenden, "
                f"{size:.1f} MB skulle kopplas loss från falltabellen. Månadsaggregaten, nycklarna och "
                "publiceringarna påverkas inte. Kör igen med --confirm.",
                returncode=1,
            )
        with transaction.atomic():
            done = partitions.partitions_detach(before=before, user=user)
        if options["json"]:
            self.stdout.write(json.dumps(done, ensure_ascii=False))
            return
        for row in done:
            self.stdout.write(f"{row['month']}: {row['rows']} ärenden finns nu i tabellen {row['table']}.")

    def _reattach(self, month: Any, user: Any, options: dict[str, Any]) -> None:
        if not options["confirm"]:
            if month not in partitions.archived_months():
                raise CommandError(f"Ingen arkiverad månad {month:%Y-%m}.", returncode=1)
            summary = partitions.month_table_summary(partitions.archive_name(month))
            raise CommandError(
                f"Inget ändrades: {summary['rows']} ärenden i {month:%Y-%m} skulle åter ingå i falltabellen. "
                "Kör igen med --confirm.",
                returncode=1,
            )
        try:
            with transaction.atomic():
                done = partitions.partition_reattach(month=month, user=user)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=1) from exc
        if options["json"]:
            self.stdout.write(json.dumps(done, ensure_ascii=False))
            return
        self.stdout.write(f"{done['month']}: {done['rows']} ärenden finns åter i falltabellen.")
