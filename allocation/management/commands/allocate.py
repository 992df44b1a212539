"""allocate [--key ID] (--pool ID | --amount DECIMAL [--unit ore|krona])

With --pool: a charging run with the pool's approved key (--key may be left out). With --amount:
a simulation by any key, never charged."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from allocation.amounts import AmountError, parse_amount
from allocation.calculation import format_amount
from allocation.models import AllocationKey, CostPool
from allocation.runs.allocate import allocation_run_create, run_amounts


class Command(BaseCommand):
    help = "A charging run of a pool (its approved key) or a simulation of an amount by any key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--key", type=int, help="Required with --amount; with --pool the pool's key")
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--pool", type=int)
        group.add_argument("--amount")
        parser.add_argument("--unit", choices=CostPool.Unit.values, default=CostPool.Unit.ORE)
        parser.add_argument("--year", type=int, help="Budget year for the month labels (default: the key's)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        key = None
        if options["key"] is not None:
            key = AllocationKey.objects.filter(pk=options["key"]).first()
            if key is None:
                raise CommandError(f"Nyckel #{options['key']} finns inte.", returncode=2)
        elif options["pool"] is None:
            raise CommandError("En simulering (--amount) behöver --key.", returncode=2)
        pool = None
        amount = None
        if options["pool"] is not None:
            pool = CostPool.objects.filter(pk=options["pool"]).first()
            if pool is None:
                raise CommandError(f"Kostnadspool #{options['pool']} finns inte.", returncode=2)
        else:
            try:
                amount = parse_amount(options["amount"])
            except AmountError as exc:
                raise CommandError(str(exc), returncode=2) from exc
        try:
            run = allocation_run_create(key=key, pool=pool, amount=amount, unit=options["unit"])
        except ValidationError as exc:
            raise CommandError("Fördelningen kunde inte göras: " + " ".join(exc.messages), returncode=1) from exc
        annual, months = run_amounts(run)
        year = options["year"] or (pool.year if pool else run.key.valid_from.year if run.key else 0)
        if options["json"]:
            doc = {
                "run": run.pk,
                "amounts": {k: str(v) for k, v in annual.items()},
                "months": {f"{year}-{m:02d}": {k: str(v) for k, v in row.items()} for m, row in sorted(months.items())},
            }
            self.stdout.write(json.dumps(doc))
            return
        kind = "Debitering" if run.is_charging else "Simulering (debiteras inte)"
        self.stdout.write(f"{kind} #{run.pk}: {run.net_amount} kr fördelat med nyckel #{run.key_id}")
        for code, value in annual.items():
            self.stdout.write(f"  {code:<6} {format_amount(value):>16} kr")
