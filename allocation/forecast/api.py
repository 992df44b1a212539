"""The forecast in the API: `GET /api/v1/forecast/<year>/`, read by finance staff and the
steering group. A forecast is never charged; the answer says so in `never_charged`."""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.calculation import shares
from allocation.forecast.explain import caveats, method_words, range_words
from allocation.forecast.inputs import forecast_for_year
from config.api import ReadsEverything

FIRST_YEAR, LAST_YEAR = 2000, 2100


class AdministrationForecastOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    share = serializers.CharField(help_text="Exact share to 12 decimals")
    percent = serializers.CharField(help_text="Percent, two decimals, adding up to 100.00")
    share_low = serializers.CharField()
    share_high = serializers.CharField()
    amount = serializers.CharField(allow_null=True)
    amount_low = serializers.CharField(allow_null=True)
    amount_high = serializers.CharField(allow_null=True)


class ForecastOutput(serializers.Serializer):
    year = serializers.IntegerField()
    never_charged = serializers.BooleanField()
    method = serializers.CharField(allow_null=True)
    method_text = serializers.CharField()
    range_text = serializers.CharField()
    months_used = serializers.IntegerField()
    volume = serializers.CharField()
    volume_low = serializers.CharField()
    volume_high = serializers.CharField()
    pool = serializers.IntegerField(allow_null=True)
    with_this_years_amounts = serializers.BooleanField()
    administrations = AdministrationForecastOutput(many=True)
    caveats = serializers.ListField(child=serializers.CharField())


def _text(value: object) -> str | None:
    return None if value is None else str(value)


class ForecastApi(APIView):
    permission_classes = [ReadsEverything]

    @extend_schema(responses=ForecastOutput)
    def get(self, request: Request, year: int) -> Response:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise Http404
        context = forecast_for_year(year=year)
        forecast = context.forecast
        loads = {a.code: a.load for a in forecast.administrations}
        exact = shares(loads) if sum(loads.values()) > 0 else dict.fromkeys(loads, Decimal(0))
        return Response(
            ForecastOutput(
                {
                    "year": year,
                    "never_charged": True,
                    "method": forecast.method,
                    "method_text": method_words(forecast),
                    "range_text": range_words(),
                    "months_used": forecast.months_used,
                    "volume": str(forecast.volume),
                    "volume_low": str(forecast.volume_low),
                    "volume_high": str(forecast.volume_high),
                    "pool": context.pool.pk if context.pool is not None else None,
                    "with_this_years_amounts": context.pool_is_this_years,
                    "administrations": [
                        {
                            "code": a.code,
                            "name": context.names.get(a.code, ""),
                            "share": str(exact[a.code]),
                            "percent": str(a.percent),
                            "share_low": str(a.share_low),
                            "share_high": str(a.share_high),
                            "amount": _text(a.amount),
                            "amount_low": _text(a.amount_low),
                            "amount_high": _text(a.amount_high),
                        }
                        for a in forecast.administrations
                    ],
                    "caveats": [
                        *caveats(forecast, from_reference=context.transfers_from_reference),
                        *([context.amount_refusal] if context.amount_refusal else []),
                    ],
                }
            ).data
        )
