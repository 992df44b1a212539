"""Cost pools with their funding lines, and allocation runs with their amounts (a charging run's
rows are immutable)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allocation.models.keys import AllocationKey, refuse
from cases import formats
from cases.models import Administration


class AllocationRunQuerySet(models.QuerySet):
    """A charging run is never updated or deleted (it is what was charged)."""

    def update(self, **kwargs: Any) -> int:
        if self.filter(is_charging=True).exists():
            refuse(str(_("A charging run is never changed; make a new run.")))
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(is_charging=True).exists():
            refuse(str(_("A charging run is never deleted.")))
        return super().delete()


class RunAmountQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        if self.filter(run__is_charging=True).exists():
            refuse(str(_("A charging run is never changed; make a new run.")))
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(run__is_charging=True).exists():
            refuse(str(_("A charging run is never deleted.")))
        return super().delete()


class CostPool(models.Model):
    """An amount for a budget year, distributed by one key, net of central funding."""

    class Unit(models.TextChoices):
        ORE = "ore", _("öre")
        KRONA = "krona", _("whole kronor")

    name = models.CharField(_("name"), max_length=200)
    year = models.PositiveIntegerField(_("budget year"))
    gross_amount = models.DecimalField(_("gross cost"), max_digits=16, decimal_places=2)
    key = models.ForeignKey(
        AllocationKey, on_delete=models.PROTECT, null=True, blank=True, related_name="pools", verbose_name=_("key")
    )
    unit = models.CharField(_("rounding unit"), max_length=10, choices=Unit.choices, default=Unit.ORE)
    # The year's co-financing pool (medfinansieringen): its approved key is the one the monthly
    # statistics, the drift and the robustness checks compare measured shares with.
    is_co_financing = models.BooleanField(_("co-financing pool"), default=False)

    class Pricing(models.TextChoices):
        KEY = "key", _("shared by the key")
        PER_MINUTE = "per_minute", _("price per measured minute")
        PER_CASE = "per_case", _("price per measured case")

    # The "buy and sell" model the decision weighed against a fixed key: each administration pays
    # a price × its measured minutes (or cases) of the month; what the prices do not recover is
    # the centre's surplus or deficit, shown on the run, never spread.
    pricing = models.CharField(_("charging"), max_length=20, choices=Pricing.choices, default=Pricing.KEY)
    price = models.DecimalField(_("price (kr)"), max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("cost pool")
        verbose_name_plural = _("cost pools")
        constraints = [
            models.UniqueConstraint(fields=["name", "year"], name="pool_name_per_year"),
            models.UniqueConstraint(
                fields=["year"], condition=Q(is_co_financing=True), name="one_co_financing_pool_per_year"
            ),
            models.CheckConstraint(condition=Q(gross_amount__gte=0), name="pool_gross_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.year}"


class FundingLine(models.Model):
    """Central funding deducted from a pool (citizen office, switchboard, start-up grant …)."""

    pool = models.ForeignKey(CostPool, on_delete=models.CASCADE, related_name="funding_lines")
    # The register's source (allocation.funding); the label keeps the name the line was made with.
    # Every service links it; empty only for a line written around the services.
    source = models.ForeignKey(
        "allocation.FundingSource",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lines",
        verbose_name=_("funding source"),
    )
    label = models.CharField(_("label"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("central funding line")
        verbose_name_plural = _("central funding lines")
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="funding_not_negative")]

    def __str__(self) -> str:
        return f"{self.label}: {formats.kronor(self.amount)}"


class AllocationRun(models.Model):
    """The amounts one key gives each administration for a year and its months. Never edited.

    A run of a pool is a charging run (debiterat): made only with the pool's approved key. A run
    of a bare amount is a simulation: any key, never charged, posted or shown as charged.
    """

    key = models.ForeignKey(
        AllocationKey, on_delete=models.PROTECT, null=True, blank=True, related_name="runs", verbose_name=_("key")
    )  # empty for a price-based pool's run
    pool = models.ForeignKey(
        CostPool, on_delete=models.PROTECT, null=True, blank=True, related_name="runs", verbose_name=_("pool")
    )
    net_amount = models.DecimalField(_("net amount"), max_digits=16, decimal_places=2)
    unit = models.CharField(_("rounding unit"), max_length=10, choices=CostPool.Unit.choices)
    inputs = models.JSONField(_("inputs"), default=dict)
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("supersedes")
    )
    # PROTECT: a run's row never changes, not even when a user is deleted.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    is_charging = models.BooleanField(_("charging run"), default=False)

    objects = AllocationRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("allocation run")
        verbose_name_plural = _("allocation runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_charging=False) | Q(pool__isnull=False), name="charging_run_has_pool"
            ),
        ]

    def __str__(self) -> str:
        kind = _("charging") if self.is_charging else _("simulation")
        return f"#{self.pk} {formats.kronor(self.net_amount)} ({kind})"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and AllocationRun.objects.filter(pk=self.pk).exists():
            raise ValidationError(_("An allocation run is never changed; make a new run."))
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.is_charging:
            raise ValidationError(_("A charging run is never deleted."))
        return super().delete(*args, **kwargs)


class RunAmount(models.Model):
    """One administration's amount in a run: the year (month null) or one month."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="amounts")
    administration = models.ForeignKey(Administration, on_delete=models.PROTECT, verbose_name=_("administration"))
    month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)

    objects = RunAmountQuerySet.as_manager()

    class Meta:
        ordering = ["run", "administration__code", "month"]
        verbose_name = _("run amount")
        verbose_name_plural = _("run amounts")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "administration", "month"], name="run_amount_once", nulls_distinct=False
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="run_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(month__isnull=True) | (Q(month__gte=1) & Q(month__lte=12)), name="run_month_1_12"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.administration_id} {self.month or _('year')}: {formats.kronor(self.amount)}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and AllocationRun.objects.filter(pk=self.run_id, is_charging=True).exists():
            raise ValidationError(_("A charging run is never changed; make a new run."))
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class RunSeal(models.Model):
    """Written as the last step of making a run, in the same transaction: once a run is sealed,
    the database refuses any amount inserted into it (migration 0014's triggers), so a run's
    amounts are exactly those it was made with."""

    run = models.OneToOneField(AllocationRun, on_delete=models.CASCADE, primary_key=True, related_name="seal")
    sealed_at = models.DateTimeField(_("sealed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("run seal")
        verbose_name_plural = _("run seals")

    def __str__(self) -> str:
        return f"#{self.run_id}"


class PoolPrice(models.Model):
    """A price of a price-based pool, decided like a key (DESIGN §4): finance staff propose it, another
    person of the steering group approves it; a charging run uses the pool's approved price. Approved
    prices never change (superseded by a newer approved one), so a run's price stays what it used."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        SUPERSEDED = "superseded", _("superseded")

    pool = models.ForeignKey(CostPool, on_delete=models.PROTECT, related_name="prices", verbose_name=_("pool"))
    pricing = models.CharField(_("charging"), max_length=20, choices=CostPool.Pricing.choices)
    price = models.DecimalField(_("price (kr)"), max_digits=10, decimal_places=2)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("pool price")
        verbose_name_plural = _("pool prices")
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="pool_price_positive"),
            models.UniqueConstraint(
                fields=["pool"], condition=Q(status="approved"), name="one_approved_price_per_pool"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pool}: {formats.kronor(self.price)} ({self.get_status_display()})"


class PriceDecision(models.Model):
    """One step of a price's review, like KeyDecision."""

    price = models.ForeignKey(PoolPrice, on_delete=models.PROTECT, related_name="decisions")
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor = models.CharField(max_length=150)
    os_account = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["price", "at", "id"]

    def __str__(self) -> str:
        return f"#{self.price_id} {self.to_status} ({self.actor})"
