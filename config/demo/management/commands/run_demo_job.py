"""run_demo_job — the main job on the demo data: keys → approval → allocation → publication."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from allocation.calculation import format_amount, percentages
from allocation.keys.compute import allocation_key_compute_measured
from allocation.keys.decisions import allocation_key_decide
from allocation.models import AllocationKey, AllocationRun, CostPool
from allocation.publications.publishing import publication_create
from allocation.runs.allocate import allocation_run_create
from cases import formats
from cases.models import DataSource, MonthlyAggregate
from cases.months import months_back


class Command(BaseCommand):
    help = "First key from reference statistics, measured key from own logs, approvals, allocations, publication."

    def handle(self, *args: Any, **options: Any) -> None:
        # The summary is written in Swedish, its figures too (14 550 000,00; 4,62 %; mars 2026).
        translation.activate("sv")
        pools = {p.year: p for p in CostPool.objects.all()}
        last = MonthlyAggregate.objects.filter(source__is_reference=False).order_by("-month").first()
        reference = DataSource.objects.filter(is_reference=True).first()
        if not pools or last is None:
            raise CommandError("Ingen demodata: kör först `manage.py seed_demo`.")
        finance = User.objects.filter(username="ekonom").first()
        steering = User.objects.filter(username="styrgrupp").first()
        this_year, next_year = last.month.year, last.month.year + 1
        if reference is not None and this_year in pools:
            ref_last = MonthlyAggregate.objects.filter(source=reference).order_by("-month").first()
            assert ref_last is not None
            first_key = self._approve(
                allocation_key_compute_measured(
                    name=f"Första nyckeln {this_year} (annan kommuns statistik)",
                    window_from=months_back(ref_last.month, 12)[0],
                    window_to=ref_last.month,
                    basis=AllocationKey.Basis.CASES,
                    valid_from=date(this_year, 1, 1),
                    source_names=[reference.name],
                ),
                finance,
                steering,
            )
            self._allocate(first_key, pools[this_year])
        window_to = last.month
        key = self._approve(
            allocation_key_compute_measured(
                name=f"Uppmätt nyckel {next_year}",
                window_from=months_back(window_to, 12)[0],
                window_to=window_to,
                basis=AllocationKey.Basis.WEIGHTED,
                valid_from=date(next_year, 1, 1),
            ),
            finance,
            steering,
        )
        run = self._allocate(key, pools[next_year])
        self._summary(key, run)
        publication = publication_create(month=last.month, user=finance)
        self.stdout.write(
            f"Publicerad månadsstatistik {formats.month(publication.month)} (version {publication.version}, "
            f"{publication.files.count()} filer): http://127.0.0.1:8000/statistik/{publication.month:%Y-%m}/"
        )

    def _approve(self, key: AllocationKey, finance: Any, steering: Any) -> AllocationKey:
        allocation_key_decide(key=key, status="proposed", user=finance, comment="Förslag inför budgetåret.")
        return allocation_key_decide(key=key, status="approved", user=steering, comment="Godkänd av styrgruppen.")

    def _allocate(self, key: AllocationKey, pool: CostPool) -> AllocationRun:
        from allocation.runs.pools import cost_pool_save

        pool.key = key
        cost_pool_save(pool=pool, user=None)
        return allocation_run_create(pool=pool)

    def _summary(self, key: AllocationKey, run: AllocationRun) -> None:
        amounts = {
            a.administration.code: a.amount
            for a in run.amounts.filter(month__isnull=True).select_related("administration")
        }
        key_shares = list(key.shares.select_related("administration"))
        names = {s.administration.code: s.administration.name for s in key_shares}
        # Two-decimal percentages by largest remainder, so the column adds up to 100.00.
        percent = percentages({s.administration.code: s.load for s in key_shares})
        assert key.window_from is not None and key.window_to is not None
        self.stdout.write(
            f"\nNyckel #{key.pk} ({key.get_basis_display()}, "
            f"{formats.month(key.window_from)}–{formats.month(key.window_to)}), "
            f"pool {run.pool}: netto {format_amount(run.net_amount)} kr"
        )
        self.stdout.write(f"{'Förvaltning':<50} {'Andel':>9} {'Belopp (kr)':>16}")
        for code in sorted(names):
            self.stdout.write(
                f"{code + ' ' + names[code]:<50} {formats.share(percent[code]):>9} {format_amount(amounts[code]):>16}"
            )
        total = sum(amounts.values(), Decimal(0))
        self.stdout.write(f"{'Summa':<50} {formats.share(100):>9} {format_amount(total):>16}")
        for warning in key.warnings:
            self.stdout.write(f"Varning: {warning}")
