"""create_pool --year YYYY --name NAME --gross AMOUNT [--funding NAME=AMOUNT …] [--funding-from-register]
--key ID [--unit ore|krona] [--co-financing] [--user USERNAME] [--json]

NAME names a funding source of the register (case ignored); a name the register does not hold is
registered as a new source (audited), as on the web."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from allocation.amounts import AmountError, parse_amount
from allocation.funding.sources import register_funding
from allocation.models import AllocationKey, CostPool
from allocation.runs.allocate import cost_pool_net_amount
from allocation.runs.pools import FundingInput, cost_pool_save
from cases.roles import user_argument


class Command(BaseCommand):
    help = "Create a cost pool for a budget year with its central funding lines and key (audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--gross", required=True, help="Gross cost in kronor, e.g. 17600000.00")
        parser.add_argument("--funding", action="append", default=[], metavar="NAME=AMOUNT")
        parser.add_argument(
            "--funding-from-register",
            action="store_true",
            help="Take the funding lines from the register's amounts for the year (instead of --funding)",
        )
        parser.add_argument("--key", type=int, required=True)
        parser.add_argument("--unit", choices=CostPool.Unit.values, default=CostPool.Unit.ORE)
        parser.add_argument("--co-financing", action="store_true", help="The year's co-financing pool")
        parser.add_argument("--user", help="Record the change as this user (default: the operating-system user)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        key = AllocationKey.objects.filter(pk=options["key"]).first()
        if key is None:
            raise CommandError(f"Nyckel #{options['key']} finns inte.", returncode=2)
        user = user_argument(options["user"])
        try:
            gross = parse_amount(options["gross"])
            funding = []
            for item in options["funding"]:
                label, sep, amount = item.rpartition("=")
                if not sep or not label.strip():
                    raise CommandError(f"--funding {item!r}: skriv NAMN=BELOPP.", returncode=2)
                funding.append(FundingInput(label.strip(), parse_amount(amount)))
        except AmountError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        pool = CostPool(
            name=options["name"],
            year=options["year"],
            gross_amount=gross,
            key=key,
            unit=options["unit"],
            is_co_financing=options["co_financing"],
        )
        if options["funding_from_register"]:
            if funding:
                raise CommandError("Ange --funding eller --funding-from-register, inte båda.", returncode=2)
            funding = [FundingInput(source.name, amount) for source, amount in register_funding(options["year"])]
        try:
            pool = cost_pool_save(pool=pool, user=user, funding=funding)
        except ValidationError as exc:
            raise CommandError("Poolen skapades inte: " + " ".join(exc.messages), returncode=1) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"pool": pool.pk}))
            return
        self.stdout.write(
            f"Kostnadspool #{pool.pk} {pool.name} {pool.year}: netto {cost_pool_net_amount(pool)} kr, nyckel #{key.pk}"
            + (" (medfinansieringspoolen)" if pool.is_co_financing else "")
        )
