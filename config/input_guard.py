"""Query strings with NUL characters are refused with 400 before any view sees them.

PostgreSQL text cannot hold NUL, so such a value reaching a filter would be a database error
(500) in whichever list endpoint received it; refusing it once here covers them all.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _


class RejectNulQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
            return HttpResponseBadRequest(_("A character that is not allowed (NUL) in the address."))
        return self.get_response(request)
