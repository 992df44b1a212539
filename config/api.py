"""API-wide pieces: pagination and the mapping of domain errors to 400 responses."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, permissions
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cases.roles import is_finance, reads_everything


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
