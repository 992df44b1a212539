"""The three roles of DESIGN.md §1 as Django groups, and what each may do."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

FINANCE = "finance"
DEPARTMENT_HEAD = "department_head"
STEERING_GROUP = "steering_group"
ROLES = (FINANCE, DEPARTMENT_HEAD, STEERING_GROUP)
# A machine that calls the API (a telephony system uploading its logs), not a person. It may
# also be in `finance` to upload, but never in a group that decides or reads as a person.
SERVICE_ACCOUNT = "service_account"
PERSON_ONLY_GROUPS = (STEERING_GROUP, DEPARTMENT_HEAD)

_LABELS = {
    FINANCE: gettext_lazy("finance staff"),
    DEPARTMENT_HEAD: gettext_lazy("department head"),
    STEERING_GROUP: gettext_lazy("steering group"),
    SERVICE_ACCOUNT: gettext_lazy("service account"),
}


def role_label(group: str) -> str:
    """A group's name as the reader says it (a group that is not a role keeps its name)."""
    return str(_LABELS.get(group, group))


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


def is_service_account(user: Any) -> bool:
    """A service account: in `service_account`, in no person-only group, not a superuser."""
    return (
        _in_group(user, SERVICE_ACCOUNT)
        and not any(_in_group(user, g) for g in PERSON_ONLY_GROUPS)
        and not getattr(user, "is_superuser", False)
    )


def reads_everything(user: Any) -> bool:
    return is_finance(user) or is_steering(user)


def roles_ensure(**_: Any) -> None:
    """Create the groups and give them their model permissions. Idempotent (post_migrate)."""
    from django.contrib.auth.models import Group, Permission

    finance, _created = Group.objects.get_or_create(name=FINANCE)
    steering, _created = Group.objects.get_or_create(name=STEERING_GROUP)
    Group.objects.get_or_create(name=DEPARTMENT_HEAD)
    Group.objects.get_or_create(name=SERVICE_ACCOUNT)
    perms = Permission.objects.filter(content_type__app_label__in=_APPS)
    finance.permissions.add(*perms)
    # API tokens are made by their owner on the profile page (and for service accounts by a
    # superuser in the admin), never by finance staff for somebody else.
    finance.permissions.remove(*Permission.objects.filter(content_type__app_label="authtoken"))
    finance.permissions.remove(*perms.filter(content_type__model="apitoken"))
    steering.permissions.add(*perms.filter(codename__startswith="view_"))


def require_reader(request: Any) -> None:
    """Views of finance staff and the steering group: anyone else gets 403."""
    from django.core.exceptions import PermissionDenied

    if not reads_everything(request.user):
        raise PermissionDenied


def require_finance(request: Any) -> None:
    """Views that write (finance staff only): anyone else gets 403."""
    from django.core.exceptions import PermissionDenied

    if not is_finance(request.user):
        raise PermissionDenied


def user_argument(username: str | None) -> Any:
    """A command's --user: the active user of that name (None when no name is given), or the
    usage error (exit status 2) that names it. Changes are then recorded as that user."""
    if not username:
        return None
    from django.contrib.auth import get_user_model
    from django.core.management import CommandError

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"Användaren {username!r} finns inte eller är inaktiv.", returncode=2)
    from cases.processes import os_account

    # --user takes no password: the operating-system account that ran the command is recorded
    # beside the name, and four-eyes rules compare it too (allocation.keys.decisions).
    setattr(user, "command_os_account", os_account())  # noqa: B010 (not a field of User)
    return user


def may_see_administration(user: Any, code: str) -> bool:
    """Whether the user may read an administration's published pages and files."""
    from cases.models import Administration

    return reads_everything(user) or Administration.objects.filter(heads=user, code=code).exists()


def may_see_overview(user: Any) -> bool:
    """Whether the user may read the municipality-wide published overview."""
    return reads_everything(user) or is_department_head(user)
