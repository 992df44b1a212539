"""Logging in: a lockout after repeated failures, and every login attempt in the audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache


def _key(username: str) -> str:
    return f"login-failures:{username.strip().lower()}"


class LockoutModelBackend(ModelBackend):
    """After LOGIN_LOCKOUT_ATTEMPTS failures for a user name, refuse it for LOGIN_LOCKOUT_SECONDS.

    Counting per user name (not per address) protects an account from password guessing
    spread over many addresses; the counter lives in the shared cache (Redis in production).
    """

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any):  # type: ignore[no-untyped-def, override]
        if username is None:
            username = kwargs.get("username", "")
        key = _key(username or "")
        if cache.get(key, 0) >= settings.LOGIN_LOCKOUT_ATTEMPTS:
            if request is not None:
                request.login_locked_out = True
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, settings.LOGIN_LOCKOUT_SECONDS)
        else:
            cache.delete(key)
        return user


def record_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from cases.services import audit_record

    audit_record(user=user, action="auth.login", obj_type="user", obj_id=user.pk, after=_where(request))


def record_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from cases.services import audit_record

    if user is not None:
        audit_record(user=user, action="auth.logout", obj_type="user", obj_id=user.pk, after=_where(request))


def record_failure(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    from cases.services import audit_record

    locked = bool(getattr(request, "login_locked_out", False))
    audit_record(
        user=None,
        action="auth.locked_out" if locked else "auth.login_failed",
        obj_type="user",
        obj_id=str(credentials.get("username", ""))[:100],
        after=_where(request),
    )


def _where(request: Any) -> dict[str, str]:
    if request is None:
        return {}
    return {"address": request.META.get("REMOTE_ADDR", ""), "agent": request.META.get("HTTP_USER_AGENT", "")[:200]}
