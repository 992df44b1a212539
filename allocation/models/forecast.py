"""The forecast's one stored input: how much of a grouping's contacts finance staff expect to
move to self-service in a year. The forecast itself is never stored: it is made when read."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Grouping


class DigitalisationAssumption(models.Model):
    """A percentage of a grouping's contacts expected to move to self-service in a year; the
    forecast takes it off every month of that year. Entered by finance staff, audited."""

    grouping = models.ForeignKey(
        Grouping, on_delete=models.PROTECT, related_name="digitalisation_assumptions", verbose_name=_("grouping")
    )
    year = models.PositiveIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    percent = models.DecimalField(
        _("share moving to self-service (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    comment = models.TextField(_("comment"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("entered by")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-year", "grouping__code"]
        verbose_name = _("digitalisation assumption")
        verbose_name_plural = _("digitalisation assumptions")
        constraints = [
            models.UniqueConstraint(fields=["grouping", "year"], name="one_digitalisation_assumption_per_year"),
            models.CheckConstraint(
                condition=models.Q(percent__gte=0, percent__lte=100), name="digitalisation_percent_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grouping.code} {self.year}: {self.percent} %"
