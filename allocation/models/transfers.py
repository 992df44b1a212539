"""The transfer register: which groupings moved from an administration to the contact centre, when,
in which priority wave of the decision, and what a case cost the administration before the move."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Administration, Grouping


class GroupingTransfer(models.Model):
    """One grouping moved (or planned to move) to the contact centre.

    The decision moves groupings step by step, in a set priority order ("waves"). A transfer dated
    after today is planned: the forecast adds its expected volume, benefit realisation starts on
    the date. `minutes_before` is the administration's own handling time per case before the
    move; empty means the measured handle time is used.
    """

    grouping = models.ForeignKey(
        Grouping, on_delete=models.PROTECT, related_name="transfers", verbose_name=_("grouping")
    )
    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, related_name="transfers", verbose_name=_("administration")
    )
    wave = models.PositiveSmallIntegerField(_("wave"), validators=[MinValueValidator(1)])
    transferred_on = models.DateField(_("transferred on"))
    minutes_before = models.DecimalField(
        _("minutes per case before the transfer"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    expected_cases_per_year = models.PositiveIntegerField(_("expected cases per year"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["wave", "transferred_on", "grouping__code"]
        verbose_name = _("grouping transfer")
        verbose_name_plural = _("grouping transfers")
        constraints = [
            models.UniqueConstraint(fields=["grouping"], name="one_transfer_per_grouping"),
        ]

    def __str__(self) -> str:
        return f"{self.grouping.code} ({self.transferred_on:%Y-%m-%d})"
