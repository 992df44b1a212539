"""The decision's effect goals: a target set per year (one target per measure, and per channel
for first-contact resolution), decided by the steering group like a key."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Channel


class GoalTargetSet(models.Model):
    """The targets of one year, reviewed like a key (DESIGN §4): finance staff draft and propose,
    another person of the steering group approves or rejects. An approved set never changes; a
    newer approved set for the same year supersedes it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PROPOSED = "proposed", _("proposed")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        SUPERSEDED = "superseded", _("superseded")

    year = models.PositiveIntegerField(_("year"), validators=[MinValueValidator(2000)])
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    comment = models.TextField(_("comment"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-year", "-id"]
        verbose_name = _("goal target set")
        verbose_name_plural = _("goal target sets")
        constraints = [
            models.UniqueConstraint(
                fields=["year"], condition=Q(status="approved"), name="one_approved_goal_target_set_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.year} ({self.get_status_display()})"


class GoalTarget(models.Model):
    """One measure's target in a set. Rates (service level, abandonment, first-contact resolution,
    forwarded) are fractions (0.8000 = 80 %), as the statistics compute them; the wait is seconds.
    `channel` is set only for first-contact resolution per channel (empty: every channel)."""

    class Measure(models.TextChoices):
        SERVICE_LEVEL = "service_level_60", _("answered within 60 s")
        ABANDONED = "abandonment_rate", _("abandoned calls")
        FIRST_CONTACT = "first_contact_resolution", _("resolved at first contact")
        FORWARDED = "forwarded_rate", _("forwarded")
        WAIT = "average_wait_seconds", _("average wait")

    target_set = models.ForeignKey(
        GoalTargetSet, on_delete=models.CASCADE, related_name="targets", verbose_name=_("target set")
    )
    measure = models.CharField(_("measure"), max_length=40, choices=Measure.choices)
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("channel")
    )
    value = models.DecimalField(_("target"), max_digits=10, decimal_places=4, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["target_set", "measure", "channel__code"]
        verbose_name = _("goal target")
        verbose_name_plural = _("goal targets")
        constraints = [
            models.UniqueConstraint(
                fields=["target_set", "measure", "channel"], name="one_goal_target_per_measure_and_channel"
            ),
            models.UniqueConstraint(
                fields=["target_set", "measure"], condition=Q(channel=None), name="one_goal_target_per_measure"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="goal_target_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_measure_display()} {self.channel or ''} {self.value}".strip()


class GoalTargetDecision(models.Model):
    """One step of a target set's review, like KeyDecision."""

    target_set = models.ForeignKey(GoalTargetSet, on_delete=models.PROTECT, related_name="decisions")
    from_status = models.CharField(_("from"), max_length=20, choices=GoalTargetSet.Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=GoalTargetSet.Status.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor = models.CharField(max_length=150)
    os_account = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["target_set", "at", "id"]

    def __str__(self) -> str:
        return f"#{self.target_set_id} {self.to_status} ({self.actor})"
