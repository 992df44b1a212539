"""The API's request parsers. A module of its own: DRF imports it while it builds its settings,
so it must not import rest_framework.views (whose APIView reads those settings as it is defined)."""

from typing import Any

from django.utils.translation import gettext_lazy
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body nested past the parser's recursion limit (100,000 "[") is a 400
    like any other JSON it cannot read, not a 500."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(gettext_lazy("JSON nested too deeply.")) from exc
