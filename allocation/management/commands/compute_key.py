"""compute_key --name NAME --from YYYY-MM --to YYYY-MM --basis cases|minutes|weighted --valid-from YYYY-MM-DD"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from allocation.keys.compute import allocation_key_compute_measured
from allocation.keys.robustness import unusual_reasons
from allocation.models import AllocationKey
from cases.months import month_argument

_month = month_argument


class Command(BaseCommand):
    help = "Create a draft measured key from the monthly aggregates over a window of months."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--from", dest="window_from", required=True)
        parser.add_argument("--to", dest="window_to", required=True)
        parser.add_argument("--basis", choices=AllocationKey.Basis.values, default="cases")
        parser.add_argument("--valid-from", required=True)
        parser.add_argument("--source", action="append", help="Source name (repeatable); default: own sources")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            valid_from = date.fromisoformat(options["valid_from"])
        except ValueError as exc:
            raise CommandError("--valid-from skrivs ÅÅÅÅ-MM-DD.", returncode=2) from exc
        try:
            key = allocation_key_compute_measured(
                name=options["name"],
                window_from=_month(options["window_from"]),
                window_to=_month(options["window_to"]),
                basis=options["basis"],
                valid_from=valid_from,
                source_names=options["source"],
            )
        except ValidationError as exc:
            raise CommandError("Nyckeln kunde inte beräknas: " + " ".join(exc.messages), returncode=1) from exc
        shares = {s.administration.code: s.share for s in key.shares.select_related("administration")}
        if options["json"]:
            robust = key.robustness or {}
            doc = {
                "key": key.pk,
                "shares": {k: str(v) for k, v in shares.items()},
                "robustness": {
                    "leave_one_out": robust.get("leave_one_out", {}),
                    "unusual_months": robust.get("unusual_months", []),
                },
            }
            self.stdout.write(json.dumps(doc))
            return
        self.stdout.write(
            f"Nyckel #{key.pk} {key.name} ({key.get_basis_display()}, {key.window_from:%Y-%m}–{key.window_to:%Y-%m})"
        )
        for code, share in shares.items():
            self.stdout.write(f"  {code:<6} {share * 100:>8.4f} %")
        for warning in key.warnings:
            self.stdout.write(f"  Varning: {warning}")
        for month, reasons in unusual_reasons((key.robustness or {}).get("unusual_reasons")).items():
            self.stdout.write(f"  Avvikande månad {month}: {'; '.join(reasons)}")
