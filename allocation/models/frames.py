"""Frame adjustment (ramjustering, issue 31 part 4): instead of internal charges, the contact
centre's budget frame grows by the net cost and each administration's frame shrinks by its part.
Never posted to the ledger; a record of what was decided to move, never edited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from allocation.models.keys import AllocationKey
from allocation.models.runs import CostPool
from cases import formats
from cases.models import Administration


class FrameAdjustment(models.Model):
    """A frame-adjustment run of a year's co-financing pool by its approved key."""

    year = models.PositiveIntegerField(_("budget year"))
    pool = models.ForeignKey(CostPool, on_delete=models.PROTECT, related_name="frame_adjustments")
    key = models.ForeignKey(AllocationKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    net_amount = models.DecimalField(_("net amount"), max_digits=16, decimal_places=2)
    inputs = models.JSONField(_("inputs"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("frame adjustment")
        verbose_name_plural = _("frame adjustments")

    def __str__(self) -> str:
        return f"#{self.pk} {self.year} {formats.kronor(self.net_amount)}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and FrameAdjustment.objects.filter(pk=self.pk).exists():
            raise ValidationError(_("A frame adjustment is never changed; make a new one."))
        super().save(*args, **kwargs)


class FrameChange(models.Model):
    """One frame's change: negative for an administration (its frame shrinks by its part), positive
    for the contact centre (administration empty). The changes of an adjustment add up to zero."""

    adjustment = models.ForeignKey(FrameAdjustment, on_delete=models.CASCADE, related_name="changes")
    administration = models.ForeignKey(Administration, on_delete=models.PROTECT, null=True, blank=True)
    change = models.DecimalField(_("change"), max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["adjustment", "administration__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["adjustment", "administration"], name="frame_change_once", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"{self.administration_id or '-'}: {formats.kronor(self.change)}"
