"""export_postings --run ID --format sie|csv|xlsx --out PATH [--month YYYY-MM] [--user USERNAME]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from allocation.ledger.journal import run_postings_export
from allocation.models import AllocationRun
from cases.months import parse_year_month
from cases.roles import user_argument


class Command(BaseCommand):
    help = (
        "Post a charging run to the ledger: the vouchers (SIE 4, CSV or Excel) that bring the journal to what "
        "the run says, one per month. Exporting is posting (DESIGN §4)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--run", type=int, required=True)
        parser.add_argument("--format", choices=["sie", "csv", "xlsx"], required=True)
        parser.add_argument("--out", required=True)
        parser.add_argument("--month", help="YYYY-MM: only that month's voucher")
        parser.add_argument("--user", help="Record the export as this user (default: the operating-system user)")

    def handle(self, *args: Any, **options: Any) -> None:
        run = AllocationRun.objects.select_related("pool").filter(pk=options["run"]).first()
        if run is None:
            raise CommandError(f"Körning #{options['run']} finns inte.", returncode=2)
        month = None
        if options["month"]:
            parsed = parse_year_month(options["month"])
            if parsed is None or run.pool is None or parsed.year != run.pool.year:
                raise CommandError("--month skrivs ÅÅÅÅ-MM och ligger i poolens budgetår.", returncode=2)
            month = parsed.month
        user = user_argument(options["user"])
        try:
            posted = run_postings_export(run=run, fmt=options["format"], month=month, user=user)
        except ValidationError as exc:
            raise CommandError("Ingen kontering: " + " ".join(exc.messages), returncode=1) from exc
        Path(options["out"]).write_bytes(posted.content)
        if posted.posting is None:
            self.stdout.write(
                f"Inget att bokföra: redovisningen har redan det körning #{run.pk} säger. "
                f"{options['out']} har inga verifikationer."
            )
            return
        kind = f"rättelse av körning #{posted.corrects}" if posted.corrects else "debitering"
        self.stdout.write(
            f"Körning #{run.pk} ({kind}) bokförd som #{posted.posting}: {posted.vouchers} verifikationer "
            f"skrivna till {options['out']} ({len(posted.content)} byte)."
        )
