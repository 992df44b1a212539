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


class AdministrationHourCost(models.Model):
    """What an administration states one hour of its case officers' time costs, in a budget year:
    the price of the time a transfer relieves (allocation.transfers.benefit). Entered by finance
    staff, audited; one per administration and year."""

    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, related_name="hour_costs", verbose_name=_("administration")
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000)])
    cost_per_hour = models.DecimalField(
        _("cost per case-officer hour"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    comment = models.TextField(_("comment"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-year", "administration__code"]
        verbose_name = _("case-officer hour cost")
        verbose_name_plural = _("case-officer hour costs")
        constraints = [
            models.UniqueConstraint(fields=["administration", "year"], name="one_hour_cost_per_administration_year"),
            models.CheckConstraint(condition=models.Q(cost_per_hour__gte=0), name="hour_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.administration_id} {self.year}: {self.cost_per_hour}"
