"""Who may do what is audited whatever changes it (Django's signals): users made, deleted, their
flags (active, staff, superuser), groups and permissions; groups made, renamed or deleted and
their permissions; by the admin, a command or the shell.

The admin's user and group forms write one entry for the whole form themselves (form_saving
quiets these receivers meanwhile: Django's set() of a many-to-many is a remove and an add). The
person acting is the admin's user (acting_as, set around the admin's views); elsewhere the
operating-system account (cases.services.audit_actor)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth.models import Group
from django.db import connection
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

_acting: ContextVar[Any] = ContextVar("acting_user", default=None)
# Set while the user or group admin saves its form: the form writes one entry itself.
_form_records: ContextVar[bool] = ContextVar("form_records", default=False)
# What decides a user's access, on the user row itself.
_USER_FLAGS = ("username", "is_active", "is_staff", "is_superuser")


@contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Within the block, audit entries these receivers write name `user`."""
    token = _acting.set(user)
    try:
        yield
    finally:
        _acting.reset(token)


def _record(**kwargs: Any) -> None:
    from cases.models import AuditEntry
    from cases.services import audit_record

    # The groups are made by post_migrate (cases.roles): also when a migration back to zero
    # has just removed the audit table, where there is nothing to write to.
    if AuditEntry._meta.db_table not in connection.introspection.table_names():
        return
    audit_record(user=_acting.get(), **kwargs)


def _permissions(group: Group) -> list[str]:
    return sorted(f"{app}.{code}" for app, code in group.permissions.values_list("content_type__app_label", "codename"))


def group_snapshot(group: Group) -> dict[str, Any]:
    return {"name": group.name, "permissions": _permissions(group)}


@contextmanager
def form_saving() -> Iterator[None]:
    """Within the block the receivers leave users and groups alone: the caller records the change."""
    token = _form_records.set(True)
    try:
        yield
    finally:
        _form_records.reset(token)


def group_change_record(*, group: Group, before: dict[str, Any] | None, user: Any) -> None:
    """One entry for a group made or changed by a form: its name and permissions before and after."""
    from cases.services import audit_record

    after = group_snapshot(group)
    if before != after:
        action = "group.create" if before is None else "group.change"
        audit_record(user=user, action=action, obj_type="group", obj_id=group.pk, before=before, after=after)


def _group_stored_name(sender: Any, instance: Group, **kwargs: Any) -> None:
    stored = Group.objects.filter(pk=instance.pk).values_list("name", flat=True).first() if instance.pk else None
    instance._audit_name_before = stored  # type: ignore[attr-defined]


def _group_saved(sender: Any, instance: Group, created: bool, **kwargs: Any) -> None:
    before = getattr(instance, "_audit_name_before", None)
    if _form_records.get():
        return
    if created:
        _record(action="group.create", obj_type="group", obj_id=instance.pk, after={"name": instance.name})
    elif before != instance.name:
        _record(
            action="group.change",
            obj_type="group",
            obj_id=instance.pk,
            before={"name": before},
            after={"name": instance.name},
        )


def _group_deleting(sender: Any, instance: Group, **kwargs: Any) -> None:
    instance._audit_before = {  # type: ignore[attr-defined]
        "name": instance.name,
        "permissions": _permissions(instance),
        "users": sorted(instance.user_set.values_list("username", flat=True)),
    }


def _group_deleted(sender: Any, instance: Group, **kwargs: Any) -> None:
    _record(
        action="group.delete", obj_type="group", obj_id=instance.pk, before=getattr(instance, "_audit_before", None)
    )


def _group_permissions_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if _form_records.get():
        return
    groups = [instance] if not reverse else list(Group.objects.filter(pk__in=pk_set or []))
    if reverse and action == "pre_clear":
        groups = list(instance.group_set.all())
        instance._audit_groups = groups
    elif reverse and action == "post_clear":
        groups = getattr(instance, "_audit_groups", [])
    for group in groups:
        if action.startswith("pre_"):
            group._audit_permissions = _permissions(group)
        elif action.startswith("post_"):
            before, after = getattr(group, "_audit_permissions", None), _permissions(group)
            if before != after:
                _record(
                    action="group.permissions",
                    obj_type="group",
                    obj_id=group.pk,
                    before={"name": group.name, "permissions": before},
                    after={"name": group.name, "permissions": after},
                )


def _user_flags(user: Any) -> dict[str, Any]:
    return {name: getattr(user, name) for name in _USER_FLAGS}


def _user_stored_flags(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if _form_records.get() or raw or instance.pk is None:
        return
    stored = sender.objects.filter(pk=instance.pk).values(*_USER_FLAGS).first()
    instance._audit_flags = stored


def _user_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if _form_records.get() or raw:
        return
    from cases.services import user_access_snapshot

    if created:
        _record(action="user.create", obj_type="user", obj_id=instance.pk, after=user_access_snapshot(instance))
        return
    before, after = getattr(instance, "_audit_flags", None), _user_flags(instance)
    if before is not None and before != after:
        _record(action="user.access", obj_type="user", obj_id=instance.pk, before=before, after=after)


def _user_relations_changed(sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any) -> None:
    """A user's groups or own permissions, changed from either side (user.groups or group.user_set)."""
    if _form_records.get() or not action.startswith(("pre_", "post_")):
        return
    from django.contrib.auth import get_user_model

    from cases.services import user_access_snapshot

    if not reverse:
        users = [instance]
    elif action == "pre_clear":
        users = list(instance.user_set.all())
        instance._audit_users = users
    elif action == "post_clear":
        users = getattr(instance, "_audit_users", [])
    else:
        users = list(get_user_model().objects.filter(pk__in=pk_set or []))
        key = f"_audit_users_{action.partition('_')[2]}"
        users = getattr(instance, key, users) if action.startswith("post_") else users
        setattr(instance, key, users)
    for user in users:
        if action.startswith("pre_"):
            user._audit_access = user_access_snapshot(user)
        else:
            before, after = getattr(user, "_audit_access", None), user_access_snapshot(user)
            if before != after:
                _record(action="user.access", obj_type="user", obj_id=user.pk, before=before, after=after)


def _user_deleting(sender: Any, instance: Any, **kwargs: Any) -> None:
    from cases.services import user_access_snapshot

    instance._audit_before = user_access_snapshot(instance)


def _user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    _record(action="user.delete", obj_type="user", obj_id=instance.pk, before=getattr(instance, "_audit_before", None))


def connect() -> None:
    """Connect the receivers (CasesConfig.ready)."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    pre_save.connect(_group_stored_name, sender=Group, dispatch_uid="audit.group.pre_save")
    post_save.connect(_group_saved, sender=Group, dispatch_uid="audit.group.save")
    pre_delete.connect(_group_deleting, sender=Group, dispatch_uid="audit.group.pre_delete")
    post_delete.connect(_group_deleted, sender=Group, dispatch_uid="audit.group.delete")
    m2m_changed.connect(
        _group_permissions_changed, sender=Group.permissions.through, dispatch_uid="audit.group.permissions"
    )
    pre_save.connect(_user_stored_flags, sender=user_model, dispatch_uid="audit.user.pre_save")
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="audit.user.save")
    for through, uid in ((user_model.groups.through, "groups"), (user_model.user_permissions.through, "permissions")):
        m2m_changed.connect(_user_relations_changed, sender=through, dispatch_uid=f"audit.user.{uid}")
    pre_delete.connect(_user_deleting, sender=user_model, dispatch_uid="audit.user.pre_delete")
    post_delete.connect(_user_deleted, sender=user_model, dispatch_uid="audit.user.delete")
