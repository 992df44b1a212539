"""API-wide pieces: pagination and the mapping of domain errors to 400 responses."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, parsers, permissions
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cases.roles import is_finance, reads_everything


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body nested past the parser's recursion limit (100,000 "[") is a 400
    like any other JSON it cannot read, not a 500."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(gettext_lazy("JSON nested too deeply.")) from exc


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # Services raise Django's ValidationError with a message a person can act on.
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail={"detail": exc.messages})
    return drf_exception_handler(exc, context)


class IsFinance(permissions.BasePermission):
    """Finance staff (and superusers): the only role that writes."""

    message = gettext_lazy("Only finance staff (finance) may do this.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_finance(request.user)


class ReadsEverything(permissions.BasePermission):
    """Finance staff and the steering group read all data."""

    message = gettext_lazy("Only finance staff and the steering group may read this.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return reads_everything(request.user)
