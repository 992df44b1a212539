"""Allocation keys (measured, driver, fixed), their decisions, shares and load lines; approved keys
are immutable (querysets and save refuse a change)."""

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


def refuse(message: str) -> None:
    raise ValidationError(message)


class AllocationKeyQuerySet(models.QuerySet):
    """An approved (or superseded) key cannot be changed or deleted through the ORM on any
    database; the one change allowed is an approved key being marked superseded. On PostgreSQL
    and SQLite triggers refuse the same below the ORM (migrations 0002 and 0007)."""

    def update(self, **kwargs: Any) -> int:
        if kwargs == {"status": "superseded"}:
            if self.exclude(status="approved").exists():
                refuse(str(_("Only an approved key can be marked superseded.")))
        elif self.filter(status__in=_FROZEN_KEY).exists():
            refuse(str(_("An approved key cannot be changed. Create a new key instead.")))
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(status__in=_FROZEN_KEY).exists():
            refuse(str(_("An approved key cannot be deleted.")))
        return super().delete()


class FrozenByKeyQuerySet(models.QuerySet):
    """Shares and load lines of an approved or superseded key: never updated or deleted."""

    def update(self, **kwargs: Any) -> int:
        if self.filter(key__status__in=_FROZEN_KEY).exists():
            refuse(str(_("The shares of an approved key cannot be changed.")))
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(key__status__in=_FROZEN_KEY).exists():
            refuse(str(_("The shares of an approved key cannot be changed.")))
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
    # Leave-one-month-out shares and unusual months (allocation.keys.robustness), stored with the key.
    # Nullable without a default so that SQLite adds the columns in place (its table rebuild
    # would drop the immutability triggers).
    robustness = models.JSONField(_("robustness"), null=True, blank=True)
    excluded_months = models.JSONField(_("months left out"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    # The pool the key is proposed for (DESIGN §4 "A key is approved for a pool"): on approval it
    # becomes that pool's key and the pool's previous key is superseded. None: supersedes nothing.
    pool = models.ForeignKey(
        "allocation.CostPool",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposed_keys",
        verbose_name=_("proposed for pool"),
    )
    comment = models.TextField(_("comment"), blank=True)
    # PROTECT, not SET_NULL: an approved key's row never changes, not even when a user is deleted.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
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
    # The operating-system account of a command's decision ("" on the web and the API).
    os_account = models.CharField(_("operating-system account"), max_length=150, blank=True)
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
