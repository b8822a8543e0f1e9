"""Reads of the accounts app: live sessions, outstanding tokens, revocation state."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import Token

from accounts.models import User
from accounts.session_index import LiveSession, SessionIndex


def user_get(*, user_id: int | str | None) -> User | None:
    """The active user with this id, or None (none named, unknown, deleted or deactivated)."""
    if user_id is None:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def user_session_list(*, user: User) -> list[LiveSession]:
    """The user's live sessions, most recently seen first."""
    return SessionIndex(user.pk).live_sessions()


def user_refresh_token_list(*, user: User) -> QuerySet[OutstandingToken]:
    """The user's refresh tokens that could still be exchanged: unexpired, not blacklisted."""
    return OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    ).order_by("-created_at")


def denylist_marker_key(*, user_id: int | str) -> str:
    return f"auth:revoked-before:{user_id}"


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
