"""seed_demo — a demo municipality with a year of synthetic case logs loaded through the real import path.

Lives in the allocation app because it seeds every layer (organisation, imports, pools);
allocation is the one app allowed to depend on the others for this.
"""

from __future__ import annotations

import json
import random
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import translation

from allocation.models import (
    AllocationKey,
    AllocationRun,
    CentreCost,
    CostPool,
    DigitalisationAssumption,
    EvaluationText,
    FundingLine,
    JournalLine,
    KeyDecision,
    KeyLoadLine,
    KeyShare,
    PoolPrice,
    Posting,
    PostingExport,
    PostingProfile,
    PriceDecision,
    Publication,
    PublicationFile,
    PublicationRequest,
    RunAmount,
    RunSeal,
    Settlement,
    SettlementDecision,
    SettlementLine,
)
from cases import formats, roles
from cases.grouping_maps import MapRow, grouping_map_version_create
from cases.maintenance import frozen_records_lifted
from cases.models import (
    Administration,
    AuditEntry,
    CaseRecord,
    Channel,
    DataSource,
    Grouping,
    GroupingMapEntry,
    GroupingMapVersion,
    MonthlyAggregate,
)
from cases.months import month_argument
from cases.services import AdministrationRow, administrations_upsert
from config.demo import data as demo_data
from config.demo import funding as demo_funding
from config.demo import names as demo_names
from config.demo import transfers as demo_transfers
from config.demo.forecast import seed_forecast
from config.demo.goals import seed_goals
from imports.models import ImportBatch, ImportRowError, StagedCase
from imports.selectors import import_batch_wait
from imports.services import import_batch_create

DEMO_PASSWORD = "kontaktcenter-demo"
MAP_VALID_FROM = date(2025, 1, 1)
REFERENCE_SOURCE = "Referensstatistik (annan kommun)"
DEMO_USERS = [
    # username, full name, role, administrations
    ("ekonom", "Eva Ekonom", roles.FINANCE, []),
    ("styrgrupp", "Sven Styrgrupp", roles.STEERING_GROUP, []),
    ("chef.uf", "Ulla Utbildningschef", roles.DEPARTMENT_HEAD, ["UF"]),
    ("chef.omsorg", "Olle Omsorgschef", roles.DEPARTMENT_HEAD, ["SOF", "VOF"]),
]


class Command(BaseCommand):
    help = "Replace the domain data with a demo municipality and a year of case logs (deterministic per seed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--cases-per-year", type=int, default=171_000)
        parser.add_argument("--last-month", default="2026-10", help="Last month of logs (YYYY-MM)")
        parser.add_argument("--months", type=int, default=12)
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "var" / "demo-logs"))
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        last = month_argument(options["last_month"])
        rng = random.Random(options["seed"])
        groupings = demo_data.demo_groupings(rng)
        self._reset()
        self._organisation(groupings)
        users = self._users()
        months = demo_data.months_back(last, options["months"])
        files = demo_data.write_month_files(
            seed=options["seed"],
            groupings=groupings,
            months=months,
            cases_per_year=options["cases_per_year"],
            folder=Path(options["out"]),
        )
        loaded = 0
        rejected: list[str] = []
        for source_name, _month, path in files:
            source = DataSource.objects.get(name=source_name)
            with path.open("rb") as fh:
                batch = import_batch_create(source=source, stream=fh, filename=path.name, user=users["ekonom"])
            batch = import_batch_wait(batch_id=batch.pk)
            if batch.status == ImportBatch.Status.LOADED:
                loaded += batch.rows_loaded
            else:
                rejected.append(f"{path.name}: {batch.message}")
        reference_rows = self._reference_statistics(rng, groupings, Path(options["out"]), users["ekonom"])
        self._pools(last)
        demo_funding.seed_funding(year=last.year, users=users)
        seed_forecast(year=last.year + 1, user=users["ekonom"])
        demo_transfers.seed_transfers(groupings=groupings, last=last, user=users["ekonom"])
        seed_goals(finance=users["ekonom"], steering=users["styrgrupp"], months=months)
        summary = {
            "administrations": Administration.objects.count(),
            "groupings": Grouping.objects.count(),
            "cases": loaded,
            "files": len(files),
            "reference_cases": reference_rows,
            "rejected_files": rejected,
            "users": {u[0]: u[2] for u in DEMO_USERS},
            "password": DEMO_PASSWORD,
            "seconds": round(time.monotonic() - started, 1),
        }
        if rejected:
            raise CommandError("Demodata kunde inte läsas in: " + "; ".join(rejected))
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        with translation.override("sv"):  # the summary is Swedish, its figures too (166 701 ärenden, 12,3 s)
            self.stdout.write(
                f"Demokommun skapad: {summary['administrations']} förvaltningar, {summary['groupings']} grupperingar, "
                f"{formats.number(loaded)} ärenden i {len(files)} filer "
                f"({formats.month(months[0])}–{formats.month(months[-1])}), "
                f"{formats.number(reference_rows)} referensärenden, {formats.number(summary['seconds'], 1)} s."
            )
        self.stdout.write(f"Demoanvändare (lösenord för alla: {DEMO_PASSWORD}):")
        self.stdout.write("  admin        superanvändare")
        for username, full_name, role, admins in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {role:<16} {full_name} {' '.join(admins)}")

    @transaction.atomic
    def _reset(self) -> None:
        demo_transfers.transfers_reset()
        demo_funding.funding_reset()
        # The demo alone starts over from nothing, past the frozen records' guards (cases.maintenance).
        with frozen_records_lifted(connection.alias):
            if connection.vendor == "postgresql":
                # Approved keys refuse DELETE (a trigger); the demo starts over with TRUNCATE instead.
                with connection.cursor() as cur:
                    cur.execute(
                        "TRUNCATE allocation_publicationrequest, allocation_publicationfile, allocation_publication, "
                        "allocation_journalline, allocation_posting, allocation_postingexport, "
                        "allocation_settlementline, "
                        "allocation_settlementdecision, allocation_settlement, allocation_pricedecision, "
                        "allocation_poolprice, allocation_runseal, allocation_runamount, "
                        "allocation_allocationrun, allocation_fundingline, allocation_costpool, "
                        "allocation_keyloadline, "
                        "allocation_keyshare, allocation_keydecision, allocation_allocationkey, "
                        "cases_groupingmapentry, cases_groupingmapversion CASCADE"
                    )
            for model in (
                EvaluationText,
                JournalLine,
                Posting,
                PostingExport,
                PostingProfile,
                SettlementDecision,
                SettlementLine,
                Settlement,
                PriceDecision,
                PoolPrice,
                CentreCost,
                DigitalisationAssumption,
                PublicationRequest,
                PublicationFile,
                Publication,
                RunSeal,
                RunAmount,
                AllocationRun,
                FundingLine,
                CostPool,
                KeyLoadLine,
                KeyShare,
                KeyDecision,
                AllocationKey,
                ImportRowError,
                StagedCase,
                ImportBatch,
                CaseRecord,
                MonthlyAggregate,
                GroupingMapEntry,
                GroupingMapVersion,
                Grouping,
                AuditEntry,
            ):
                if model in (
                    RunAmount,
                    AllocationRun,
                    KeyLoadLine,
                    KeyShare,
                    AllocationKey,
                    Settlement,
                    SettlementLine,
                ):
                    # Charging runs and approved keys refuse delete() on purpose; the demo alone
                    # starts over from nothing, so it removes their rows directly (past the frozen
                    # records' triggers on SQLite: cases.maintenance).
                    model.objects.all()._raw_delete(connection.alias)
                else:
                    model.objects.all().delete()
        Administration.heads.through.objects.all().delete()
        Administration.objects.all().delete()
        DataSource.objects.all().delete()

    @transaction.atomic
    def _organisation(self, groupings: list[demo_data.DemoGrouping]) -> None:
        administrations_upsert(
            rows=[
                AdministrationRow(code=c, name=n, cost_centre=cc, valid_from=date(2020, 1, 1))
                for c, n, cc in demo_names.ADMINISTRATIONS
            ]
        )
        Grouping.objects.bulk_create([Grouping(code=g.code, name=g.name, area=g.area) for g in groupings])
        rows: list[MapRow] = []
        for i, g in enumerate(groupings, start=2):
            if not g.owners:
                rows.append(MapRow(i, g.code, g.name, "", Decimal(1), True))
            for admin_code, fraction in g.owners:
                rows.append(MapRow(i, g.code, g.name, admin_code, fraction, False))
        grouping_map_version_create(valid_from=MAP_VALID_FROM, rows=rows, name="Organisation 2025")
        for code, weight in demo_data.CHANNEL_WEIGHTS.items():
            Channel.objects.filter(code=code).update(weight=weight)
        for name, *_rest in demo_data.SOURCES:
            DataSource.objects.create(name=name, delivers_monthly=True)
        DataSource.objects.create(name=REFERENCE_SOURCE, is_reference=True, delivers_monthly=False)

    def _users(self) -> dict[str, User]:
        roles.roles_ensure()
        out: dict[str, User] = {}
        admin, _ = User.objects.get_or_create(username="admin")
        admin.is_superuser = admin.is_staff = True
        admin.set_password(DEMO_PASSWORD)
        admin.save()
        for username, full_name, role, admin_codes in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name, user.last_name = full_name.split(" ", 1)
            # Finance staff and the steering group work in the admin; department heads on the pages.
            user.is_staff = role in (roles.FINANCE, roles.STEERING_GROUP)
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            for code in admin_codes:
                Administration.objects.get(code=code).heads.add(user)
            out[username] = user
        return out

    def _reference_statistics(
        self, rng: random.Random, groupings: list[demo_data.DemoGrouping], folder: Path, user: User
    ) -> int:
        """Another city's service-centre statistics, per grouping and month (the first key's basis)."""
        path = folder / "referensstatistik-2024.csv"
        total = 0
        lines = ["month,grouping,cases"]
        weights = [g.popularity * rng.uniform(0.7, 1.3) for g in groupings]
        scale = 171_000 / sum(weights) / 12
        for month in demo_data.months_back(date(2024, 12, 1), 12):
            for g, w in zip(groupings, weights, strict=True):
                n = round(w * scale * demo_data.MONTH_FACTOR[month.month])
                if n:
                    lines.append(f"{month:%Y-%m},{g.code},{n}")
                    total += n
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        source = DataSource.objects.get(name=REFERENCE_SOURCE)
        with path.open("rb") as fh:
            batch = import_batch_create(source=source, stream=fh, filename=path.name, kind="aggregated", user=user)
        batch = import_batch_wait(batch_id=batch.pk)
        if batch.status != ImportBatch.Status.LOADED:
            raise CommandError(f"Referensstatistiken kunde inte läsas in: {batch.message}")
        return total

    def _pools(self, last: date) -> None:
        # This year's pool is shared by the first key (another city's statistics); next year's
        # by the key measured on the centre's own logs, as in the municipality's decision.
        for year, gross in ((last.year, "17600000.00"), (last.year + 1, "18400000.00")):
            pool = CostPool.objects.create(
                name="Kontaktcenter", year=year, gross_amount=Decimal(gross), is_co_financing=True
            )
            for label, amount in [
                ("Medborgarkontoret (centralt finansierat)", "2100000.00"),
                ("Växeln (tidigare debiterad per anknytning)", "1250000.00"),
                ("Startbidrag från kommunstyrelsen", "500000.00"),
            ]:
                FundingLine.objects.create(pool=pool, label=label, amount=Decimal(amount))
        # How charging runs become vouchers in the demo municipality's ledger.
        PostingProfile.objects.create(
            organisation="Demokommunen",
            charge_account="7691",
            credit_account="3691",
            centre_cost_centre="1050",
            series="I",
        )
