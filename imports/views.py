"""HTML-side endpoints of imports: the downloadable error report."""

from __future__ import annotations

import csv
import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.roles import is_finance
from cases.spreadsheet import safe_cell, workbook_bytes
from imports.models import ImportBatch

HEADER = [gettext_lazy("row"), gettext_lazy("column"), gettext_lazy("value"), gettext_lazy("reason")]


@login_required
def error_report(request: HttpRequest, batch_id: int, fmt: str) -> HttpResponse:
    if not is_finance(request.user):
        raise PermissionDenied
    return error_report_response(get_object_or_404(ImportBatch, pk=batch_id), fmt)


def error_report_response(batch: ImportBatch, fmt: str) -> HttpResponse:
    """The batch's row errors as a CSV (semicolon, BOM for Excel) or XLSX download."""
    rows = [[e.row_number, e.column, safe_cell(e.value), e.reason] for e in batch.errors.order_by("row_number", "id")]
    name = f"fel-batch-{batch.pk}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow([str(h) for h in HEADER])
        writer.writerows(rows)
        # BOM so Excel opens åäö correctly.
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(_("Errors"))
        ws.append([str(h) for h in HEADER])
        for row in rows:
            ws.append(row)
        response = HttpResponse(
            workbook_bytes(wb, stamp=batch.finished_at or batch.created_at),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    raise Http404


@login_required
def map_upload(request: HttpRequest) -> HttpResponse:
    """Upload a grouping map file (DESIGN.md §6) with the same row-level messages as the command."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.shortcuts import render

    from cases import roles
    from imports.table_imports import grouping_map_import

    if not roles.is_finance(request.user):
        raise PermissionDenied
    errors: list[str] = []
    result = None
    upload = request.FILES.get("file")
    if request.method == "POST" and upload is not None and not isinstance(upload, list):
        try:
            result = grouping_map_import(stream=upload, user=request.user)
        except ValidationError as exc:
            errors = exc.messages
    return render(request, "organisation/map_upload.html", {"errors": errors, "result": result})


@login_required
def source_preview(request: HttpRequest) -> HttpResponse:
    """Try a source profile on a sample file before saving it: the first 20 rows as they will be
    read, and every problem, with nothing saved."""
    import json

    from django.core.exceptions import PermissionDenied
    from django.shortcuts import render

    from cases import roles
    from cases.models import DataSource
    from imports.preview import source_profile_preview

    if not roles.is_finance(request.user):
        raise PermissionDenied
    source = None
    source_id = request.GET.get("source", "") or request.POST.get("source", "")
    if source_id.isdigit():
        source = DataSource.objects.filter(pk=int(source_id)).first()
    text = request.POST.get("profile") if request.method == "POST" else None
    if text is None:
        text = json.dumps(source.profile if source else {}, ensure_ascii=False, indent=1)
    preview = None
    error = ""
    upload = request.FILES.get("file")
    if request.method == "POST":
        try:
            profile = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError as exc:
            error = _("The profile is not valid JSON: row %(row)s, column %(column)s: %(reason)s.") % {
                "row": exc.lineno,
                "column": exc.colno,
                "reason": exc.msg,
            }
        else:
            if upload is None or isinstance(upload, list):
                error = _("Choose a sample file to try the profile on.")
            else:
                preview = source_profile_preview(profile=profile, stream=upload, size=upload.size or 0)
    return render(
        request,
        "organisation/source_preview.html",
        {"source": source, "profile_text": text, "preview": preview, "error": error},
    )
