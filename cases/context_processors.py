"""What every page's layout needs to know about the person reading it: which parts of the main
menu to show. Permission is still checked by each view; the menu only hides links that would 403."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cases import roles


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "nav_finance": roles.is_finance(user),
        "nav_reads_everything": roles.reads_everything(user),
    }
