"""Import endpoints: upload (202 + a URL to poll), status with progress and row errors."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from cases.models import DataSource
from cases.months import parse_year_month
from config.api import IsFinance
from imports.models import ImportBatch
from imports.services import UploadThrottled, import_batch_create

ERRORS_SHOWN = 50


class ImportErrorOutput(serializers.Serializer):
    row_number = serializers.IntegerField()
    column = serializers.CharField()
    value = serializers.CharField()
    reason = serializers.CharField()


class ImportBatchOutput(serializers.ModelSerializer):
    source = serializers.CharField(source="source.name")  # type: ignore[assignment]
    status_display = serializers.CharField(source="get_status_display")
    url = serializers.SerializerMethodField()

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "url",
            "source",
            "kind",
            "original_name",
            "size_bytes",
            "sha256",
            "declared_month",
            "load_valid_rows",
            "replace_confirmed",
            "needs_confirmation",
            "status",
            "status_display",
            "progress",
            "rows_read",
            "rows_loaded",
            "rows_rejected",
            "rows_skipped",
            "skipped",
            "months",
            "message",
            "attempts",
            "superseded_by",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_url(self, obj: ImportBatch) -> str:
        return reverse("api:import-detail", args=[obj.pk], request=self.context.get("request"))


class ImportBatchDetailOutput(ImportBatchOutput):
    row_errors = serializers.SerializerMethodField()
    errors_csv = serializers.SerializerMethodField()

    class Meta(ImportBatchOutput.Meta):
        fields = [*ImportBatchOutput.Meta.fields, "row_errors", "errors_csv"]

    @extend_schema_field(ImportErrorOutput(many=True))
    def get_row_errors(self, obj: ImportBatch) -> Any:
        return ImportErrorOutput(obj.errors.order_by("row_number", "id")[:ERRORS_SHOWN], many=True).data

    def get_errors_csv(self, obj: ImportBatch) -> str | None:
        if not obj.rows_rejected:
            return None
        return reverse("api:import-errors", args=[obj.pk, "csv"], request=self.context.get("request"))


class ImportListApi(ListAPIView):
    """Import batches, newest first. Filter with ?source=NAME&status=STATUS&month=YYYY-MM."""

    permission_classes = [IsFinance]
    serializer_class = ImportBatchOutput

    def get_queryset(self):
        qs = ImportBatch.objects.select_related("source").order_by("-created_at")
        params = self.request.query_params
        if params.get("source"):
            qs = qs.filter(source__name=params["source"])
        if params.get("status"):
            qs = qs.filter(status=params["status"])
        if params.get("month"):
            month = params["month"]
            if connection.vendor == "postgresql":
                qs = qs.filter(months__contains=[month])
            else:  # SQLite has no JSON containment; the demo's few batches are filtered here
                qs = qs.filter(pk__in=[pk for pk, months in qs.values_list("pk", "months") if month in (months or [])])
        return qs


class SourceField(serializers.SlugRelatedField):
    """A data source by name; text PostgreSQL cannot store (NUL) is a 400, not a database error."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            raise serializers.ValidationError(_("The source's name contains characters that are not allowed."))
        return super().to_internal_value(data)


class ImportUploadApi(APIView):
    """Upload a case log or aggregated statistics. Answers 202 with the URL to poll."""

    permission_classes = [IsFinance]
    parser_classes = [MultiPartParser, FormParser]

    class ImportUploadInputSerializer(serializers.Serializer):
        file = serializers.FileField()
        source = SourceField(slug_field="name", queryset=DataSource.objects.all())  # type: ignore[assignment]
        format = serializers.ChoiceField(choices=ImportBatch.Kind.choices, default=ImportBatch.Kind.CASES)
        month = serializers.CharField(required=False, allow_blank=True, help_text="YYYY-MM")
        load_valid_rows = serializers.BooleanField(default=False)
        replace = serializers.BooleanField(
            default=False,
            help_text="Confirm that the file may replace a loaded month whose case count it changes by more than 20 %.",
        )

        def validate_month(self, value: str) -> Any:
            if not value:
                return None
            month = parse_year_month(value)
            if month is None:
                raise serializers.ValidationError(_("Write the month as YYYY-MM, e.g. 2026-03."))
            return month

    @extend_schema(
        request={"multipart/form-data": ImportUploadInputSerializer},
        responses={
            202: inline_serializer("ImportAccepted", {"id": serializers.IntegerField(), "url": serializers.URLField()})
        },
        examples=[
            OpenApiExample(
                "Accepted",
                value={"id": 27, "url": "https://kontaktcenter.example.se/api/v1/imports/27/"},
                response_only=True,
                status_codes=["202"],
            ),
            OpenApiExample(
                "Same file again",
                value={"detail": ["Exakt samma fil är redan uppladdad som batch #26 (telefoni-2026-10.csv, …)."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.ImportUploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            batch = import_batch_create(
                source=data.validated_data["source"],
                stream=upload,
                filename=upload.name,
                kind=data.validated_data["format"],
                declared_month=data.validated_data.get("month"),
                load_valid_rows=data.validated_data["load_valid_rows"],
                replace=data.validated_data["replace"],
                user=request.user,
            )
        except UploadThrottled as exc:
            return Response(
                {"detail": exc.messages},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(exc.wait_seconds)},
            )
        except ValidationError as exc:
            return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
        url = reverse("api:import-detail", args=[batch.pk], request=request)
        return Response({"id": batch.pk, "url": url}, status=status.HTTP_202_ACCEPTED, headers={"Location": url})


class ImportDetailApi(APIView):
    """Status, progress and the first row errors of one batch."""

    permission_classes = [IsFinance]

    @extend_schema(responses=ImportBatchDetailOutput)
    def get(self, request: Request, batch_id: int) -> Response:
        batch = get_object_or_404(ImportBatch.objects.select_related("source"), pk=batch_id)
        return Response(ImportBatchDetailOutput(batch, context={"request": request}).data)


class ImportErrorReportApi(APIView):
    """All row errors of a batch as CSV or XLSX (text from the file is escaped against formulas)."""

    permission_classes = [IsFinance]

    @extend_schema(responses={(200, "text/csv"): bytes})
    def get(self, request: Request, batch_id: int, fmt: str) -> Any:
        from imports.views import error_report_response

        return error_report_response(get_object_or_404(ImportBatch, pk=batch_id), fmt)
