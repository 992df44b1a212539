"""Central funding as records (issue 31, part 3): the sources that fund parts of the contact
centre apart from the co-financing (the citizen office, the switchboard, the start-up grant …)
with their amounts per year and planned phase-out, and the switchboard's extension register
imported each year from the telephony system's list."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allocation.models.keys import AllocationKey
from cases import formats
from cases.models import Administration


class FundingSource(models.Model):
    """One source of central funding. Its yearly amounts are the register a pool's funding lines
    are filled from; `last_year` is the planned phase-out (no amount after it is accepted)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    last_year = models.PositiveIntegerField(_("last year with funding"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("funding source")
        verbose_name_plural = _("funding sources")

    def __str__(self) -> str:
        return self.name


class FundingSourceAmount(models.Model):
    """What a source funds in one budget year."""

    source = models.ForeignKey(FundingSource, on_delete=models.CASCADE, related_name="amounts")
    year = models.PositiveIntegerField(_("budget year"))
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["source__name", "year"]
        verbose_name = _("funding amount")
        verbose_name_plural = _("funding amounts")
        constraints = [
            models.UniqueConstraint(fields=["source", "year"], name="funding_amount_once_per_year"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="funding_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.year}: {formats.kronor(self.amount)}"


class ExtensionRegister(models.Model):
    """The year's list of phone extensions from the telephony system; a new import for the year
    replaces it. Its counts per administration become a draft driver key (`key`)."""

    year = models.PositiveIntegerField(_("year"), unique=True)
    filename = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(max_length=64)
    key = models.ForeignKey(
        AllocationKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("key")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("extension register")
        verbose_name_plural = _("extension registers")

    def __str__(self) -> str:
        return f"{self.year} ({self.filename})"


class Extension(models.Model):
    """One phone extension and the administration it belongs to."""

    register = models.ForeignKey(ExtensionRegister, on_delete=models.CASCADE, related_name="extensions")
    administration = models.ForeignKey(Administration, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("extension"), max_length=32)

    class Meta:
        ordering = ["register", "number"]
        constraints = [models.UniqueConstraint(fields=["register", "number"], name="extension_once_per_register")]

    def __str__(self) -> str:
        return self.number
