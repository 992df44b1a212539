"""decide_settlement --settlement ID --decision proposed|approved|rejected --user USERNAME [--comment TEXT]"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from allocation.ledger.settlements import settlement_decide
from allocation.models import Settlement
from cases.roles import user_argument


class Command(BaseCommand):
    help = "Propose, approve or reject a year-end settlement as a named user: the same rules as keys (four eyes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--settlement", type=int, required=True)
        parser.add_argument("--decision", required=True, choices=["proposed", "approved", "rejected"])
        parser.add_argument("--user", required=True, help="The user who decides; their groups decide what they may do")
        parser.add_argument("--comment", default="")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        settlement = Settlement.objects.select_related("pool").filter(pk=options["settlement"]).first()
        if settlement is None:
            raise CommandError(f"Avräkning #{options['settlement']} finns inte.", returncode=2)
        user = user_argument(options["user"])
        try:
            settlement = settlement_decide(
                settlement=settlement, status=options["decision"], user=user, comment=options["comment"]
            )
        except (ValidationError, PermissionDenied) as exc:
            reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(f"Beslutet gjordes inte: {reason}", returncode=1) from exc
        if options["json"]:
            self.stdout.write(
                json.dumps({"settlement": settlement.pk, "status": settlement.status, "by": user.get_username()})
            )
            return
        self.stdout.write(f"Avräkning #{settlement.pk}: {settlement.get_status_display()} ({user.get_username()}).")
