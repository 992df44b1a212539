"""The ledger in the API: post a charging run to the journal (an explicit POST, never a GET), and
fetch a posting's file as it was posted."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.ledger.journal import FORMATS, posted_file, run_postings_export
from allocation.models import AllocationRun, Posting
from cases.months import parse_year_month
from config.api import IsFinance


class RunPostingApi(APIView):
    """Post what the charging run says minus what the ledger journal holds ("Överför till
    redovisningen"). 201 with the posting, or 200 with `posting: null` when there is nothing to post."""

    permission_classes = [IsFinance]

    class PostingInput(serializers.Serializer):
        format = serializers.ChoiceField(choices=sorted(FORMATS), default="sie")
        month = serializers.CharField(required=False, allow_blank=True, default="", max_length=7)

    class PostingOutput(serializers.Serializer):
        posting = serializers.IntegerField(allow_null=True)
        vouchers = serializers.IntegerField()
        corrects = serializers.IntegerField(allow_null=True)
        file = serializers.CharField(allow_null=True)

    @extend_schema(request=PostingInput, responses={201: PostingOutput, 200: PostingOutput})
    def post(self, request: Request, run_id: int) -> Response:
        data = self.PostingInput(data=request.data)
        data.is_valid(raise_exception=True)
        run = get_object_or_404(AllocationRun.objects.select_related("pool"), pk=run_id)
        month = None
        if data.validated_data["month"]:
            parsed = parse_year_month(data.validated_data["month"])
            if parsed is None or run.pool is None or parsed.year != run.pool.year:
                raise serializers.ValidationError({"month": "YYYY-MM within the pool's budget year."})
            month = parsed.month
        posted = run_postings_export(run=run, fmt=data.validated_data["format"], month=month, user=request.user)
        body = {
            "posting": posted.posting,
            "vouchers": posted.vouchers,
            "corrects": posted.corrects,
            "file": request.build_absolute_uri(f"/api/v1/postings/{posted.posting}/file/") if posted.posting else None,
        }
        return Response(body, status=status.HTTP_201_CREATED if posted.posting else status.HTTP_200_OK)


class PostingFileApi(APIView):
    permission_classes = [IsFinance]

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, posting_id: int) -> HttpResponse:
        posted = posted_file(get_object_or_404(Posting, pk=posting_id))
        response = HttpResponse(posted.content, content_type=posted.content_type)
        response["Content-Disposition"] = f'attachment; filename="{posted.filename}"'
        return response
