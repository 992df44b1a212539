"""Monthly publications (versions, their files), publication requests and the publication schedule."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Administration


class Publication(models.Model):
    """One published version of a month's statistics: figures, charts and workbooks, never edited.

    Republishing after a correction creates the next version, marked as a revision; earlier
    versions stay reachable.
    """

    month = models.DateField(_("month"))
    version = models.PositiveIntegerField(_("version"))
    figures = models.JSONField(_("figures"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("published by")
    )
    created_at = models.DateTimeField(_("published at"), auto_now_add=True)

    class Meta:
        ordering = ["-month", "-version"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        constraints = [
            models.UniqueConstraint(fields=["month", "version"], name="one_publication_version"),
            models.CheckConstraint(condition=Q(month__day=1), name="publication_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} v{self.version}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and Publication.objects.filter(pk=self.pk).exists():
            raise ValidationError(_("A publication is never changed; publish a new version."))
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_revision(self) -> bool:
        return self.version > 1


class PublicationFile(models.Model):
    """A chart (SVG) or workbook (XLSX) of a publication; administration empty = municipality."""

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="files")
    administration = models.ForeignKey(Administration, on_delete=models.PROTECT, null=True, blank=True)
    name = models.CharField(_("name"), max_length=100)
    file = models.FileField(_("file"), upload_to="publications/")
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("publication file")
        verbose_name_plural = _("publication files")
        constraints = [models.UniqueConstraint(fields=["publication", "name"], name="publication_file_name_once")]

    def __str__(self) -> str:
        return f"{self.publication} {self.name}"


class PublicationRequest(models.Model):
    """A month asked to be published, kept until it is: the schedule, a corrected import or a
    finance officer asks; a worker publishes it. The request and the publication it produced are
    committed together, so a request is published exactly once however often its message is
    delivered, and a request whose message was lost or whose worker died is found by the sweeper.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("publishing")
        DONE = "done", _("published")
        FAILED = "failed", _("failed")

    month = models.DateField(_("month"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    message = models.TextField(_("message"), blank=True)
    publication = models.OneToOneField(
        Publication,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="request",
        verbose_name=_("publication"),
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("publication request")
        verbose_name_plural = _("publication requests")
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="publication_request_month_first_day"),
            models.CheckConstraint(
                condition=Q(status="done", publication__isnull=False)
                | (~Q(status="done") & Q(publication__isnull=True)),
                name="publication_request_done_iff_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} ({self.get_status_display()})"


class PublicationSchedule(models.Model):
    """When celery beat publishes the previous month: on the Nth working day (Mon–Fri) of a month."""

    working_day = models.PositiveSmallIntegerField(
        _("working day of the month"), default=3, help_text=_("1 = the first weekday of the month")
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("publication schedule")
        verbose_name_plural = _("publication schedule")
        constraints = [
            models.CheckConstraint(condition=Q(working_day__gte=1) & Q(working_day__lte=23), name="working_day_1_23")
        ]

    def __str__(self) -> str:
        return f"{self.working_day}"
