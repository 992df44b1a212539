"""publish_month YYYY-MM — publish (or republish as a revised version) a month's statistics."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from allocation.publications.publishing import publication_request_create, publication_request_process
from cases.months import month_argument


class Command(BaseCommand):
    help = "Publish a month's statistics pages, charts and workbooks as a new version."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("month")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        # Recorded as a request like every other publication, but published here and now.
        request = publication_request_create(month=month_argument(options["month"]), reason="publish_month", send=False)
        publication = publication_request_process(request_id=request.pk)
        if publication is None:
            request.refresh_from_db()
            raise CommandError(request.message or "Publiceringen misslyckades.", returncode=1)
        if options["json"]:
            self.stdout.write(
                json.dumps({"publication": publication.pk, "month": options["month"], "version": publication.version})
            )
            return
        revised = " (reviderad)" if publication.is_revision else ""
        self.stdout.write(
            f"Publicerad {publication.month:%Y-%m} version {publication.version}{revised}: "
            f"{publication.files.count()} filer."
        )
