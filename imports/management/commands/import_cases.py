"""import_cases PATH [--source NAME] [--format cases|aggregated] [--wait] — exit 0 loaded, 1 rejected, 2 usage."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from cases.models import DataSource
from cases.months import month_argument
from imports.models import ImportBatch
from imports.parsing import describe_error
from imports.selectors import UNFINISHED, import_batch_wait
from imports.services import import_batch_create


class Command(BaseCommand):
    help = "Import a case log (or aggregated statistics) through the same path as an upload."
    # A data command: the system checks (which import every view and the API schema, half a second
    # of a start) belong to deploying (`manage.py check --deploy`), not to every file loaded.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--source", help="Data source name (export system)")
        parser.add_argument("--format", choices=ImportBatch.Kind.values, default=ImportBatch.Kind.CASES)
        parser.add_argument("--month", help="YYYY-MM the file covers; rows outside it are errors")
        parser.add_argument("--load-valid-rows", action="store_true", help="Load valid rows, set the rest aside")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Confirm that the file may replace a loaded month even if its case count changes by more than 20 %%",
        )
        parser.add_argument("--wait", action="store_true", help="Block until the batch has finished")
        parser.add_argument("--timeout", type=float, default=3600)
        parser.add_argument("--json", action="store_true")

    def run_from_argv(self, argv: list[str]) -> None:
        """From the command line with --wait: once the batch has finished (loaded or refused, and
        committed) and the answer is written, the process leaves without tearing the interpreter
        down module by module (0.15 s, a tenth of a month's import); the database connections are
        closed and the streams flushed first, so nothing is left behind. Without --wait, and from
        `call_command`, it ends as any command does."""
        if "--wait" not in argv:
            super().run_from_argv(argv)
            return
        try:
            super().run_from_argv(argv)
            code = 0
        except SystemExit as exc:
            if exc.code is not None and not isinstance(exc.code, int):
                print(exc.code, file=sys.stderr)
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        connections.close_all()
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"Filen {path} finns inte.", returncode=2)
        source = self._source(options["source"])
        month = None
        if options["month"]:
            month = month_argument(options["month"])
        try:
            with path.open("rb") as fh:
                batch = import_batch_create(
                    source=source,
                    stream=fh,
                    filename=path.name,
                    kind=options["format"],
                    declared_month=month,
                    load_valid_rows=options["load_valid_rows"],
                    replace=options["replace"],
                )
        except ValidationError as exc:
            self._report(None, options, refused="; ".join(exc.messages))
            sys.exit(1)
        if options["wait"]:
            batch = import_batch_wait(batch_id=batch.pk, timeout=options["timeout"])
        else:
            batch.refresh_from_db()
        self._report(batch, options)
        if batch.status in (ImportBatch.Status.REJECTED, ImportBatch.Status.FAILED):
            sys.exit(1)
        if options["wait"] and batch.status in UNFINISHED:
            sys.exit(1)

    def _source(self, name: str | None) -> DataSource:
        if name:
            source = DataSource.objects.filter(name=name).first()
            if source is None:
                known = ", ".join(DataSource.objects.values_list("name", flat=True)) or "inga"
                raise CommandError(f"Okänd källa {name!r}. Kända källor: {known}.", returncode=2)
            return source
        sources = list(DataSource.objects.filter(is_reference=False))
        if len(sources) != 1:
            known = ", ".join(s.name for s in sources) or "inga (skapa en i administrationen)"
            raise CommandError(f"Ange --source. Kända källor: {known}.", returncode=2)
        return sources[0]

    def _report(self, batch: ImportBatch | None, options: dict[str, Any], refused: str = "") -> None:
        if options["json"]:
            # The same keys whatever happened (DESIGN.md §7), so tools can read every answer alike.
            doc: dict[str, Any] = {
                "batch": None,
                "status": "refused",
                "rows_loaded": 0,
                "rows_rejected": 0,
                "rows_skipped": 0,
                "months": [],
                "message": refused,
                "errors": [],
            }
            if batch is not None:
                doc = {
                    "batch": batch.pk,
                    "status": batch.status,
                    "rows_loaded": batch.rows_loaded,
                    "rows_rejected": batch.rows_rejected,
                    "rows_skipped": batch.rows_skipped,
                    "months": batch.months,
                    "message": batch.message,
                    "errors": [
                        {"row": e.row_number, "column": e.column, "value": e.value, "reason": e.reason}
                        for e in batch.errors.all()[:20]
                    ],
                }
            self.stdout.write(json.dumps(doc, ensure_ascii=False))
            return
        if batch is None:
            self.stdout.write(f"Avvisad: {refused}")
            return
        self.stdout.write(f"Batch #{batch.pk} ({batch.original_name}): {batch.get_status_display()}")
        if batch.message:
            self.stdout.write(batch.message)
        for e in batch.errors.all()[:10]:
            self.stdout.write(f"  {describe_error(e.row_number, e.column, e.value, e.reason)}")
