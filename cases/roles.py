"""The three roles of DESIGN.md §1 as Django groups, and what each may do."""

from __future__ import annotations

from typing import Any

FINANCE = "finance"
DEPARTMENT_HEAD = "department_head"
STEERING_GROUP = "steering_group"
ROLES = (FINANCE, DEPARTMENT_HEAD, STEERING_GROUP)

# Finance staff maintain everything in the admin; the steering group may look at it all.
_APPS = ("cases", "imports", "allocation")


def _in_group(user: Any, name: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    cache = getattr(user, "_role_cache", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._role_cache = cache
    return name in cache


def is_finance(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False)) or _in_group(user, FINANCE)


def is_steering(user: Any) -> bool:
    return _in_group(user, STEERING_GROUP)


def is_department_head(user: Any) -> bool:
    return _in_group(user, DEPARTMENT_HEAD)


def reads_everything(user: Any) -> bool:
    return is_finance(user) or is_steering(user)


def roles_ensure(**_: Any) -> None:
    """Create the groups and give them their model permissions. Idempotent (post_migrate)."""
    from django.contrib.auth.models import Group, Permission

    finance, _created = Group.objects.get_or_create(name=FINANCE)
    steering, _created = Group.objects.get_or_create(name=STEERING_GROUP)
    Group.objects.get_or_create(name=DEPARTMENT_HEAD)
    perms = Permission.objects.filter(content_type__app_label__in=_APPS)
    finance.permissions.add(*perms)
    token_perms = Permission.objects.filter(content_type__app_label="authtoken")
    finance.permissions.add(*token_perms)
    steering.permissions.add(*perms.filter(codename__startswith="view_"))
