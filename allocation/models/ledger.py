"""From shares to the ledger: the posting profile, exported vouchers, the centre's monthly cost,
and settlements with their lines and decisions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allocation.models.keys import refuse
from allocation.models.runs import AllocationRun, CostPool
from cases import formats
from cases.ledger_fields import account_format, cost_centre_format, no_control_characters, series_format
from cases.models import Administration


class PostingProfile(models.Model):
    """How charging runs become vouchers in the municipality's ledger (one row)."""

    organisation = models.CharField(
        _("organisation"), max_length=200, default="Kommunen", validators=[no_control_characters]
    )
    charge_account = models.CharField(
        _("charge account"),
        max_length=20,
        help_text=_("Debited on each administration, e.g. 7691"),
        validators=[account_format],
    )
    charge_account_name = models.CharField(
        _("charge account name"),
        max_length=100,
        default="Interna köp, kontaktcenter",
        validators=[no_control_characters],
    )
    credit_account = models.CharField(
        _("credit account"),
        max_length=20,
        help_text=_("Credited on the contact centre, e.g. 3691"),
        validators=[account_format],
    )
    credit_account_name = models.CharField(
        _("credit account name"),
        max_length=100,
        default="Interna intäkter, kontaktcenter",
        validators=[no_control_characters],
    )
    centre_cost_centre = models.CharField(
        _("contact centre's cost centre"), max_length=40, validators=[cost_centre_format]
    )
    series = models.CharField(_("voucher series"), max_length=10, default="I", validators=[series_format])
    text = models.CharField(
        _("voucher text"), max_length=100, default="Medfinansiering kontaktcenter", validators=[no_control_characters]
    )
    per_month = models.BooleanField(
        _("one voucher per month"), default=True, help_text=_("Otherwise one for the year.")
    )
    project = models.CharField(_("project (optional)"), max_length=40, blank=True, validators=[cost_centre_format])
    activity = models.CharField(_("activity (optional)"), max_length=40, blank=True, validators=[cost_centre_format])

    class Meta:
        verbose_name = _("posting profile")
        verbose_name_plural = _("posting profile")

    def __str__(self) -> str:
        return f"{self.charge_account} / {self.credit_account}"


class PostingExport(models.Model):
    """A charging run's vouchers handed to the ledger: the run is then charged there, and a run
    that supersedes it exports only the differences (correction vouchers)."""

    run = models.ForeignKey(AllocationRun, on_delete=models.PROTECT, related_name="posting_exports")
    format = models.CharField(_("format"), max_length=10)
    month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    corrects = models.ForeignKey(
        AllocationRun, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("corrects")
    )
    sha256 = models.CharField(max_length=64)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("exported by")
    )
    exported_at = models.DateTimeField(_("exported at"), auto_now_add=True)

    class Meta:
        ordering = ["-exported_at"]
        verbose_name = _("posting export")
        verbose_name_plural = _("posting exports")

    def __str__(self) -> str:
        return f"#{self.run_id} {self.format} {self.exported_at:%Y-%m-%d}"


class Posting(models.Model):
    """One explicit transfer to the ledger ("Överför till redovisningen"): the file handed over and
    its journal lines. Never changed or deleted (triggers, migration 0014); what a later transfer
    posts is what the newest charging run (or an approved settlement) says minus these lines."""

    pool = models.ForeignKey(CostPool, on_delete=models.PROTECT, related_name="postings", verbose_name=_("pool"))
    run = models.ForeignKey(
        AllocationRun, on_delete=models.PROTECT, null=True, blank=True, related_name="postings", verbose_name=_("run")
    )
    settlement = models.ForeignKey(
        "allocation.Settlement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="postings",
        verbose_name=_("settlement"),
    )
    format = models.CharField(_("format"), max_length=10)
    month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    vouchers = models.PositiveIntegerField(_("vouchers"))
    content = models.BinaryField(_("file"))
    sha256 = models.CharField(max_length=64)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("posted by")
    )
    actor = models.CharField(_("by"), max_length=150)
    posted_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    class Meta:
        ordering = ["-posted_at", "-id"]
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        constraints = [
            models.CheckConstraint(
                condition=Q(run__isnull=False, settlement__isnull=True) | Q(run__isnull=True, settlement__isnull=False),
                name="posting_of_a_run_or_a_settlement",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.pool} {self.posted_at:%Y-%m-%d}"


class JournalLine(models.Model):
    """One line handed to the ledger: the journal of what was posted, per month, account and cost
    centre. Charge lines sum, per pool, month and cost centre, to the newest charging run."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("charge")
        SETTLEMENT = "settlement", _("settlement")

    posting = models.ForeignKey(Posting, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    voucher = models.PositiveIntegerField(_("voucher"))
    month = models.PositiveSmallIntegerField(_("month"))
    account = models.CharField(_("account"), max_length=20)
    cost_centre = models.CharField(_("cost centre"), max_length=40)
    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("administration")
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["posting", "voucher", "id"]
        verbose_name = _("journal line")
        verbose_name_plural = _("journal lines")
        constraints = [
            models.CheckConstraint(condition=Q(month__gte=1) & Q(month__lte=12), name="journal_month_1_12"),
        ]

    def __str__(self) -> str:
        return f"{self.month:02d} {self.account} {self.cost_centre}: {formats.kronor(self.amount)}"


class CentreCost(models.Model):
    """The contact centre's cost and capacity in one month, entered by finance staff, for what a
    case and a minute cost (allocation.ledger.capacity)."""

    month = models.DateField(_("month"), unique=True)
    staff = models.DecimalField(_("staff (full-time)"), max_digits=7, decimal_places=2)
    hours_per_person = models.DecimalField(
        _("hours per person and month"), max_digits=6, decimal_places=2, default=Decimal(165)
    )
    utilisation = models.DecimalField(_("utilisation"), max_digits=5, decimal_places=4, default=Decimal("0.67"))
    staff_cost = models.DecimalField(_("staff cost"), max_digits=14, decimal_places=2)
    recruitment = models.DecimalField(_("recruitment"), max_digits=14, decimal_places=2, default=Decimal(0))
    training = models.DecimalField(_("training"), max_digits=14, decimal_places=2, default=Decimal(0))
    overhead = models.DecimalField(_("overhead"), max_digits=14, decimal_places=2, default=Decimal(0))
    price_per_minute = models.DecimalField(
        _("price per minute if bought"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    price_per_case = models.DecimalField(
        _("price per case if bought"), max_digits=10, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["-month"]
        verbose_name = _("contact centre cost")
        verbose_name_plural = _("contact centre costs")
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="centre_cost_month_first_day"),
            models.CheckConstraint(condition=Q(utilisation__gt=0) & Q(utilisation__lte=1), name="utilisation_0_1"),
            models.CheckConstraint(condition=Q(staff__gt=0) & Q(hours_per_person__gt=0), name="capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def total(self) -> Decimal:
        return self.staff_cost + self.recruitment + self.training + self.overhead


class SettlementQuerySet(models.QuerySet):
    """An approved settlement never changes."""

    def update(self, **kwargs: Any) -> int:
        if self.filter(status="approved").exists():
            refuse(str(_("An approved settlement cannot be changed.")))
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(status="approved").exists():
            refuse(str(_("An approved settlement cannot be deleted.")))
        return super().delete()


class Settlement(models.Model):
    """Year-end settlement (avräkning) of a co-financing pool: what each administration was
    charged against what the year's measured volume says, settled so the lines add up to zero."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PROPOSED = "proposed", _("proposed")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    pool = models.ForeignKey(CostPool, on_delete=models.PROTECT, related_name="settlements", verbose_name=_("pool"))
    run = models.ForeignKey(AllocationRun, on_delete=models.PROTECT, related_name="+", verbose_name=_("charging run"))
    tolerance_pp = models.DecimalField(_("tolerance (percentage points)"), max_digits=5, decimal_places=2, default=0)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    inputs = models.JSONField(_("inputs"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = SettlementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        constraints = [
            # One settlement a pool and year (DESIGN §4): a rejected or draft one does not count.
            models.UniqueConstraint(
                fields=["pool"], condition=Q(status__in=["proposed", "approved"]), name="one_open_settlement_per_pool"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.pool} ({self.get_status_display()})"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and Settlement.objects.filter(pk=self.pk, status="approved").exists():
            raise ValidationError(_("An approved settlement cannot be changed."))
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class SettlementLine(models.Model):
    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="lines")
    administration = models.ForeignKey(Administration, on_delete=models.PROTECT)
    charged = models.DecimalField(_("charged"), max_digits=16, decimal_places=2)
    measured = models.DecimalField(_("by measured volume"), max_digits=16, decimal_places=2)
    key_percent = models.DecimalField(_("share in the key (%)"), max_digits=7, decimal_places=2)
    measured_percent = models.DecimalField(_("measured share (%)"), max_digits=7, decimal_places=2)
    amount = models.DecimalField(_("settlement"), max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["settlement", "administration__code"]
        constraints = [models.UniqueConstraint(fields=["settlement", "administration"], name="settlement_line_once")]

    def __str__(self) -> str:
        return f"{self.administration_id}: {self.amount}"


class SettlementDecision(models.Model):
    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="decisions")
    from_status = models.CharField(_("from"), max_length=20, choices=Settlement.Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=Settlement.Status.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor = models.CharField(max_length=150)
    os_account = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["settlement", "at", "id"]

    def __str__(self) -> str:
        return f"#{self.settlement_id} {self.to_status} ({self.actor})"
