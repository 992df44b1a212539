from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from allocation.models import (
    AllocationKey,
    AllocationRun,
    CostPool,
    FundingLine,
    KeyShare,
    Publication,
    PublicationRequest,
    PublicationSchedule,
    RunAmount,
)
from cases import formats


class KeyShareInline(admin.TabularInline):
    model = KeyShare
    fields = ("administration", "load", "share")
    readonly_fields = ("administration", "load", "share")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AllocationKey)
class AllocationKeyAdmin(admin.ModelAdmin):
    """Keys are made by the services (compute_key, API) and decided on the review page; here they are read."""

    list_display = ["id", "name", "kind", "basis", "window_from", "window_to", "valid_from", "status", "review"]
    list_filter = ["status", "kind", "basis"]
    search_fields = ["name"]
    list_select_related = ["map_version"]
    inlines = [KeyShareInline]
    readonly_fields = [f.name for f in AllocationKey._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # nothing about a key is edited by hand, least of all an approved one

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Django's permission first (the steering group has none), then only drafts and rejected keys.
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.status in (AllocationKey.Status.DRAFT, AllocationKey.Status.REJECTED)
        )

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one key at a time, through the service's checks
        return actions

    def delete_model(self, request: HttpRequest, obj: AllocationKey) -> None:
        from allocation.keys.compute import allocation_key_delete

        allocation_key_delete(key=obj, user=request.user)

    @admin.display(description=_("review"))
    def review(self, obj: AllocationKey) -> str:
        return format_html('<a href="{}">{}</a>', reverse("allocation:key-detail", args=[obj.pk]), _("Open"))


class FundingLineFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        from decimal import Decimal

        from allocation.runs.pools import FundingInput, cost_pool_check

        super().clean()
        funding = [
            FundingInput(f.cleaned_data["label"], Decimal(f.cleaned_data["amount"]))
            for f in self.forms
            if getattr(f, "cleaned_data", None) and not f.cleaned_data.get("DELETE")
        ]
        if self.instance.gross_amount is not None:
            try:
                cost_pool_check(pool=self.instance, funding=funding)
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc


class FundingLineInline(admin.TabularInline):
    model = FundingLine
    formset = FundingLineFormSet
    fields = ["label", "amount"]  # the label names the register's source (allocation.funding)
    extra = 1


@admin.register(CostPool)
class CostPoolAdmin(admin.ModelAdmin):
    """Saved through allocation.runs.pools.cost_pool_save (checks and audit), funding lines too."""

    list_display = ["name", "year", "gross", "key", "unit", "is_co_financing"]
    list_filter = ["year", "unit", "is_co_financing"]
    search_fields = ["name"]
    list_select_related = ["key"]
    inlines = [FundingLineInline]

    @admin.display(description=_("gross amount"), ordering="gross_amount")
    def gross(self, obj: CostPool) -> str:
        return formats.kronor(obj.gross_amount)

    autocomplete_fields = ["key"]

    def save_model(self, request: HttpRequest, obj: CostPool, form: Any, change: bool) -> None:
        request._pool_to_save = obj  # type: ignore[attr-defined]  # saved with its funding lines below

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        from decimal import Decimal

        from allocation.runs.pools import FundingInput, cost_pool_save

        funding = [
            FundingInput(f.cleaned_data["label"], Decimal(f.cleaned_data["amount"]))
            for formset in formsets
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        # The formset's clean() ran the same checks, so this does not refuse.
        cost_pool_save(pool=form.instance, user=request.user, funding=funding)
        for formset in formsets:  # the admin's change message reads what the formset saved
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        kept = obj is not None and (obj.runs.exists() or obj.frame_adjustments.exists())
        return super().has_delete_permission(request, obj) and not kept

    def delete_model(self, request: HttpRequest, obj: CostPool) -> None:
        from allocation.runs.pools import cost_pool_delete

        cost_pool_delete(pool=obj, user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        from allocation.runs.pools import cost_pool_delete

        for pool in queryset:
            cost_pool_delete(pool=pool, user=request.user)


class RunAmountInline(admin.TabularInline):
    model = RunAmount
    fields = ("administration", "month", "amount")
    readonly_fields = ("administration", "month", "amount")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AllocationRun)
class AllocationRunAdmin(admin.ModelAdmin):
    list_display = ["id", "key", "pool", "net", "unit", "supersedes", "created_at", "excel"]
    list_filter = ["pool", "unit"]
    list_select_related = ["key", "pool", "supersedes"]
    search_fields = ["key__name", "pool__name"]
    inlines = [RunAmountInline]
    readonly_fields = [f.name for f in AllocationRun._meta.fields]

    @admin.display(description=_("net amount"), ordering="net_amount")
    def net(self, obj: AllocationRun) -> str:
        return formats.kronor(obj.net_amount)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Excel")
    def excel(self, obj: AllocationRun) -> str:
        return format_html('<a href="{}">xlsx</a>', reverse("api:run-excel", args=[obj.pk]))


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = ["month", "version", "created_at", "created_by", "page"]
    list_filter = ["month"]
    list_select_related = ["created_by"]
    search_fields = ["month"]
    readonly_fields = ["month", "version", "created_at", "created_by"]
    exclude = ["figures"]
    actions = ["republish"]

    def has_publish_permission(self, request: HttpRequest) -> bool:
        # An action that writes needs a write permission: the steering group only reads.
        return bool(request.user.has_perm("allocation.add_publicationrequest"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("page"))
    def page(self, obj: Publication) -> str:
        url = reverse("statistics:overview", args=[f"{obj.month:%Y-%m}"]) + f"?version={obj.version}"
        return format_html('<a href="{}">{}</a>', url, _("Open"))

    @admin.action(description=_("Republish the selected months (new versions)"), permissions=["publish"])
    def republish(self, request: HttpRequest, queryset: Any) -> None:
        from allocation.publications.publishing import publication_request_create

        for month in sorted({p.month for p in queryset}):
            publication_request_create(month=month, user=request.user, reason="ompublicering")
        self.message_user(request, _("Republishing queued."))


@admin.register(PublicationRequest)
class PublicationRequestAdmin(admin.ModelAdmin):
    """Read-only: what was asked to be published, by whom, and how it went."""

    list_display = ["month", "status", "reason", "requested_by", "requested_at", "attempts", "publication", "message"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in PublicationRequest._meta.fields]
    actions = ["ask_again"]

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("allocation.add_publicationrequest"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # kept for the record

    @admin.action(
        description=_("Ask again for the selected months (failed or stuck requests)"), permissions=["publish"]
    )
    def ask_again(self, request: HttpRequest, queryset: Any) -> None:
        from allocation.publications.publishing import publication_request_create

        for month in sorted({r.month for r in queryset.exclude(status=PublicationRequest.Status.DONE)}):
            publication_request_create(month=month, user=request.user, reason=str(_("asked for again")))
        self.message_user(request, _("Publishing queued."))


@admin.register(PublicationSchedule)
class PublicationScheduleAdmin(admin.ModelAdmin):
    list_display = ["working_day", "enabled"]

    def save_model(self, request: HttpRequest, obj: PublicationSchedule, form: Any, change: bool) -> None:
        from cases.services import audited_save

        audited_save(
            obj,
            fields=["working_day", "enabled"],
            user=request.user,
            action="schedule",
            obj_type="publication_schedule",
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Django's permission first (the steering group only reads), then: one schedule.
        return super().has_add_permission(request) and not PublicationSchedule.objects.exists()

    def delete_model(self, request: HttpRequest, obj: PublicationSchedule) -> None:
        from cases.services import audit_record

        before = {"working_day": obj.working_day, "enabled": obj.enabled}
        pk = obj.pk
        obj.delete()
        audit_record(
            user=request.user, action="schedule.delete", obj_type="publication_schedule", obj_id=pk, before=before
        )

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deleted one at a time, audited
        return actions


# --- Generated or edited on their own pages: read here, written through the services --------
from allocation.models import (  # noqa: E402
    CentreCost,
    JournalLine,
    KeyDecision,
    PoolPrice,
    Posting,
    PostingExport,
    PostingProfile,
    Settlement,
    SettlementDecision,
)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(KeyDecision)
class KeyDecisionAdmin(_ReadOnly):
    list_display = ["key", "from_status", "to_status", "actor", "at"]
    list_filter = ["to_status"]
    search_fields = ["actor", "comment"]
    list_select_related = ["key"]


@admin.register(PostingExport)
class PostingExportAdmin(_ReadOnly):
    list_display = ["run", "format", "month", "corrects", "exported_by", "exported_at"]
    list_filter = ["format"]
    list_select_related = ["run", "corrects", "exported_by"]


@admin.register(Posting)
class PostingAdmin(_ReadOnly):
    """The ledger journal's postings: made only by posting (web, API, export_postings); never changed."""

    list_display = ["pk", "pool", "run", "settlement", "format", "month", "vouchers", "actor", "posted_at"]
    list_filter = ["format", "pool"]
    list_select_related = ["pool", "run", "settlement"]
    exclude = ["content"]


@admin.register(JournalLine)
class JournalLineAdmin(_ReadOnly):
    list_display = ["posting", "kind", "voucher", "month", "account", "cost_centre", "administration", "amount"]
    list_filter = ["kind", "account", "month"]
    search_fields = ["cost_centre"]
    list_select_related = ["posting", "administration"]


@admin.register(PoolPrice)
class PoolPriceAdmin(_ReadOnly):
    """Prices are proposed and decided on the pool's page (four eyes); the admin only shows them."""

    list_display = ["pool", "pricing", "price", "status", "created_at"]
    list_filter = ["status", "pricing"]
    list_select_related = ["pool"]


@admin.register(PostingProfile)
class PostingProfileAdmin(_ReadOnly):
    """Edited on its page (Konteringsprofil), which audits every change."""

    list_display = ["organisation", "charge_account", "credit_account", "centre_cost_centre", "series"]


@admin.register(CentreCost)
class CentreCostAdmin(_ReadOnly):
    """Entered on the cost page (Kostnad per ärende och minut), which audits every change."""

    list_display = ["month", "staff", "hours_per_person", "utilisation", "cost"]

    @admin.display(description=_("staff cost"), ordering="staff_cost")
    def cost(self, obj: CentreCost) -> str:
        return formats.kronor(obj.staff_cost)


class SettlementDecisionInline(admin.TabularInline):
    model = SettlementDecision
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "at", "comment"]
    fields = ("from_status", "to_status", "actor", "at", "comment")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Settlement)
class SettlementAdmin(_ReadOnly):
    list_display = ["id", "pool", "run", "tolerance_pp", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["pool", "run"]
    inlines = [SettlementDecisionInline]
