"""The finance officer's import pages in the site's own look: upload a case log, the batches, and
one batch with its errors summarised by kind and value (a rejected bank export can have 100,000
row errors; the page stays small and fast because it shows counts, a few examples per kind and
one page of rows, and offers the full report as a download)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from cases import roles
from imports.forms import UploadForm
from imports.models import ImportBatch
from imports.selectors import import_batch_error_kinds, import_batch_errors, month_counts_by_source
from imports.services import import_batch_confirm_replace, import_batch_create

ERRORS_PER_PAGE = 100
BATCHES_PER_PAGE = 50


def _require_finance(request: HttpRequest) -> None:
    if not roles.is_finance(request.user):
        raise PermissionDenied


def upload_submit(request: HttpRequest, form: UploadForm) -> HttpResponse | None:
    """A POST of the upload form (this page and the admin's): confirm a refused replacement, or
    create the batch; then the batch page. None when the form has errors to show."""
    if request.POST.get("confirm_replace", "").isdigit():
        confirmed = int(request.POST["confirm_replace"])
        try:
            import_batch_confirm_replace(batch_id=confirmed, user=request.user)
        except (ValidationError, ImportBatch.DoesNotExist) as exc:
            from django.contrib import messages

            messages.error(request, "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
        return HttpResponseRedirect(reverse("imports:batch", args=[confirmed]))
    if not form.is_valid():
        return None
    upload = form.cleaned_data["file"]
    try:
        batch = import_batch_create(
            source=form.cleaned_data["source"],
            stream=upload,
            filename=upload.name,
            kind=form.cleaned_data["kind"],
            declared_month=form.cleaned_data["month"],
            load_valid_rows=form.cleaned_data["load_valid_rows"],
            replace=form.cleaned_data["replace"],
            user=request.user,
        )
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return None
    return HttpResponseRedirect(reverse("imports:batch", args=[batch.pk]))


def upload(request: HttpRequest) -> HttpResponse:
    _require_finance(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        done = upload_submit(request, form)
        if done is not None:
            return done
    return render(request, "imports/upload.html", {"form": form, "month_counts": month_counts_by_source()})


def batch_list(request: HttpRequest) -> HttpResponse:
    _require_finance(request)
    batches = ImportBatch.objects.select_related("source", "created_by").order_by("-created_at", "-pk")
    status = request.GET.get("status", "")
    if status in ImportBatch.Status.values:
        batches = batches.filter(status=status)
    page = Paginator(batches, BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "imports/batch_list.html",
        {
            "page": page,
            "status": status,
            "status_query": f"status={status}&" if status else "",
            "statuses": ImportBatch.Status.choices,
        },
    )


def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    _require_finance(request)
    batch = get_object_or_404(ImportBatch.objects.select_related("source", "created_by"), pk=batch_id)
    finished = batch.status not in (ImportBatch.Status.PENDING, ImportBatch.Status.PROCESSING)
    kinds = import_batch_error_kinds(batch=batch) if finished and batch.rows_rejected else []
    chosen: Any = None
    raw_kind = request.GET.get("kind", "")
    if raw_kind.isdigit():
        chosen = next((k for k in kinds if k.number == int(raw_kind)), None)
    errors = import_batch_errors(
        batch=batch, column=chosen.column if chosen else None, reason=chosen.reason if chosen else None
    )
    page = Paginator(errors, ERRORS_PER_PAGE).get_page(request.GET.get("page")) if kinds else None
    # A row can have several errors; the summary is partial when fewer rows are stored than were
    # rejected (IMPORT_STORED_ERRORS bounds what is kept; every row is counted).
    stored = errors.values("row_number").distinct().count() if kinds and not chosen else 0
    return render(
        request,
        "imports/batch_detail.html",
        {
            "batch": batch,
            "finished": finished,
            "kinds": kinds,
            "chosen": chosen,
            "page": page,
            "stored": stored,
            "unstored": max(batch.rows_rejected - stored, 0) if stored else 0,
            "kind_query": f"kind={chosen.number}&" if chosen else "",
            # The message and reasons are stored in the language the batch was processed in;
            # marked as such (WCAG 3.1.2, language of parts) when the reader reads another.
            "recorded_in": (batch.language or settings.LANGUAGE_CODE)[:2],
        },
    )
