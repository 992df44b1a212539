from functools import cached_property
from typing import Any

from django import forms
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import JSONField
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Administration,
    AuditEntry,
    CaseRecord,
    Channel,
    DataSource,
    Grouping,
    GroupingMapEntry,
    GroupingMapVersion,
    MonthlyAggregate,
)
from cases.source_profiles import ProfileJSONField

admin.site.site_header = _("Contact centre co-financing")
admin.site.site_title = _("Contact centre co-financing")
admin.site.index_title = _("Administration")
# The admin's left navigation repeats the header's and takes a quarter of a 1280 px screen from the lists.
admin.site.enable_nav_sidebar = False


@admin.register(Administration)
class AdministrationAdmin(admin.ModelAdmin):
    """Saved through cases.services.administration_save (audited, department heads included)."""

    list_display = ["code", "name", "cost_centre", "valid_from", "valid_to"]
    search_fields = ["code", "name", "cost_centre"]
    list_filter = ["valid_to"]
    filter_horizontal = ["heads"]

    def save_model(self, request, obj, form, change):
        from cases.services import administration_save

        heads = list(form.cleaned_data["heads"]) if "heads" in form.cleaned_data else None
        administration_save(administration=obj, user=request.user, heads=heads)

    def save_related(self, request, form, formsets, change):
        for formset in formsets:  # the heads were set by the service, with their audit entry
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request, obj=None):
        return False  # ended with valid_to, never deleted: keys and runs refer to it


class GroupingForm(forms.ModelForm):
    def clean(self) -> Any:
        from cases.services import grouping_code_change_check

        data = super().clean() or {}
        if self.instance.pk and data.get("code"):  # the instance still holds the stored code here
            grouping_code_change_check(grouping=Grouping(pk=self.instance.pk, code=data["code"]))
        return data


@admin.register(Grouping)
class GroupingAdmin(admin.ModelAdmin):
    """Saved through cases.services.grouping_save (audited; a code cases refer to is kept)."""

    form = GroupingForm
    list_display = ["code", "name", "area"]
    search_fields = ["code", "name", "area"]
    list_filter = ["area"]

    def save_model(self, request, obj, form, change):
        from cases.services import grouping_save

        grouping_save(grouping=obj, user=request.user)

    def delete_model(self, request, obj):
        from cases.services import grouping_delete

        grouping_delete(grouping=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        from cases.services import grouping_delete

        for grouping in queryset:
            grouping_delete(grouping=grouping, user=request.user)


class GroupingMapEntryInline(admin.TabularInline):
    model = GroupingMapEntry
    extra = 0
    autocomplete_fields = ["grouping", "administration"]
    readonly_fields = ["grouping", "administration", "fraction", "is_central"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        # Map versions are written through the import or the what-if service, which audit them.
        return False


@admin.register(GroupingMapVersion)
class GroupingMapVersionAdmin(admin.ModelAdmin):
    list_display = ["valid_from", "name", "is_draft", "created_at"]
    list_filter = ["is_draft"]
    search_fields = ["name"]
    inlines = [GroupingMapEntryInline]
    readonly_fields = ["valid_from", "name", "is_draft", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Only versions no key depends on; the service refuses the others with a reason.
        return super().has_delete_permission(request, obj) and (obj is None or not obj.allocationkey_set.exists())

    def delete_model(self, request, obj):
        from cases.grouping_maps import grouping_map_version_delete

        grouping_map_version_delete(version=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        from cases.grouping_maps import grouping_map_version_delete

        for version in queryset:
            grouping_map_version_delete(version=version, user=request.user)


@admin.register(GroupingMapEntry)
class GroupingMapEntryAdmin(admin.ModelAdmin):
    list_display = ["version", "grouping", "administration", "fraction", "is_central"]
    list_filter = ["version", "is_central", "administration"]
    search_fields = ["grouping__code", "grouping__name"]
    list_select_related = ["version", "grouping", "administration"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a map changes by a new version (audited), never by deleting a line


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    """Weights move money: saved through cases.services.channel_save, which audits them."""

    list_display = ["code", "name", "weight"]
    search_fields = ["code", "name"]

    def save_model(self, request, obj, form, change):
        from cases.services import channel_save

        channel_save(channel=obj, user=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    """Saved through cases.services.data_source_save (audited, profile included)."""

    list_display = ["name", "is_reference", "delivers_monthly", "profile"]
    list_filter = ["is_reference", "delivers_monthly"]
    search_fields = ["name"]
    formfield_overrides = {JSONField: {"form_class": ProfileJSONField}}

    def save_model(self, request, obj, form, change):
        from cases.services import data_source_save

        data_source_save(source=obj, user=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Generated data: visible, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EstimatedCountPaginator(Paginator):
    """Counts exactly up to `estimate_above` rows, and beyond that takes PostgreSQL's estimate:
    an exact COUNT(*) over ten years of cases (50 M rows) takes several seconds on every page."""

    estimate_above = 100_000
    estimated = False  # shown beside the count (templates/admin/cases/caserecord/pagination.html)

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if connection.vendor == "postgresql" and query is not None:
            sql, params = query.sql_with_params()
            with connection.cursor() as cur:
                cur.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
                plan = cur.fetchone()[0]
            estimate = int(plan[0]["Plan"]["Plan Rows"])
            if estimate > self.estimate_above:
                self.estimated = True
                return estimate
        return super().count


@admin.register(CaseRecord)
class CaseRecordAdmin(ReadOnlyAdmin):
    paginator = EstimatedCountPaginator
    list_display = ["case_id", "source", "opened_at", "channel", "grouping", "handle_seconds", "batch_id"]
    list_filter = ["source", "channel", "month"]
    search_fields = ["case_id"]
    list_select_related = ["source", "channel", "grouping"]
    show_full_result_count = False


@admin.register(MonthlyAggregate)
class MonthlyAggregateAdmin(ReadOnlyAdmin):
    list_display = ["month", "source", "grouping", "channel", "cases", "handle_seconds"]
    list_filter = ["source", "month", "channel"]
    search_fields = ["grouping__code", "grouping__name"]
    list_select_related = ["source", "grouping", "channel"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "user__username"]
    list_select_related = ["user"]


# --- API tokens: created and revoked by finance staff, the key shown once -------------------
from django.contrib import messages  # noqa: E402
from rest_framework.authtoken.models import TokenProxy  # noqa: E402

from cases.models import ApiToken  # noqa: E402

admin.site.unregister(TokenProxy)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Superusers make tokens for service accounts here and may revoke any token; people make
    their own on their profile page (/konto/). The key is shown once, on the page after
    creating it (in the server-side session's messages); only its hash is stored."""

    list_display = ("prefix_shown", "name", "user", "created_by", "created", "last_used")
    fields = ("user", "name", "prefix_shown", "created_by", "created", "last_used")
    readonly_fields = ("prefix_shown", "created_by", "created", "last_used")
    ordering = ("-created",)
    search_fields = ("user__username", "name")
    list_select_related = ("user", "created_by")

    @admin.display(description=_("key"))
    def prefix_shown(self, obj: ApiToken) -> str:
        return f"{obj.prefix}…" if obj.prefix else "–"

    # Django's permissions first, then: superusers only (no group holds the token permissions).
    def has_module_permission(self, request):
        return super().has_module_permission(request) and bool(request.user.is_superuser)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and bool(request.user.is_superuser)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and bool(request.user.is_superuser)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and bool(request.user.is_superuser)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and bool(request.user.is_superuser)

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "user") if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            from django.contrib.auth import get_user_model

            from cases import roles

            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(groups__name=roles.SERVICE_ACCOUNT, is_superuser=False)
                .exclude(groups__name__in=roles.PERSON_ONLY_GROUPS)
                .distinct()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)  # only the name can change
            return
        from cases.tokens import api_token_create

        token, key = api_token_create(user=obj.user, name=obj.name, created_by=request.user)
        obj.pk, obj.prefix, obj.key_hash, obj.created = token.pk, token.prefix, token.key_hash, token.created
        self.message_user(
            request,
            _("The token for %(user)s is %(key)s. Copy it now: it is not shown again.")
            % {"user": obj.user, "key": key},
            messages.WARNING,
        )

    def delete_model(self, request, obj):
        from cases.tokens import api_token_revoke

        api_token_revoke(token=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        from cases.tokens import api_token_revoke

        for token in queryset.select_related("user"):
            api_token_revoke(token=token, user=request.user)


# --- Users and groups: every change of who may do what is audited ---------------------------
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin  # noqa: E402
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402

admin.site.unregister(User)
admin.site.unregister(Group)


class _ActingAs(admin.ModelAdmin):
    """The audit entries that Django's signals write during the admin's pages name the admin's
    user (cases.access_audit): group permissions, groups and users deleted."""

    def changeform_view(self, request, *args, **kwargs):
        from cases.access_audit import acting_as

        with acting_as(request.user):
            return super().changeform_view(request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        from cases.access_audit import acting_as

        with acting_as(request.user):
            return super().delete_view(request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        from cases.access_audit import acting_as

        with acting_as(request.user):  # the "delete selected" action runs here
            return super().changelist_view(request, *args, **kwargs)


@admin.register(Group)
class AuditedGroupAdmin(_ActingAs, DjangoGroupAdmin):
    """Django's group admin; a group made or changed is one audit entry with its permissions
    before and after, a group deleted is audited by cases.access_audit."""

    def save_model(self, request, obj, form, change):
        from cases.access_audit import form_saving, group_snapshot

        stored = Group.objects.filter(pk=obj.pk).first() if change else None
        request._group_before = group_snapshot(stored) if stored is not None else None
        with form_saving():
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        from cases.access_audit import form_saving, group_change_record

        with form_saving():
            super().save_related(request, form, formsets, change)
        group_change_record(group=form.instance, before=getattr(request, "_group_before", None), user=request.user)


@admin.register(User)
class AuditedUserAdmin(_ActingAs, DjangoUserAdmin):
    """Django's user admin; group, permission and flag changes are written to the audit log
    (cases.services.user_access_record) whichever form saved them."""

    def save_model(self, request, obj, form, change):
        from cases.access_audit import form_saving
        from cases.services import user_access_snapshot

        stored = User.objects.filter(pk=obj.pk).first() if change else None
        request._access_before = user_access_snapshot(stored) if stored is not None else None
        with form_saving():
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        from cases.access_audit import form_saving
        from cases.services import user_access_record

        with form_saving():
            super().save_related(request, form, formsets, change)
        user_access_record(target=form.instance, before=getattr(request, "_access_before", None), user=request.user)


from cases.models import Notification  # noqa: E402


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "subject", "sent_at", "attempts"]
    list_filter = ["kind", "sent_at"]
    search_fields = ["subject", "recipient__username", "event"]
    list_select_related = ["recipient"]
