"""The one implementation behind import_groupings and import_administrations: a small file loaded
at once through a table import service, all or nothing (exit 1 with the rows' errors)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from imports.table_imports import FileImportResult


class FileImportCommand(BaseCommand):
    created_key = "created"  # the name `--json` gives the count of new things

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--json", action="store_true")

    def load(self, stream: IO[bytes]) -> FileImportResult:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"Filen {path} finns inte.", returncode=2)
        try:
            with path.open("rb") as fh:
                result = self.load(fh)
        except ValidationError as exc:
            if options["json"]:
                self.stdout.write(json.dumps({"status": "rejected", "errors": exc.messages}, ensure_ascii=False))
            raise CommandError("Avvisad:\n" + "\n".join(exc.messages[:20]), returncode=1) from exc
        if options["json"]:
            self.stdout.write(
                json.dumps({"status": "loaded", self.created_key: result.created, "detail": result.detail})
            )
        else:
            self.stdout.write(f"Inläst: {result.detail}")
