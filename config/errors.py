"""The site's error pages (400, 403, 404, 500 and a failed CSRF check): in the site's layout and
the reader's language, each saying what to do next. Registered as handler400… in config.urls."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template import loader

logger = logging.getLogger(__name__)


def _render(request: HttpRequest, status: int, context: dict[str, Any] | None = None) -> HttpResponse:
    template = f"errors/{status}.html"
    try:
        body = loader.render_to_string(template, {"status": status, **(context or {})}, request=request)
    except Exception:
        logger.exception("the %s page could not render with the request; a plain one is sent", status)
        body = loader.render_to_string(template, {"status": status, "plain": True})
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request's context processors (the database may be what failed);
    # the layout's links and the language still work.
    body = loader.render_to_string("errors/500.html", {"status": 500, "plain": True, "request": request})
    return HttpResponse(body, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent with an expired or missing security token (a page left open for long)."""
    return _render(request, 403, {"csrf": True})
