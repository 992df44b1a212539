"""import_groupings PATH — load a grouping map file (DESIGN.md §6)."""

from __future__ import annotations

from typing import IO

from imports.management.commands._file_import import FileImportCommand
from imports.table_imports import FileImportResult, grouping_map_import


class Command(FileImportCommand):
    help = "Load a grouping map file; unknown administration codes are errors and nothing is changed."
    created_key = "versions"

    def load(self, stream: IO[bytes]) -> FileImportResult:
        return grouping_map_import(stream=stream)
