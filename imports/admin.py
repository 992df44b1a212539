from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cases import formats
from imports.forms import UploadForm
from imports.models import ImportBatch, ImportRowError
from imports.selectors import month_counts_by_source
from imports.services import import_batch_requeue

STUCK_AFTER = timedelta(minutes=10)


class ImportRowErrorInline(admin.TabularInline):
    model = ImportRowError
    fields = ("row_number", "column", "value", "reason")
    readonly_fields = ("row_number", "column", "value", "reason")
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("row_number", "id")


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "original_name",
        "source",
        "kind",
        "status_shown",
        "progress",
        "loaded",
        "rejected",
        "months_shown",
        "created_at",
        "created_by",
    ]
    list_filter = ["status", "source", "kind"]
    search_fields = ["original_name", "sha256"]
    list_select_related = ["source", "created_by"]
    readonly_fields = (*(f.name for f in ImportBatch._meta.fields), "error_report")
    inlines = [ImportRowErrorInline]
    actions = ["requeue"]
    change_list_template = "admin/imports/importbatch/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # kept for the record

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, obj: ImportBatch) -> str:
        if (
            obj.status == ImportBatch.Status.PROCESSING
            and obj.heartbeat_at
            and timezone.now() - obj.heartbeat_at > STUCK_AFTER
        ):
            return str(_("stuck (no sign of life for 10 min) – re-run it"))
        return obj.get_status_display()

    @admin.display(description=_("rows loaded"), ordering="rows_loaded")
    def loaded(self, obj: ImportBatch) -> str:
        return formats.number(obj.rows_loaded)

    @admin.display(description=_("rows rejected"), ordering="rows_rejected")
    def rejected(self, obj: ImportBatch) -> str:
        return formats.number(obj.rows_rejected)

    @admin.display(description=_("months"))
    def months_shown(self, obj: ImportBatch) -> str:
        return ", ".join(obj.months or []) or "–"

    @admin.display(description=_("error report"))
    def error_report(self, obj: ImportBatch) -> str:
        if not obj.pk or not obj.rows_rejected:
            return "–"
        return format_html(
            '<a href="{}">CSV</a> · <a href="{}">XLSX</a>',
            reverse("imports:errors", args=[obj.pk, "csv"]),
            reverse("imports:errors", args=[obj.pk, "xlsx"]),
        )

    @admin.action(description=_("Re-run the selected failed or stuck batches"), permissions=["change"])
    def requeue(self, request: HttpRequest, queryset):
        for batch in queryset:
            try:
                import_batch_requeue(batch_id=batch.pk, user=request.user)
                self.message_user(request, _("Batch #%(id)s queued again.") % {"id": batch.pk})
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), level=messages.ERROR)

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="imports_importbatch_upload"),
            *super().get_urls(),
        ]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("imports.add_importbatch"):
            raise PermissionDenied
        from imports.batch_views import upload_submit

        # The same submission as the site's upload page, which shows the batch afterwards.
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST":
            done = upload_submit(request, form)
            if done is not None:
                return done
        batch_id = request.GET.get("batch")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Upload case log"),
            "form": form,
            "batch": ImportBatch.objects.filter(pk=batch_id).first() if batch_id and batch_id.isdigit() else None,
            "opts": self.model._meta,
            "month_counts": month_counts_by_source(),
        }
        return TemplateResponse(request, "admin/imports/importbatch/upload.html", context)
