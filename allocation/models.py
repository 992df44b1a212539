"""Allocation keys, cost pools and allocation runs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases import formats
from cases.models import Administration, Grouping, GroupingMapVersion

_FROZEN_KEY = ("approved", "superseded")


def _refuse(message: str) -> None:
    raise ValidationError(message)


class AllocationKeyQuerySet(models.QuerySet):
    """An approved (or superseded) key cannot be changed or deleted through the ORM on any
    database; the one change allowed is an approved key being marked superseded. On PostgreSQL
    and SQLite triggers refuse the same below the ORM (migrations 0002 and 0007)."""

    def update(self, **kwargs: Any) -> int:
        if kwargs == {"status": "superseded"}:
            if self.exclude(status="approved").exists():
                _refuse(str(_("Only an approved key can be marked superseded.")))
        elif self.filter(status__in=_FROZEN_KEY).exists():
            _refuse(str(_("An approved key cannot be changed. Create a new key instead.")))
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(status__in=_FROZEN_KEY).exists():
            _refuse(str(_("An approved key cannot be deleted.")))
        return super().delete()


class FrozenByKeyQuerySet(models.QuerySet):
    """Shares and load lines of an approved or superseded key: never updated or deleted."""

    def update(self, **kwargs: Any) -> int:
        if self.filter(key__status__in=_FROZEN_KEY).exists():
            _refuse(str(_("The shares of an approved key cannot be changed.")))
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(key__status__in=_FROZEN_KEY).exists():
            _refuse(str(_("The shares of an approved key cannot be changed.")))
        return super().delete()


class AllocationRunQuerySet(models.QuerySet):
    """A charging run is never updated or deleted (it is what was charged)."""

    def update(self, **kwargs: Any) -> int:
        if self.filter(is_charging=True).exists():
            _refuse(str(_("A charging run is never changed; make a new run.")))
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(is_charging=True).exists():
            _refuse(str(_("A charging run is never deleted.")))
        return super().delete()


class RunAmountQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        if self.filter(run__is_charging=True).exists():
            _refuse(str(_("A charging run is never changed; make a new run.")))
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(run__is_charging=True).exists():
            _refuse(str(_("A charging run is never deleted.")))
        return super().delete()


class AllocationKey(models.Model):
    """Each administration's share, with everything needed to reproduce it.

    Approved keys never change: save() refuses, and on PostgreSQL a trigger refuses too.
    """

    class Kind(models.TextChoices):
        MEASURED = "measured", _("measured")
        DRIVER = "driver", _("driver")
        FIXED = "fixed", _("fixed percentages")

    class Basis(models.TextChoices):
        CASES = "cases", _("cases")
        MINUTES = "minutes", _("handle time")
        WEIGHTED = "weighted", _("channel-weighted cases")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PROPOSED = "proposed", _("proposed")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        SUPERSEDED = "superseded", _("superseded")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MEASURED)
    basis = models.CharField(_("basis"), max_length=20, choices=Basis.choices, blank=True)
    window_from = models.DateField(_("window from"), null=True, blank=True)
    window_to = models.DateField(_("window to"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"))
    map_version = models.ForeignKey(
        GroupingMapVersion, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("grouping map")
    )
    sources = models.JSONField(_("sources"), default=list, blank=True)
    channel_weights = models.JSONField(_("channel weights"), default=dict, blank=True)
    central_load = models.DecimalField(_("central load"), max_digits=30, decimal_places=10, default=Decimal(0))
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    # Leave-one-month-out shares and unusual months (allocation.robustness), stored with the key.
    # Nullable without a default so that SQLite adds the columns in place (its table rebuild
    # would drop the immutability triggers).
    robustness = models.JSONField(_("robustness"), null=True, blank=True)
    excluded_months = models.JSONField(_("months left out"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    comment = models.TextField(_("comment"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = AllocationKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("allocation key")
        verbose_name_plural = _("allocation keys")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="measured") | (Q(window_from__isnull=False) & Q(window_to__isnull=False)),
                name="measured_key_has_window",
            ),
            models.CheckConstraint(
                condition=Q(window_from__isnull=True) | Q(window_to__gte=models.F("window_from")),
                name="key_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name} ({self.get_status_display()})"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            stored = AllocationKey.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored in _FROZEN_KEY:
                raise ValidationError(_("An approved key cannot be changed. Create a new key instead."))
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if AllocationKey.objects.filter(pk=self.pk, status__in=_FROZEN_KEY).exists():
            raise ValidationError(_("An approved key cannot be deleted."))
        return super().delete(*args, **kwargs)


class KeyDecision(models.Model):
    """One step of a key's review (proposed, approved, rejected), kept as its own record: a
    later decision never overwrites who proposed the key or what they wrote."""

    key = models.ForeignKey(AllocationKey, on_delete=models.PROTECT, related_name="decisions")
    from_status = models.CharField(_("from"), max_length=20, choices=AllocationKey.Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=AllocationKey.Status.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("by")
    )
    actor = models.CharField(_("by (name)"), max_length=150)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["key", "at", "id"]
        verbose_name = _("key decision")
        verbose_name_plural = _("key decisions")

    def __str__(self) -> str:
        return f"#{self.key_id} {self.from_status} → {self.to_status} ({self.actor})"


class KeyShare(models.Model):
    """One administration's load and share in a key."""

    key = models.ForeignKey(AllocationKey, on_delete=models.CASCADE, related_name="shares")
    administration = models.ForeignKey(Administration, on_delete=models.PROTECT, verbose_name=_("administration"))
    load = models.DecimalField(_("load"), max_digits=30, decimal_places=10)
    share = models.DecimalField(_("share"), max_digits=15, decimal_places=12)

    objects = FrozenByKeyQuerySet.as_manager()

    class Meta:
        ordering = ["key", "administration__code"]
        verbose_name = _("key share")
        verbose_name_plural = _("key shares")
        constraints = [
            models.UniqueConstraint(fields=["key", "administration"], name="one_share_per_admin"),
            models.CheckConstraint(condition=Q(load__gte=0) & Q(share__gte=0) & Q(share__lte=1), name="share_in_0_1"),
        ]

    def __str__(self) -> str:
        return f"{self.administration_id}: {formats.decimal(self.share)}"

    def save(self, *args: object, **kwargs: object) -> None:
        if AllocationKey.objects.filter(pk=self.key_id, status__in=_FROZEN_KEY).exists():
            raise ValidationError(_("The shares of an approved key cannot be changed."))
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class KeyLoadLine(models.Model):
    """Why an administration got its share: the load of each grouping and channel."""

    key = models.ForeignKey(AllocationKey, on_delete=models.CASCADE, related_name="lines")
    grouping = models.ForeignKey(Grouping, on_delete=models.PROTECT)
    channel = models.CharField(max_length=20)
    administration = models.ForeignKey(Administration, on_delete=models.PROTECT, null=True, blank=True)
    cases = models.DecimalField(max_digits=20, decimal_places=6)
    load = models.DecimalField(max_digits=30, decimal_places=10)

    objects = FrozenByKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("key load line")
        verbose_name_plural = _("key load lines")

    def __str__(self) -> str:
        return f"{self.grouping_id}/{self.channel} → {self.administration_id}: {formats.decimal(self.load)}"

    def save(self, *args: object, **kwargs: object) -> None:
        if AllocationKey.objects.filter(pk=self.key_id, status__in=_FROZEN_KEY).exists():
            raise ValidationError(_("The shares of an approved key cannot be changed."))
        super().save(*args, **kwargs)  # type: ignore[arg-type]


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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("created by")
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


class PostingProfile(models.Model):
    """How charging runs become vouchers in the municipality's ledger (one row)."""

    organisation = models.CharField(_("organisation"), max_length=200, default="Kommunen")
    charge_account = models.CharField(
        _("charge account"), max_length=20, help_text=_("Debited on each administration, e.g. 7691")
    )
    charge_account_name = models.CharField(
        _("charge account name"), max_length=100, default="Interna köp, kontaktcenter"
    )
    credit_account = models.CharField(
        _("credit account"), max_length=20, help_text=_("Credited on the contact centre, e.g. 3691")
    )
    credit_account_name = models.CharField(
        _("credit account name"), max_length=100, default="Interna intäkter, kontaktcenter"
    )
    centre_cost_centre = models.CharField(_("contact centre's cost centre"), max_length=40)
    series = models.CharField(_("voucher series"), max_length=10, default="I")
    text = models.CharField(_("voucher text"), max_length=100, default="Medfinansiering kontaktcenter")
    per_month = models.BooleanField(
        _("one voucher per month"), default=True, help_text=_("Otherwise one for the year.")
    )
    project = models.CharField(_("project (optional)"), max_length=40, blank=True)
    activity = models.CharField(_("activity (optional)"), max_length=40, blank=True)

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


class CentreCost(models.Model):
    """The contact centre's cost and capacity in one month, entered by finance staff, for what a
    case and a minute cost (allocation.capacity)."""

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
            _refuse(str(_("An approved settlement cannot be changed.")))
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(status="approved").exists():
            _refuse(str(_("An approved settlement cannot be deleted.")))
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
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = SettlementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")

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
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["settlement", "at", "id"]

    def __str__(self) -> str:
        return f"#{self.settlement_id} {self.to_status} ({self.actor})"
