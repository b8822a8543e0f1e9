"""Reads of the accounts app: live sessions, outstanding tokens, revocation state."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.cache import caches
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import Token

from accounts.models import User
from accounts.session_index import LiveSession, SessionIndex, session_sign_out_reason
from accounts.sign_outs import SignOutReason


def token_user(*, user_id: object) -> User | None:
    """
    The user a token's user-id claim names, found as SimpleJWT finds it (by
    ``USER_ID_FIELD``, which need not be the primary key); None if none.
    The claim's type was checked with the token (``accounts.tokens.check_claims``).
    """
    if user_id is None:
        return None
    return User.objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()


def user_get(*, user_id: object) -> User | None:
    """The active user a token's user-id claim names, or None (unknown, deleted, deactivated)."""
    user = token_user(user_id=user_id)
    return user if user is not None and user.is_active else None


def user_token_id(*, user: User) -> str:
    """What tokens call ``user``: its user-id claim as SimpleJWT writes it (a string)."""
    return str(getattr(user, api_settings.USER_ID_FIELD))


def user_session_list(*, user: User) -> list[LiveSession]:
    """The user's live sessions, most recently seen first."""
    return SessionIndex(user.pk).live_sessions()


def session_end_reason(*, session_key: str) -> SignOutReason | None:
    """Why the session this key named has ended: known only to whoever holds the key."""
    return session_sign_out_reason(session_key)


def user_refresh_token_list(*, user: User) -> QuerySet[OutstandingToken]:
    """The user's refresh tokens that could still be exchanged: unexpired, not blacklisted."""
    return OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    ).order_by("-created_at")


def denylist_marker_key(*, user_id: int | str) -> str:
    """The marker's key, by the user's id as tokens name it (``user_token_id``)."""
    return f"auth:revoked-before:{user_id}"


def refresh_token_spent_at(*, jti: str) -> datetime | None:
    """When the refresh token ``jti`` was spent (rotated, logged out or revoked); None if not."""
    return (
        BlacklistedToken.objects.filter(token__jti=jti)
        .values_list("blacklisted_at", flat=True)
        .first()
    )


def access_token_is_revoked(*, token: Token, user_id: int | str) -> bool:
    """
    One Redis GET: was the user revoked at or after the moment this token was issued?

    Raises the cache's connection error when Redis cannot answer: a token that
    could not be checked is never taken as good.
    """
    revoked_before = caches[settings.ACCOUNTS_REVOCATION_CACHE_ALIAS].get(
        denylist_marker_key(user_id=user_id)
    )
    return revoked_before is not None and token["iat"] <= revoked_before
