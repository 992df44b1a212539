"""Import batches: one uploaded file each, kept with its sha256 for the record."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import DataSource


class ImportBatch(models.Model):
    """One uploaded file and what became of it. The status row is the task's claim ticket."""

    class Kind(models.TextChoices):
        CASES = "cases", _("case log")
        AGGREGATED = "aggregated", _("aggregated statistics")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        PROCESSING = "processing", _("processing")
        LOADED = "loaded", _("loaded")
        SUPERSEDED = "superseded", _("replaced by a later upload")
        REJECTED = "rejected", _("rejected")
        FAILED = "failed", _("failed")

    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, verbose_name=_("source"))
    kind = models.CharField(_("format"), max_length=20, choices=Kind.choices, default=Kind.CASES)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    size_bytes = models.BigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    declared_month = models.DateField(_("declared month"), null=True, blank=True)
    load_valid_rows = models.BooleanField(_("load the valid rows and set the rest aside"), default=False)
    # The uploader confirmed that this file may replace a loaded month even though the month's
    # case count changes by more than 20 % or its case ids belong to another source.
    replace_confirmed = models.BooleanField(_("replacement confirmed"), default=False)
    # The uploader's interface language: the batch's messages and row reasons are written in it,
    # also by a worker (empty: the site's language).
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    needs_confirmation = models.BooleanField(_("waiting for a confirmed replacement"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows_read = models.IntegerField(_("rows read"), default=0)
    rows_loaded = models.IntegerField(_("rows loaded"), default=0)
    rows_rejected = models.IntegerField(_("rows rejected"), default=0)
    rows_skipped = models.IntegerField(_("rows skipped by the profile"), default=0)
    # Which rows the profile skipped, by the file's header and value: {"outcome=PHANTOM": 278}.
    skipped = models.JSONField(_("skipped rows"), default=dict, blank=True)
    months = models.JSONField(_("months covered"), default=list, blank=True)
    # Cases loaded per month ({"2026-03": 9416}): a month's confirmed count is the count its
    # first load or its last confirmed load brought (imports.outcomes, the 20 % rule).
    month_counts = models.JSONField(_("cases per month"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    superseded_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("replaced by")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        constraints = [
            # The same bytes can be live only once per source; a rejected file may be retried.
            models.UniqueConstraint(
                fields=["source", "sha256"],
                condition=Q(status__in=["pending", "processing", "loaded"]),
                name="batch_same_file_once_per_source",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="batch_progress_percent"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"


class ImportRowError(models.Model):
    """One reason a row was refused: row number, column, value and a Swedish explanation."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="errors")
    row_number = models.IntegerField(_("row"))
    column = models.CharField(_("column"), max_length=100, blank=True)
    value = models.CharField(_("value"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=500)

    class Meta:
        ordering = ["batch", "row_number", "id"]
        verbose_name = _("row error")
        verbose_name_plural = _("row errors")

    def __str__(self) -> str:
        return str(
            _("row %(row)s %(column)s: %(reason)s")
            % {"row": self.row_number, "column": self.column, "reason": self.reason}
        )

    @property
    def column_label(self) -> str:
        """The column's name in the reader's language (the file's own name is `column`)."""
        from imports.parsing import COLUMN_LABELS

        return str(COLUMN_LABELS.get(self.column, self.column))


class StagedCase(models.Model):
    """Validated rows of a batch on their way in; emptied when the batch finishes.

    Unlogged on PostgreSQL and without secondary indexes, so COPY into it runs at disk speed.
    """

    batch_id = models.BigIntegerField()
    row_no = models.IntegerField()
    case_id = models.CharField(max_length=100)
    opened_at = models.CharField(max_length=40)
    month = models.DateField()
    channel_id = models.BigIntegerField()
    grouping_id = models.BigIntegerField()
    handle_seconds = models.IntegerField(null=True)
    wait_seconds = models.IntegerField(null=True)
    resolved_first_contact = models.BooleanField(null=True)
    forwarded_to_id = models.BigIntegerField(null=True)
    outcome = models.CharField(max_length=10, null=True)

    class Meta:
        verbose_name = _("staged case")
        verbose_name_plural = _("staged cases")

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_no}"
