"""import_transfers PATH [--user USERNAME] [--json]"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from allocation.transfers.files import MAX_BYTES
from allocation.transfers.register import TransferImportRefused, transfers_import
from cases.roles import user_argument


class Command(BaseCommand):
    help = (
        "Load a transfer file (CSV or XLSX: grouping, administration, wave, transferred_on, optional "
        "minutes_before, expected_cases_per_year, comment) into the transfer register. Exit 0 loaded, "
        "1 refused (nothing changed; the errors name row, column, value and reason), 2 usage error."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--user", help="Who loads the file (recorded in the audit)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"Filen {path} finns inte.", returncode=2)
        user = user_argument(options["user"])
        try:
            with path.open("rb") as fh:  # one byte past the bound is enough to refuse a file that is too large
                result = transfers_import(data=fh.read(MAX_BYTES + 1), user=user)
        except TransferImportRefused as refused:
            if options["json"]:
                self.stdout.write(json.dumps({"status": "rejected", "errors": refused.errors}, ensure_ascii=False))
                raise SystemExit(1) from refused
            raise CommandError(
                "Filen lästes inte in, inget ändrades:\n" + "\n".join(refused.errors[:20]), returncode=1
            ) from refused
        if options["json"]:
            summary = {"status": "loaded", "created": result.created, "changed": result.changed}
            self.stdout.write(json.dumps({**summary, "unchanged": result.unchanged}))
            return
        self.stdout.write(
            f"Överföringar inlästa: {result.created} nya, {result.changed} ändrade, {result.unchanged} oförändrade."
        )
