"""The municipality's organisation and the contact centre's handled cases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases import formats
from cases.ledger_fields import cost_centre_format, no_control_characters


class Administration(models.Model):
    """A paying organisational unit (förvaltning or municipal company)."""

    code = models.CharField(_("code"), max_length=20, unique=True, validators=[no_control_characters])
    name = models.CharField(_("name"), max_length=200, validators=[no_control_characters])
    cost_centre = models.CharField(_("cost centre"), max_length=40, blank=True, validators=[cost_centre_format])
    valid_from = models.DateField(_("valid from"), default=date(2000, 1, 1))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    heads = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("department heads"),
        related_name="headed_administrations",
        blank=True,
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("administration")
        verbose_name_plural = _("administrations")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="administration_valid_to_after_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Grouping(models.Model):
    """One of the ~235 case categories (ärendegrupperingar); each case carries exactly one."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    area = models.CharField(_("area"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("grouping")
        verbose_name_plural = _("groupings")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class GroupingMapVersion(models.Model):
    """The grouping-map rows that take effect on one date (DESIGN.md §4, per-grouping dating).

    A grouping's rows in a version give its owners from `valid_from` until that grouping's next
    rows in a later version; groupings a version does not mention keep their owners. The map in
    force on a date is, for every grouping, its newest rows on or before it (cases.selectors).
    Drafts (from a what-if) are never in force until finance staff make them real.
    """

    valid_from = models.DateField(_("valid from"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    is_draft = models.BooleanField(_("draft"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("grouping map version")
        verbose_name_plural = _("grouping map versions")
        constraints = [
            models.UniqueConstraint(fields=["valid_from"], condition=Q(is_draft=False), name="one_active_map_per_date"),
        ]

    def __str__(self) -> str:
        return f"{self.valid_from:%Y-%m-%d} {self.name}".strip()


class GroupingMapEntry(models.Model):
    """Who owns a grouping from its version's date: a fraction of it, central (not
    co-financed), or ended (not in use from that date)."""

    version = models.ForeignKey(
        GroupingMapVersion, on_delete=models.CASCADE, related_name="entries", verbose_name=_("version")
    )
    grouping = models.ForeignKey(Grouping, on_delete=models.PROTECT, verbose_name=_("grouping"))
    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("administration")
    )
    fraction = models.DecimalField(_("fraction"), max_digits=7, decimal_places=6, default=Decimal(1))
    is_central = models.BooleanField(_("central"), default=False)
    is_ended = models.BooleanField(_("ended"), default=False)

    class Meta:
        ordering = ["version", "grouping__code"]
        verbose_name = _("grouping map entry")
        verbose_name_plural = _("grouping map entries")
        constraints = [
            models.CheckConstraint(condition=Q(fraction__gt=0) & Q(fraction__lte=1), name="map_fraction_in_0_1"),
            # A central or ended grouping has no owner; every other entry has exactly one.
            models.CheckConstraint(
                condition=(Q(is_central=True) & Q(is_ended=False) & Q(administration__isnull=True) & Q(fraction=1))
                | (Q(is_ended=True) & Q(is_central=False) & Q(administration__isnull=True) & Q(fraction=1))
                | (Q(is_central=False) & Q(is_ended=False) & Q(administration__isnull=False)),
                name="map_owner_central_or_ended",
            ),
            models.UniqueConstraint(fields=["version", "grouping", "administration"], name="map_one_entry_per_owner"),
            models.UniqueConstraint(
                fields=["version", "grouping"], condition=Q(is_central=True), name="map_one_central_entry"
            ),
            models.UniqueConstraint(
                fields=["version", "grouping"], condition=Q(is_ended=True), name="map_one_ended_entry"
            ),
        ]

    def __str__(self) -> str:
        owner = "central" if self.is_central else ("ended" if self.is_ended else self.administration_id)
        return f"{self.grouping_id} → {owner} ({formats.decimal(self.fraction)})"


class Channel(models.Model):
    """A contact channel with the weight used by `weighted` keys (maintained by finance staff)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    weight = models.DecimalField(_("weight"), max_digits=8, decimal_places=4, default=Decimal(1))

    class Meta:
        ordering = ["code"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        constraints = [models.CheckConstraint(condition=Q(weight__gte=0), name="channel_weight_not_negative")]

    def __str__(self) -> str:
        return self.name


class DataSource(models.Model):
    """An export system (telephony, e-mail, chat …) or a body of reference statistics.

    Its profile (DESIGN.md §6, cases.source_profiles) says how the export's file is read:
    which header is which column, joined columns, the date format, constants, value maps,
    rows to skip, the duration unit and the sheet. A new system needs configuration, not code.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_reference = models.BooleanField(
        _("reference statistics"),
        default=False,
        help_text=_("Another organisation's statistics: never part of this municipality's own volumes."),
    )
    # Off until finance says so: a source that claims monthly deliveries and misses one makes every
    # key and memo warn (add_source keeps its own contract: monthly unless --not-monthly).
    delivers_monthly = models.BooleanField(_("delivers every month"), default=False)
    profile = models.JSONField(
        _("profile"),
        default=dict,
        blank=True,
        help_text=_(
            "How the export is read, as JSON. The profile form builds it from a sample file; "
            'e.g. {"columns": {"case_id": "call_id"}}.'
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("data source")
        verbose_name_plural = _("data sources")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A profile that cannot be used is refused when it is saved, by whatever path (form,
        admin, add_source), with a message that names the problem."""
        from django.core.exceptions import ValidationError

        from cases.source_profiles import ProfileError, profile_from_json

        try:
            self.profile = profile_from_json(self.profile).as_json()
        except ProfileError as exc:
            raise ValidationError({"profile": str(exc)}) from exc
        refusal = self.kind_switch_refusal()
        if refusal:
            raise ValidationError({"is_reference": refusal})

    def kind_switch_refusal(self) -> str | None:
        """Why the source may not switch between reference statistics and the municipality's own
        source now, or None. A source holding data may not: its months would move in or out of every
        own volume, key and statistic at once (loading another city's aggregates as own cases and
        switching back). Counted from the monthly aggregates, which archived months keep too."""
        from django.db.models import Count, Max, Min, Sum
        from django.utils.translation import gettext, ngettext

        if self.pk is None:
            return None
        stored = DataSource.objects.filter(pk=self.pk).values_list("is_reference", flat=True).first()
        if stored is None or stored == self.is_reference:
            return None
        held = MonthlyAggregate.objects.filter(source_id=self.pk).aggregate(
            cases=Sum("cases"), months=Count("month", distinct=True), first=Min("month"), last=Max("month")
        )
        if not held["months"]:
            return None
        months = ngettext("%(count)s month", "%(count)s months", held["months"]) % {"count": held["months"]}
        return gettext(
            "The source %(source)s holds %(cases)s cases in %(months)s (%(first)s – %(last)s): it cannot be "
            "switched between reference statistics and the municipality's own source while it holds data. "
            "Register a new source for the other kind."
        ) % {
            "source": self.name,
            "cases": formats.number(held["cases"]),
            "months": months,
            "first": f"{held['first']:%Y-%m}",
            "last": f"{held['last']:%Y-%m}",
        }

    def read_profile(self) -> Any:
        from cases.source_profiles import profile_from_json

        return profile_from_json(self.profile)


class CaseRecord(models.Model):
    """One handled case from a case log. Written only by the import loader."""

    # Foreign keys without their own indexes and without database-level triggers: per-row
    # FK checks cost a COPY of a million rows 10 s. The import (the only writer) validates
    # every code and then checks the batch's references in one set-based query before it
    # commits (imports.loading.cases_check_references); PROTECT stops deletes in the ORM.
    source = models.ForeignKey(
        DataSource, on_delete=models.PROTECT, db_index=False, db_constraint=False, verbose_name=_("source")
    )
    case_id = models.CharField(_("case id"), max_length=100)
    opened_at = models.DateTimeField(_("opened at"))
    month = models.DateField(_("month"))
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, db_index=False, db_constraint=False, verbose_name=_("channel")
    )
    grouping = models.ForeignKey(
        Grouping, on_delete=models.PROTECT, db_index=False, db_constraint=False, verbose_name=_("grouping")
    )
    handle_seconds = models.IntegerField(_("handle seconds"), null=True, blank=True)
    wait_seconds = models.IntegerField(_("wait seconds"), null=True, blank=True)
    resolved_first_contact = models.BooleanField(_("resolved at first contact"), null=True, blank=True)
    forwarded_to = models.ForeignKey(
        Administration,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
        verbose_name=_("forwarded to"),
    )
    # Plain id, not a foreign key: cases must not depend on the imports app.
    batch_id = models.BigIntegerField(_("import batch"), null=True, blank=True)
    # A call hung up before an answer is a contact, not a case: kept for phone accessibility,
    # never counted in case figures or loads. Null: the source reports no outcome (handled).
    outcome = models.CharField(
        _("outcome"),
        max_length=10,
        null=True,
        blank=True,
        choices=[("handled", _("handled")), ("abandoned", _("abandoned"))],
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [models.Index(fields=["source", "month"], name="case_source_month")]
        constraints = [
            # Deferred, so a corrected month can be loaded before the rows it replaces are
            # deleted in the same transaction; checked no later than the commit.
            models.UniqueConstraint(
                fields=["source", "case_id"],
                name="case_id_unique_per_source",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.CheckConstraint(
                condition=Q(handle_seconds__isnull=True) | Q(handle_seconds__gte=0), name="case_handle_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(wait_seconds__isnull=True) | Q(wait_seconds__gte=0), name="case_wait_not_negative"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="case_month_is_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.case_id}"


class MonthlyAggregate(models.Model):
    """Month × source × grouping × channel totals; keys and statistics read these, not raw cases.

    For reference statistics the handle and wait columns may be unknown (zero counts).
    """

    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, verbose_name=_("source"))
    month = models.DateField(_("month"))
    grouping = models.ForeignKey(Grouping, on_delete=models.PROTECT, verbose_name=_("grouping"))
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, verbose_name=_("channel"))
    cases = models.IntegerField(_("cases"))
    handle_seconds = models.BigIntegerField(_("handle seconds"), default=0)
    handle_known = models.IntegerField(_("cases with handle time"), default=0)
    wait_seconds = models.BigIntegerField(_("wait seconds"), default=0)
    wait_known = models.IntegerField(_("cases with wait time"), default=0)
    answered_within_60 = models.IntegerField(_("answered within 60 s"), default=0)
    # Phone accessibility (DESIGN.md §5), from sources that report outcomes: `cases` holds the
    # handled contacts only; `abandoned` the calls hung up before an answer; `outcome_reported`
    # the handled and abandoned contacts of rows that carried an outcome.
    abandoned = models.IntegerField(_("abandoned calls"), default=0)
    outcome_reported = models.IntegerField(_("contacts with an outcome"), default=0)
    resolved_first = models.IntegerField(_("resolved at first contact"), default=0)
    resolved_known = models.IntegerField(_("cases with resolution flag"), default=0)
    forwarded = models.IntegerField(_("forwarded"), default=0)

    class Meta:
        verbose_name = _("monthly aggregate")
        verbose_name_plural = _("monthly aggregates")
        indexes = [models.Index(fields=["month"], name="aggregate_month")]
        constraints = [
            models.UniqueConstraint(fields=["source", "month", "grouping", "channel"], name="aggregate_unique_cell"),
            models.CheckConstraint(
                condition=Q(cases__gte=0)
                & Q(handle_seconds__gte=0)
                & Q(wait_seconds__gte=0)
                & Q(handle_known__lte=models.F("cases"))
                & Q(wait_known__lte=models.F("cases"))
                & Q(resolved_first__lte=models.F("resolved_known"))
                & Q(resolved_known__lte=models.F("cases"))
                & Q(answered_within_60__lte=models.F("wait_known"))
                & Q(forwarded__lte=models.F("cases"))
                & Q(abandoned__gte=0)
                & Q(abandoned__lte=models.F("outcome_reported")),
                name="aggregate_counts_consistent",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="aggregate_month_is_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.grouping_id}/{self.channel_id}: {self.cases}"


class AuditEntry(models.Model):
    """Who changed what, when, with the state before and after (grouping map, keys, pools, uploads)."""

    at = models.DateTimeField(_("at"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("user")
    )
    # Who, as text: the user's name, or for a command run without --user the operating-system
    # user ("os:root"), so no change is ever anonymous.
    actor = models.CharField(_("by"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=100)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=100)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"


class ApiToken(models.Model):
    """An API token. Only the SHA-256 of its key is stored: the key is shown once, when the
    token is created, and cannot be read back from the database, a backup or the admin."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    # Who made it: the person themselves, or a superuser for a service account (never anyone
    # else for a person: a token lets its holder act as the person it belongs to).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    name = models.CharField(_("name"), max_length=100, blank=True, help_text=_("What the token is for."))
    prefix = models.CharField(_("key starts with"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class Notification(models.Model):
    """One e-mail to one person about one event, kept so it is sent exactly once: the event and
    recipient are unique, and the sender claims unsent rows one at a time (cases.tasks)."""

    class Kind(models.TextChoices):
        KEY_PROPOSED = "key_proposed", _("a key or settlement is proposed (steering group)")
        KEY_DECIDED = "key_decided", _("my proposal is approved or rejected")
        MONTH_PUBLISHED = "month_published", _("my administration's month is published")
        FAILURE = "failure", _("an import or a publication failed, or a source has not delivered")

    event = models.CharField(_("event"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["event", "recipient"], name="notification_once")]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient_id}"


class NotificationOptOut(models.Model):
    """A kind of notification a user has turned off on their account page."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, choices=Notification.Kind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="opt_out_once")]

    def __str__(self) -> str:
        return f"{self.user_id} −{self.kind}"
