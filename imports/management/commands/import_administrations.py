"""import_administrations PATH — load administrations (code, name, cost_centre, valid_from, valid_to)."""

from __future__ import annotations

from typing import IO

from imports.management.commands._file_import import FileImportCommand
from imports.table_imports import FileImportResult, administrations_import


class Command(FileImportCommand):
    help = "Create or update administrations from a file; a bad row changes nothing."

    def load(self, stream: IO[bytes]) -> FileImportResult:
        return administrations_import(stream=stream)
