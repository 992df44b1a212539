"""export_month YYYY-MM --out PATH [--administration CODE] — write the published workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from allocation.models import Publication
from cases.months import month_argument


class Command(BaseCommand):
    help = "Write the newest published workbook of a month (the municipality's, or one administration's)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("month")
        parser.add_argument("--out", required=True)
        parser.add_argument("--administration")

    def handle(self, *args: Any, **options: Any) -> None:
        month = month_argument(options["month"])
        publication = Publication.objects.filter(month=month).order_by("-version").first()
        if publication is None:
            raise CommandError(f"{month:%Y-%m} är inte publicerad; kör publish_month först.", returncode=1)
        name = f"{options['administration']}.xlsx" if options["administration"] else "kommun.xlsx"
        f = publication.files.filter(name=name).first()
        if f is None:
            raise CommandError(f"Ingen arbetsbok {name} i publiceringen.", returncode=2)
        out = Path(options["out"])
        with f.file.open("rb") as src:
            out.write_bytes(src.read())
        self.stdout.write(f"Skrev {out} ({publication.month:%Y-%m} version {publication.version}).")
