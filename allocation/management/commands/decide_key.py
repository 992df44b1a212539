"""decide_key --key ID --decision proposed|approved|rejected --user USERNAME [--comment TEXT] [--pool ID]"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from allocation.keys.decisions import allocation_key_decide
from allocation.models import AllocationKey, CostPool
from cases.roles import user_argument


class Command(BaseCommand):
    help = "Propose, approve or reject a key as a named user: the same rules as the web (four eyes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--key", type=int, required=True)
        parser.add_argument("--decision", required=True, choices=["proposed", "approved", "rejected"])
        parser.add_argument("--user", required=True, help="The user who decides; their groups decide what they may do")
        parser.add_argument("--comment", default="")
        parser.add_argument("--pool", type=int, help="When proposing: the cost pool the key is for (DESIGN §4)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        key = AllocationKey.objects.filter(pk=options["key"]).first()
        if key is None:
            raise CommandError(f"Nyckel #{options['key']} finns inte.", returncode=2)
        pool = None
        if options["pool"] is not None:
            pool = CostPool.objects.filter(pk=options["pool"]).first()
            if pool is None:
                raise CommandError(f"Kostnadspool #{options['pool']} finns inte.", returncode=2)
        user = user_argument(options["user"])
        try:
            key = allocation_key_decide(
                key=key, status=options["decision"], user=user, comment=options["comment"], pool=pool
            )
        except (ValidationError, PermissionDenied) as exc:
            reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(f"Beslutet gjordes inte: {reason}", returncode=1) from exc
        if options["json"]:
            self.stdout.write(
                json.dumps({"key": key.pk, "status": key.status, "by": user.get_username(), "pool": key.pool_id})
            )
            return
        self.stdout.write(f"Nyckel #{key.pk} {key.name}: {key.get_status_display()} ({user.get_username()}).")
