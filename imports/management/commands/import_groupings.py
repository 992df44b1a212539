"""import_groupings PATH — load a grouping map file (DESIGN.md §6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from imports.table_imports import grouping_map_import


class Command(BaseCommand):
    help = "Load a grouping map file; unknown administration codes are errors and nothing is changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"Filen {path} finns inte.", returncode=2)
        try:
            with path.open("rb") as fh:
                result = grouping_map_import(stream=fh)
        except ValidationError as exc:
            if options["json"]:
                self.stdout.write(json.dumps({"status": "rejected", "errors": exc.messages}, ensure_ascii=False))
            raise CommandError("Avvisad:\n" + "\n".join(exc.messages[:20]), returncode=1) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"status": "loaded", "versions": result.created, "detail": result.detail}))
        else:
            self.stdout.write(f"Inläst: {result.detail}")
