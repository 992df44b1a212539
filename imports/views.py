"""HTML-side endpoints of imports: the downloadable error report."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.downloads import table_response
from cases.roles import is_finance
from imports.models import ImportBatch

HEADER = [gettext_lazy("row"), gettext_lazy("column"), gettext_lazy("value"), gettext_lazy("reason")]


@login_required
def error_report(request: HttpRequest, batch_id: int, fmt: str) -> HttpResponse:
    if not is_finance(request.user):
        raise PermissionDenied
    return error_report_response(get_object_or_404(ImportBatch, pk=batch_id), fmt)


def error_report_response(batch: ImportBatch, fmt: str) -> HttpResponse:
    """The batch's row errors as a CSV (semicolon, BOM for Excel) or XLSX download."""
    return table_response(
        name=f"fel-batch-{batch.pk}",
        fmt=fmt,
        header=HEADER,
        rows=([e.row_number, e.column, e.value, e.reason] for e in batch.errors.order_by("row_number", "id")),
        sheet=_("Errors"),
        stamp=batch.finished_at or batch.created_at,
    )


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
    from cases.source_profiles import ProfileError, profile_from_json, profile_from_text
    from imports.preview import source_profile_preview
    from imports.services import UploadThrottled

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
    status = 200
    upload = request.FILES.get("file")
    if request.method == "POST":
        try:
            profile = profile_from_text(text)
            profile_from_json(profile)
        except ProfileError as exc:
            error, status = str(exc), 400
        else:
            if upload is None or isinstance(upload, list):
                error = _("Choose a sample file to try the profile on.")
            else:
                try:
                    preview = source_profile_preview(
                        profile=profile, stream=upload, size=upload.size or 0, user=request.user
                    )
                except UploadThrottled as exc:
                    error, status = " ".join(exc.messages), 429
    return render(
        request,
        "organisation/source_preview.html",
        {"source": source, "profile_text": text, "preview": preview, "error": error},
        status=status,
    )


@login_required
def source_profile_form(request: HttpRequest, source_id: int) -> HttpResponse:
    """Build a source's profile from a sample file: upload the sample, map each field to one of
    its columns, choose the date format that reads it; saved through the audited service."""
    from django.contrib import messages
    from django.http import HttpResponseRedirect
    from django.shortcuts import render
    from django.urls import reverse

    from cases import roles
    from cases.models import DataSource
    from cases.services import data_source_save
    from imports.parsing import FileRejected
    from imports.profile_form import ProfileBuilderForm, initial_from_profile, sample_from_signed, sample_read
    from imports.services import UploadThrottled, upload_throttle_check

    if not roles.is_finance(request.user):
        raise PermissionDenied
    source = get_object_or_404(DataSource, pk=source_id)
    form = None
    preview = None
    error = ""
    status = 200
    upload = request.FILES.get("file")
    if request.method == "POST" and upload is not None and not isinstance(upload, list):
        try:
            upload_throttle_check(user=request.user)  # a sample is read as an upload is
            sample = sample_read(upload, upload.size or 0, sheet=str(source.profile.get("sheet", "") or ""))
        except FileRejected as exc:
            error, status = str(exc), 400
        except UploadThrottled as exc:
            error, status = " ".join(exc.messages), 429
        else:
            form = ProfileBuilderForm(sample=sample, initial=initial_from_profile(source.profile, sample))
    elif request.method == "POST":
        try:
            sample = sample_from_signed(request.POST.get("sample", ""))
        except ValueError as exc:
            error, status = str(exc), 400
        else:
            form = ProfileBuilderForm(request.POST, sample=sample)
            if form.is_valid() and request.POST.get("action") == "preview":
                preview = sample_preview(form)
            elif form.is_valid():
                source.profile = form.profile
                data_source_save(source=source, user=request.user)
                messages.success(request, _("The profile of %(name)s is saved.") % {"name": source.name})
                return HttpResponseRedirect(reverse("organisation:source", args=[source.pk]))
            else:
                status = 400
    import json

    return render(
        request,
        "organisation/source_profile.html",
        {
            "source": source,
            "form": form,
            "error": error,
            "preview": preview,
            "profile_text": json.dumps(source.profile, ensure_ascii=False, indent=1),
        },
        status=status,
    )


def sample_preview(form: Any) -> Any:
    """The profile form's sample read through its answers (a ProfilePreview). The sample was
    counted against the upload throttle when it was read; trying answers on it is not counted."""
    import io

    from imports.preview import source_profile_preview

    data = form.taken.as_csv()
    return source_profile_preview(profile=form.profile, stream=io.BytesIO(data), size=len(data), count_upload=False)


@login_required
def source_profile_live(request: HttpRequest, source_id: int) -> HttpResponse:
    """The profile form's answers so far → the date formats that read the chosen date columns and
    the sample as it will be read (or what stops it), as a fragment the form's script puts in
    place on every change. POST only: a GET leads to the form."""
    from django.http import HttpResponseRedirect
    from django.shortcuts import render
    from django.urls import reverse

    from cases import roles
    from cases.models import DataSource
    from imports.preview import ProfilePreview
    from imports.profile_form import ProfileBuilderForm, sample_from_signed

    if not roles.is_finance(request.user):
        raise PermissionDenied
    source = get_object_or_404(DataSource, pk=source_id)
    if request.method != "POST":
        return HttpResponseRedirect(reverse("imports:source-profile", args=[source.pk]))
    try:
        sample = sample_from_signed(request.POST.get("sample", ""))
    except ValueError as exc:
        return render(request, "organisation/_profile_live.html", {"preview": ProfilePreview(file_error=str(exc))})
    form = ProfileBuilderForm(request.POST, sample=sample)
    if form.is_valid():
        preview = sample_preview(form)
    else:  # what the save would refuse, said before it is pressed
        preview = ProfilePreview(errors=[str(m) for errors in form.errors.values() for m in errors])
    return render(request, "organisation/_profile_live.html", {"form": form, "preview": preview})
