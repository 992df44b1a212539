"""Logging in: a lockout after repeated failures, every login attempt in the audit log, and API
tokens checked by their hash with guessing slowed down per address."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache


def _key(username: str) -> str:
    return f"login-failures:{username.strip().lower()}"


def count_failure(key: str, window_seconds: int) -> None:
    """One more failure under `key`; the count lives `window_seconds` from the first failure."""
    try:
        cache.incr(key)
    except ValueError:  # no count yet (or it expired)
        cache.set(key, 1, window_seconds)


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
            count_failure(key, settings.LOGIN_LOCKOUT_SECONDS)
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


# --- API tokens -------------------------------------------------------------------------------

from rest_framework import exceptions  # noqa: E402
from rest_framework.authentication import TokenAuthentication  # noqa: E402


def _token_failures_key(request: Any) -> str:
    return f"token-failures:{request.META.get('REMOTE_ADDR', '')}"


class HashedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, looked up by the key's SHA-256 (cases.ApiToken).

    An address that sends TOKEN_FAILURE_LIMIT wrong keys within TOKEN_FAILURE_SECONDS gets 429
    for the rest of that window, whatever key it sends, so keys cannot be guessed at speed.
    """

    def authenticate(self, request: Any):  # type: ignore[no-untyped-def]
        self._request = request
        return super().authenticate(request)

    def authenticate_credentials(self, key: str):  # type: ignore[no-untyped-def]
        from django.utils import timezone

        from cases.models import ApiToken
        from cases.services import api_token_hash

        request = getattr(self, "_request", None)
        failures_key = _token_failures_key(request) if request is not None else None
        if failures_key and cache.get(failures_key, 0) >= settings.TOKEN_FAILURE_LIMIT:
            raise exceptions.Throttled(
                wait=settings.TOKEN_FAILURE_SECONDS,
                detail="För många felaktiga API-token från den här adressen. Försök igen senare.",
            )
        token = ApiToken.objects.select_related("user").filter(key_hash=api_token_hash(key)).first()
        if token is None or not token.user.is_active:
            if failures_key:
                count_failure(failures_key, settings.TOKEN_FAILURE_SECONDS)
            raise exceptions.AuthenticationFailed("Ogiltig eller återkallad API-token.")
        now = timezone.now()
        if token.last_used is None or (now - token.last_used).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)  # at most a write a minute
        return (token.user, token)
