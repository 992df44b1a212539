"""decide_goal_targets --target-set ID --decision proposed|approved|rejected --user USERNAME [--comment TEXT]"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from allocation.goals.targets import goal_target_set_decide
from allocation.models import GoalTargetSet
from cases.roles import user_argument


class Command(BaseCommand):
    help = "Propose, approve or reject a year's effect-goal targets as a named user: the rules of keys (four eyes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--target-set", type=int, required=True)
        parser.add_argument("--decision", required=True, choices=["proposed", "approved", "rejected"])
        parser.add_argument("--user", required=True, help="The user who decides; their groups decide what they may do")
        parser.add_argument("--comment", default="")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        target_set = GoalTargetSet.objects.filter(pk=options["target_set"]).first()
        if target_set is None:
            raise CommandError(f"Målvärdesuppsättning #{options['target_set']} finns inte.", returncode=2)
        user = user_argument(options["user"])
        try:
            target_set = goal_target_set_decide(
                target_set=target_set, status=options["decision"], user=user, comment=options["comment"]
            )
        except (ValidationError, PermissionDenied) as exc:
            reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(f"Beslutet gjordes inte: {reason}", returncode=1) from exc
        if options["json"]:
            self.stdout.write(
                json.dumps({"target_set": target_set.pk, "status": target_set.status, "by": user.get_username()})
            )
            return
        self.stdout.write(
            f"Målvärdesuppsättning #{target_set.pk} för {target_set.year}: "
            f"{target_set.get_status_display()} ({user.get_username()})."
        )
