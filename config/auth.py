"""Logging in: a lockout after repeated failures, every login attempt in the audit log, and API
tokens checked by their hash with guessing slowed down per address."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.utils.translation import gettext as _


def _key(username: str) -> str:
    return f"login-failures:{username.strip().lower()}"


def count_failure(key: str, window_seconds: int) -> int:
    """One more under `key`, atomically; returns the new count. The count lives
    `window_seconds` from the first one (add() creates it only if it is not there)."""
    cache.add(key, 0, window_seconds)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, window_seconds)
        return 1


def client_address(request: Any) -> str:
    """The client's address: from CLIENT_ADDRESS_HEADER when the service is behind a proxy
    (the right-most entry, the one our proxy appended), else the socket's REMOTE_ADDR."""
    if request is None:
        return ""
    header = settings.CLIENT_ADDRESS_HEADER
    if header:
        meta_name = "HTTP_" + header.upper().replace("-", "_")
        value = request.META.get(meta_name, "")
        entries = [part.strip() for part in value.split(",") if part.strip()]
        if entries:
            return entries[-1][:100]
    return str(request.META.get("REMOTE_ADDR", ""))[:100]


class LockoutModelBackend(ModelBackend):
    """After LOGIN_LOCKOUT_ATTEMPTS failures for a user name, refuse it for LOGIN_LOCKOUT_SECONDS.

    Counting per user name (not per address) protects an account from password guessing
    spread over many addresses; the counter lives in the shared cache (Redis in production).
    """

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any):
        if username is None:
            username = kwargs.get("username", "")
        key = _key(username or "")
        # Count the attempt before the password is checked, atomically: parallel attempts
        # each take their own number, so the (N+1)th is refused however they interleave.
        attempt = count_failure(key, settings.LOGIN_LOCKOUT_SECONDS)
        if attempt > settings.LOGIN_LOCKOUT_ATTEMPTS:
            if request is not None:
                request.login_locked_out = True
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
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
        actor="anonym",
        obj_type="user",
        obj_id=str(credentials.get("username", ""))[:100],
        after=_where(request),
    )


def _where(request: Any) -> dict[str, str]:
    if request is None:
        return {}
    return {"address": client_address(request), "agent": request.META.get("HTTP_USER_AGENT", "")[:200]}


# --- API tokens -------------------------------------------------------------------------------

from rest_framework import exceptions  # noqa: E402
from rest_framework.authentication import TokenAuthentication  # noqa: E402


def _token_failures_key(request: Any) -> str:
    return f"token-failures:{client_address(request)}"


class HashedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, looked up by the key's SHA-256 (cases.ApiToken).

    The key is checked first: a valid key always gets in. An address that sends
    TOKEN_FAILURE_LIMIT unknown keys within TOKEN_FAILURE_SECONDS gets 429 for its further
    unknown keys for the rest of that window, so keys cannot be guessed at speed, while the
    clients with real keys behind the same proxy address keep working.
    """

    def authenticate(self, request: Any):
        self._request = request
        return super().authenticate(request)

    def authenticate_credentials(self, key: str):
        from django.utils import timezone

        from cases.models import ApiToken
        from cases.tokens import api_token_hash

        request = getattr(self, "_request", None)
        failures_key = _token_failures_key(request) if request is not None else None
        token = ApiToken.objects.select_related("user").filter(key_hash=api_token_hash(key)).first()
        if token is None or not token.user.is_active:
            if failures_key and count_failure(failures_key, settings.TOKEN_FAILURE_SECONDS) > (
                settings.TOKEN_FAILURE_LIMIT
            ):
                raise exceptions.Throttled(
                    wait=settings.TOKEN_FAILURE_SECONDS,
                    detail=_("Too many wrong API tokens from this address. Try again later."),
                )
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API token."))
        now = timezone.now()
        if token.last_used is None or (now - token.last_used).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)  # at most a write a minute
        return (token.user, token)
