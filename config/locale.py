"""Swedish unless the user picked another language: browsers' Accept-Language is not asked.

Municipal staff often run English-language browsers; the service still speaks Swedish to
them until they choose English in the language menu (a cookie set by Django's set_language).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class SwedishByDefaultMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
