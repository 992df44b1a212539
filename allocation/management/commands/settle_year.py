"""settle_year --pool ID [--tolerance PP] [--missing-months-confirmed] --user USERNAME [--json]"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from allocation.ledger.settlements import settlement_create
from allocation.models import CostPool
from cases.roles import user_argument


class Command(BaseCommand):
    help = (
        "A draft year-end settlement of the pool's year (measured − charged per administration, adding up "
        "to zero). One per pool and year; months without data need --missing-months-confirmed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pool", type=int, required=True)
        parser.add_argument("--tolerance", default="0", help="Percentage points within which nothing is settled")
        parser.add_argument(
            "--missing-months-confirmed",
            action="store_true",
            help="Settle although months of the year have no data (they are named otherwise, and nothing is made)",
        )
        parser.add_argument("--user", required=True, help="Who makes the settlement (finance staff)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        pool = CostPool.objects.filter(pk=options["pool"]).first()
        if pool is None:
            raise CommandError(f"Kostnadspool #{options['pool']} finns inte.", returncode=2)
        try:
            tolerance = Decimal(str(options["tolerance"]).replace(",", "."))
        except InvalidOperation as exc:
            raise CommandError(
                f"--tolerance {options['tolerance']!r} är inte ett tal (procentenheter).", returncode=2
            ) from exc
        user = user_argument(options["user"])
        from cases import roles

        if not roles.is_finance(user):
            raise CommandError(
                f"{user.get_username()} är inte ekonom (finance) och gör inga avräkningar.", returncode=1
            )
        try:
            settlement = settlement_create(
                pool=pool,
                tolerance_pp=tolerance,
                user=user,
                missing_months_confirmed=options["missing_months_confirmed"],
            )
        except ValidationError as exc:
            raise CommandError("Ingen avräkning: " + " ".join(exc.messages), returncode=1) from exc
        amounts = {line.administration.code: line.amount for line in settlement.lines.select_related("administration")}
        if options["json"]:
            self.stdout.write(
                json.dumps({"settlement": settlement.pk, "amounts": {c: str(a) for c, a in sorted(amounts.items())}})
            )
            return
        from cases import formats

        self.stdout.write(f"Avräkning #{settlement.pk} av {pool} (utkast):")
        for code, amount in sorted(amounts.items()):
            self.stdout.write(f"  {code}: {formats.kronor(amount)}")
