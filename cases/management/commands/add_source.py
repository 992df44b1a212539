"""add_source NAME [--profile FILE.json] [--reference] [--not-monthly] [--user USERNAME] [--json]"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.models import DataSource
from cases.roles import user_argument
from cases.services import data_source_save, source_profile_apply
from cases.source_profiles import ProfileError, profile_from_text


class Command(BaseCommand):
    help = "Register a data source (export system) or update it, with its profile (audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--profile", help="JSON profile (DESIGN.md §6)")
        parser.add_argument("--reference", action="store_true", help="Another organisation's reference statistics")
        parser.add_argument("--not-monthly", action="store_true", help="The source does not deliver every month")
        parser.add_argument("--user", help="Record the change as this user (default: the operating-system user)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_argument(options["user"])
        source = DataSource.objects.filter(name=options["name"]).first() or DataSource(name=options["name"])
        created = source.pk is None
        source.is_reference = options["reference"]
        source.delivers_monthly = not options["not_monthly"]
        try:
            if options["profile"]:
                path = Path(options["profile"])
                try:
                    profile = profile_from_text(path.read_text(encoding="utf-8"))
                except OSError as exc:
                    raise CommandError(f"Profilen {path} kan inte läsas: {exc.strerror}.", returncode=1) from exc
                except ProfileError as exc:
                    raise CommandError(f"Profilen {path}: {exc}", returncode=1) from exc
                source_profile_apply(source=source, profile=profile)
            source = data_source_save(source=source, user=user)
        except ValidationError as exc:
            raise CommandError("Källan sparades inte: " + " ".join(exc.messages), returncode=1) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"source": source.pk, "name": source.name, "created": created}))
            return
        self.stdout.write(f"Källan {source.name} är {'registrerad' if created else 'uppdaterad'} (#{source.pk}).")
