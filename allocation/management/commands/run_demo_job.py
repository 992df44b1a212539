"""run_demo_job — the main job on the demo data: measured key → approval → allocation, with a summary."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from allocation.calculation import format_amount, percentages
from allocation.models import AllocationKey, CostPool
from allocation.services import allocation_key_compute_measured, allocation_key_decide, allocation_run_create
from cases.demo_data import months_back
from cases.models import MonthlyAggregate


class Command(BaseCommand):
    help = "Compute the measured key over the last 12 months, approve it and allocate the demo pool."

    def handle(self, *args: Any, **options: Any) -> None:
        pool = CostPool.objects.order_by("-year").first()
        last = MonthlyAggregate.objects.filter(source__is_reference=False).order_by("-month").first()
        if pool is None or last is None:
            raise CommandError("Ingen demodata: kör först `manage.py seed_demo`.")
        window_to = last.month
        window_from = months_back(window_to, 12)[0]
        key = allocation_key_compute_measured(
            name=f"Uppmätt nyckel {pool.year}",
            window_from=window_from,
            window_to=window_to,
            basis=AllocationKey.Basis.WEIGHTED,
            valid_from=date(pool.year, 1, 1),
        )
        finance = User.objects.filter(username="ekonom").first()
        steering = User.objects.filter(username="styrgrupp").first()
        allocation_key_decide(key=key, status="proposed", user=finance, comment="Förslag inför budgetåret.")
        allocation_key_decide(key=key, status="approved", user=steering, comment="Godkänd av styrgruppen (demo).")
        pool.key = key
        pool.save(update_fields=["key"])
        run = allocation_run_create(key=key, pool=pool)
        amounts = {
            a.administration.code: a.amount
            for a in run.amounts.filter(month__isnull=True).select_related("administration")
        }
        key_shares = list(key.shares.select_related("administration"))
        names = {s.administration.code: s.administration.name for s in key_shares}
        # Two-decimal percentages by largest remainder, so the column adds up to 100.00.
        percent = percentages({s.administration.code: s.load for s in key_shares})
        self.stdout.write(
            f"\nNyckel #{key.pk} ({key.get_basis_display()}, {window_from:%Y-%m}–{window_to:%Y-%m}), "
            f"pool {pool.name} {pool.year}: netto {format_amount(run.net_amount)} kr"
        )
        self.stdout.write(f"{'Förvaltning':<50} {'Andel':>9} {'Belopp (kr)':>16}")
        for code in sorted(names):
            self.stdout.write(
                f"{code + ' ' + names[code]:<50} {percent[code]:>8.2f}% {format_amount(amounts[code]):>16}"
            )
        total = sum(amounts.values(), Decimal(0))
        self.stdout.write(f"{'Summa':<50} {'100.00%':>9} {format_amount(total):>16}")
        for warning in key.warnings:
            self.stdout.write(f"Varning: {warning}")
