"""API tokens: stored as SHA-256 only, made by their owner (a superuser only for service accounts),
revoked by the owner or a superuser, every step audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases.services import audit_record

# --- API tokens ------------------------------------------------------------------------------


def api_token_hash(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()


class TokenNotAllowed(ValidationError):
    """Making this token would let somebody act as another person."""


def api_token_may_create(*, user: Any, created_by: Any) -> bool:
    """A person's token is made by that person; a superuser may make tokens for service accounts."""
    from cases import roles

    if created_by is None or not getattr(created_by, "is_authenticated", False):
        return False
    if created_by.pk == user.pk:
        return True
    return bool(created_by.is_superuser) and roles.is_service_account(user)


@transaction.atomic
def api_token_create(*, user: Any, name: str = "", created_by: Any) -> tuple[Any, str]:
    """Make a token for `user`; returns the token and its key, which is not stored anywhere.

    Refused (TokenNotAllowed) unless `created_by` is the user, or a superuser making a token
    for a service account.
    """
    import secrets

    from cases.models import ApiToken

    if not api_token_may_create(user=user, created_by=created_by):
        raise TokenNotAllowed(
            _(
                "A person's API token is made only by that person, on the page My account. "
                "A superuser can make tokens for service accounts (the group service_account)."
            )
        )
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:6], key_hash=api_token_hash(key), created_by=created_by
    )
    audit_record(
        user=created_by,
        action="token.create",
        obj_type="token",
        obj_id=token.pk,
        after={"for": user.get_username(), "name": name, "prefix": token.prefix},
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: Any, user: Any) -> None:
    """Delete a token (its owner, or a superuser), with an audit entry."""
    if not (user.pk == token.user_id or user.is_superuser):
        raise TokenNotAllowed(_("Only the owner or a superuser can revoke a token."))
    audit_record(
        user=user,
        action="token.revoke",
        obj_type="token",
        obj_id=token.pk,
        before={"for": token.user.get_username(), "name": token.name, "prefix": token.prefix},
    )
    token.delete()
