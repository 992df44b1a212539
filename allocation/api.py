"""Allocation endpoints: keys with their shares, comparison, what-if, review decisions, runs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from allocation import calculation
from allocation.amounts import AmountError, parse_amount
from allocation.analysis.whatif import allocation_what_if, grouping_map_what_if_save
from allocation.keys.compute import allocation_key_compute_measured
from allocation.keys.decisions import allocation_key_decide
from allocation.models import AllocationKey, AllocationRun, CostPool, RunAmount
from allocation.publications import workbooks as excel
from allocation.runs.allocate import allocation_run_create, run_amounts
from allocation.runs.explanations import driver_document, key_explanation
from cases import roles
from cases.months import parse_year_month
from config.api import IsFinance, ReadsEverything

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class KeyShareOutput(serializers.Serializer):
    administration = serializers.CharField(source="administration.code")
    name = serializers.CharField(source="administration.name")
    load = serializers.DecimalField(max_digits=30, decimal_places=10)
    share = serializers.DecimalField(max_digits=15, decimal_places=12)


class KeyDecisionOutput(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    by = serializers.CharField(source="actor")
    at = serializers.DateTimeField()
    comment = serializers.CharField()


class KeyOutput(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    shares = KeyShareOutput(many=True, read_only=True)
    decisions = KeyDecisionOutput(many=True, read_only=True)

    class Meta:
        model = AllocationKey
        fields = [
            "id",
            "url",
            "name",
            "kind",
            "basis",
            "window_from",
            "window_to",
            "valid_from",
            "map_version",
            "sources",
            "channel_weights",
            "central_load",
            "warnings",
            "status",
            "comment",
            "created_at",
            "decided_at",
            "decisions",
            "robustness",
            "excluded_months",
            "shares",
        ]

    def get_url(self, obj: AllocationKey) -> str:
        return reverse("api:key-detail", args=[obj.pk], request=self.context.get("request"))


class KeyListApi(ListAPIView):
    """Allocation keys, newest first. Filter with ?status=approved&kind=measured."""

    permission_classes = [ReadsEverything]
    serializer_class = KeyOutput

    def get_queryset(self):
        qs = AllocationKey.objects.prefetch_related("shares__administration", "decisions").order_by("-created_at")
        for field in ("status", "kind"):
            if self.request.query_params.get(field):
                qs = qs.filter(**{field: self.request.query_params[field]})
        return qs


class KeyDetailApi(APIView):
    permission_classes = [ReadsEverything]

    @extend_schema(responses=KeyOutput)
    def get(self, request: Request, key_id: int) -> Response:
        key = get_object_or_404(AllocationKey, pk=key_id)
        return Response(KeyOutput(key, context={"request": request}).data)


class KeyComputeApi(APIView):
    """Compute a draft measured key from the monthly aggregates (as the compute_key command)."""

    permission_classes = [IsFinance]

    class KeyComputeInputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        window_from = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="YYYY-MM")
        window_to = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="YYYY-MM")
        basis = serializers.ChoiceField(choices=AllocationKey.Basis.choices)
        valid_from = serializers.DateField()
        sources = serializers.ListField(child=serializers.CharField(), required=False)

    @extend_schema(
        request=KeyComputeInputSerializer,
        responses={201: KeyOutput},
        examples=[
            OpenApiExample(
                "Next budget year from May–April",
                value={
                    "name": "Uppmätt nyckel 2027",
                    "window_from": "2025-05",
                    "window_to": "2026-04",
                    "basis": "weighted",
                    "valid_from": "2027-01-01",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.KeyComputeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        window_from, window_to = parse_year_month(v["window_from"]), parse_year_month(v["window_to"])
        if window_from is None or window_to is None:
            raise serializers.ValidationError({"window": _("Invalid month; write YYYY-MM.")})
        key = allocation_key_compute_measured(
            name=v["name"],
            window_from=window_from,
            window_to=window_to,
            basis=v["basis"],
            valid_from=v["valid_from"],
            source_names=v.get("sources") or None,
            user=request.user,
        )
        return Response(KeyOutput(key, context={"request": request}).data, status=status.HTTP_201_CREATED)


class KeyDecisionApi(APIView):
    """Propose (finance), approve or reject (steering group) a key, with a comment."""

    permission_classes = [ReadsEverything]

    class KeyDecisionInputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=["proposed", "approved", "rejected"])
        comment = serializers.CharField(required=False, allow_blank=True, default="")
        pool = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)

    @extend_schema(request=KeyDecisionInputSerializer, responses=KeyOutput)
    def post(self, request: Request, key_id: int) -> Response:
        data = self.KeyDecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = data.validated_data["status"]
        key = get_object_or_404(AllocationKey, pk=key_id)
        pool_id = data.validated_data["pool"]
        pool = get_object_or_404(CostPool, pk=pool_id) if pool_id else None
        # Who may take which step (four eyes included) is the service's rule: a refusal is 403.
        key = allocation_key_decide(
            key=key, status=wanted, user=request.user, comment=data.validated_data["comment"], pool=pool
        )
        return Response(KeyOutput(key, context={"request": request}).data)


class AmountField(serializers.CharField):
    """An amount in kronor ("14 550 000,00" or "14550000.00"), read by the one parser of every
    path (allocation.amounts)."""

    def to_internal_value(self, data: Any) -> Decimal:  # type: ignore[override]
        try:
            return parse_amount(data)
        except AmountError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def to_representation(self, value: Decimal) -> str:  # type: ignore[override]
        return str(value)


def _amount_param(raw: str | None) -> Decimal | None:
    if not raw:
        return None
    try:
        return parse_amount(raw)
    except AmountError as exc:
        raise serializers.ValidationError({"amount": str(exc)}) from exc


def comparison_document(a: AllocationKey, b: AllocationKey, amount: Decimal | None) -> dict[str, Any]:
    """Key B against key A. Every difference is B − A ("nytt − gällande"); the groupings are the
    drivers of DESIGN §4 with each administration's contribution split into owner and volume parts."""
    try:
        explained = key_explanation(a, b, amount)
    except calculation.AllocationError as exc:
        raise ValidationError(str(exc)) from exc
    return {
        "a": a.pk,
        "b": b.pk,
        "amount": str(amount) if amount is not None else None,
        "difference": "b_minus_a",
        "administrations": [
            {
                "administration": r.code,
                "name": explained.names.get(r.code, ""),
                "percent_a": str(r.percent_a),
                "percent_b": str(r.percent_b),
                "diff_pp": str(r.diff_pp),
                "amount_a": None if r.amount_a is None else str(r.amount_a),
                "amount_b": None if r.amount_b is None else str(r.amount_b),
                "diff_kr": None if r.diff_kr is None else str(r.diff_kr),
            }
            for r in explained.rows
        ],
        "groupings": [driver_document(d) for d in explained.drivers],
    }


class KeyCompareApi(APIView):
    """Two keys side by side: shares, percentage points, amounts and the groupings behind the change."""

    permission_classes = [ReadsEverything]

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter("a", int, required=True),
            OpenApiParameter("b", int, required=True),
            OpenApiParameter("amount", str, required=False, description="Amount to split, e.g. 14550000.00"),
        ],
    )
    def get(self, request: Request) -> Response:
        try:
            a_id, b_id = int(request.query_params["a"]), int(request.query_params["b"])
        except (KeyError, ValueError) as exc:
            raise serializers.ValidationError({"a": _("Give two key ids: ?a=1&b=2.")}) from exc
        a = get_object_or_404(AllocationKey, pk=a_id)
        b = get_object_or_404(AllocationKey, pk=b_id)
        return Response(comparison_document(a, b, _amount_param(request.query_params.get("amount"))))


class KeyWhatIfApi(APIView):
    """Move or split groupings and see the effect, without saving; optionally save as a draft map."""

    permission_classes = [ReadsEverything]

    class KeyWhatIfOwnerSerializer(serializers.Serializer):
        administration = serializers.CharField(allow_null=True)
        fraction = serializers.DecimalField(max_digits=7, decimal_places=6, default=Decimal(1))

    class KeyWhatIfInputSerializer(serializers.Serializer):
        changes = serializers.DictField(child=serializers.ListField(child=serializers.DictField()))
        amount = AmountField(required=False)
        save_as_draft_from = serializers.DateField(required=False)

    @extend_schema(request=KeyWhatIfInputSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, key_id: int) -> Response:
        data = self.KeyWhatIfInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = get_object_or_404(AllocationKey, pk=key_id)
        changes: dict[str, list[calculation.MapOwner]] = {}
        for grouping, owners in data.validated_data["changes"].items():
            parsed = self.KeyWhatIfOwnerSerializer(data=owners, many=True)
            parsed.is_valid(raise_exception=True)
            changes[grouping] = [
                calculation.MapOwner(o["administration"], o["fraction"]) for o in parsed.validated_data
            ]
        amount = data.validated_data.get("amount")
        _loads, rows, drivers = allocation_what_if(key=key, changes=changes, amount=amount)
        body: dict[str, Any] = {
            "key": key.pk,
            "administrations": [
                {
                    "administration": r.code,
                    "percent_key": str(r.percent_a),
                    "percent_what_if": str(r.percent_b),
                    "diff_pp": str(r.diff_pp),
                    "amount_key": None if r.amount_a is None else str(r.amount_a),
                    "amount_what_if": None if r.amount_b is None else str(r.amount_b),
                    "diff_kr": None if r.diff_kr is None else str(r.diff_kr),
                }
                for r in rows
            ],
            "groupings": [driver_document(d) for d in drivers],
        }
        if data.validated_data.get("save_as_draft_from"):
            if not roles.is_finance(request.user):
                raise PermissionDenied(_("Only finance staff save a new map."))
            version = grouping_map_what_if_save(
                key=key, changes=changes, valid_from=data.validated_data["save_as_draft_from"], user=request.user
            )
            body["draft_map_version"] = version.pk
        return Response(body)


class RunOutput(serializers.ModelSerializer):
    amounts = serializers.SerializerMethodField()
    months = serializers.SerializerMethodField()
    difference_from_superseded = serializers.SerializerMethodField()

    class Meta:
        model = AllocationRun
        fields = [
            "id",
            "key",
            "pool",
            "net_amount",
            "unit",
            "inputs",
            "supersedes",
            "created_at",
            "amounts",
            "months",
            "difference_from_superseded",
            "is_charging",
        ]

    def get_amounts(self, obj: AllocationRun) -> dict[str, str]:
        return {k: str(v) for k, v in run_amounts(obj)[0].items()}

    def get_months(self, obj: AllocationRun) -> dict[str, dict[str, str]]:
        return {f"{m:02d}": {k: str(v) for k, v in row.items()} for m, row in run_amounts(obj)[1].items()}

    def get_difference_from_superseded(self, obj: AllocationRun) -> dict[str, str] | None:
        if obj.supersedes is None:
            return None
        new, old = run_amounts(obj)[0], run_amounts(obj.supersedes)[0]
        return {k: str(new.get(k, Decimal(0)) - old.get(k, Decimal(0))) for k in sorted(set(new) | set(old))}


class RunListApi(ListAPIView):
    """Allocation runs, newest first. Filter with ?pool=ID&key=ID."""

    permission_classes = [ReadsEverything]
    serializer_class = RunOutput

    def get_queryset(self):
        amounts = Prefetch("amounts", queryset=RunAmount.objects.select_related("administration"))
        old_amounts = Prefetch("supersedes__amounts", queryset=RunAmount.objects.select_related("administration"))
        qs = (
            AllocationRun.objects.select_related("supersedes")
            .prefetch_related(amounts, old_amounts)
            .order_by("-created_at")
        )
        for field in ("pool", "key"):
            if self.request.query_params.get(field, "").isdigit():
                qs = qs.filter(**{f"{field}_id": int(self.request.query_params[field])})
        return qs


class RunCreateApi(APIView):
    """A charging run of a pool (its approved key; `key` may be left out) or a simulation of an
    amount by any key (as the allocate command). A key that may not charge is a 400."""

    permission_classes = [IsFinance]

    class RunCreateInputSerializer(serializers.Serializer):
        key = serializers.PrimaryKeyRelatedField(queryset=AllocationKey.objects.all(), required=False)
        pool = serializers.PrimaryKeyRelatedField(queryset=CostPool.objects.all(), required=False)
        amount = AmountField(required=False)
        unit = serializers.ChoiceField(choices=CostPool.Unit.choices, default=CostPool.Unit.ORE)

    @extend_schema(request=RunCreateInputSerializer, responses={201: RunOutput})
    def post(self, request: Request) -> Response:
        data = self.RunCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        run = allocation_run_create(
            key=v.get("key"), pool=v.get("pool"), amount=v.get("amount"), unit=v["unit"], user=request.user
        )
        return Response(RunOutput(run).data, status=status.HTTP_201_CREATED)


class RunDetailApi(APIView):
    permission_classes = [ReadsEverything]

    @extend_schema(responses=RunOutput)
    def get(self, request: Request, run_id: int) -> Response:
        return Response(RunOutput(get_object_or_404(AllocationRun, pk=run_id)).data)


class KeyExcelApi(APIView):
    permission_classes = [ReadsEverything]

    @extend_schema(responses={(200, XLSX): bytes})
    def get(self, request: Request, key_id: int) -> HttpResponse:
        key = get_object_or_404(AllocationKey, pk=key_id)
        response = HttpResponse(excel.key_workbook(key), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="nyckel-{key.pk}.xlsx"'
        return response


class RunExcelApi(APIView):
    permission_classes = [ReadsEverything]

    @extend_schema(responses={(200, XLSX): bytes})
    def get(self, request: Request, run_id: int) -> HttpResponse:
        run = get_object_or_404(AllocationRun, pk=run_id)
        response = HttpResponse(excel.run_workbook(run), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="fordelning-{run.pk}.xlsx"'
        return response


class RollingSharesApi(APIView):
    """Each administration's measured share over the 12 months ending ?month=YYYY-MM, beside the
    approved key's share (percentage points of drift)."""

    permission_classes = [ReadsEverything]

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("month", str, required=True, description="YYYY-MM")],
    )
    def get(self, request: Request) -> Response:
        from allocation.analysis.whatif import rolling_shares

        raw = request.query_params.get("month", "")
        month = parse_year_month(raw)
        if month is None:
            raise serializers.ValidationError({"month": _("Write the month as YYYY-MM.")})
        return Response(rolling_shares(month=month))


class StatisticsOverviewApi(APIView):
    """The published overview of a month (newest version, or ?version=N). Access as for the page."""

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="statistics_overview")
    def get(self, request: Request, month: str) -> Response:
        from allocation.publications.lookup import publication_for

        if not roles.may_see_overview(request.user):  # before the lookup: a 404 would tell what exists
            raise PermissionDenied
        publication = publication_for(month, request.query_params.get("version"))
        meta = {"month": month, "version": publication.version, "revised": publication.is_revision}
        return Response({**meta, **publication.figures["overview"]})


class StatisticsAdministrationApi(APIView):
    """One administration's published page of a month. Access as for the page."""

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="statistics_administration")
    def get(self, request: Request, month: str, code: str) -> Response:
        from allocation.publications.lookup import publication_for

        if not roles.may_see_administration(request.user, code):
            raise PermissionDenied
        publication = publication_for(month, request.query_params.get("version"))
        doc = publication.figures["administrations"].get(code)
        if doc is None:
            return Response({"detail": _("Unknown administration.")}, status=status.HTTP_404_NOT_FOUND)
        meta = {"month": month, "version": publication.version, "revised": publication.is_revision}
        return Response({**meta, **doc})


class KeyFromValuesApi(APIView):
    """Create a draft driver key (per-administration quantities) or fixed key (percentages)."""

    permission_classes = [IsFinance]

    class KeyFromValuesInputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        kind = serializers.ChoiceField(choices=["driver", "fixed"])
        valid_from = serializers.DateField()
        values = serializers.DictField(child=serializers.DecimalField(max_digits=20, decimal_places=6))

    @extend_schema(request=KeyFromValuesInputSerializer, responses={201: KeyOutput})
    def post(self, request: Request) -> Response:
        from allocation.keys.compute import allocation_key_create_from_values

        data = self.KeyFromValuesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = allocation_key_create_from_values(user=request.user, **data.validated_data)
        return Response(KeyOutput(key, context={"request": request}).data, status=status.HTTP_201_CREATED)
