"""Reads of the accounts app: live sessions, outstanding tokens, revocation state."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.cache import caches
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.models import RevocationEvent, User
from accounts.session_index import LiveSession, SessionIndex, session_sign_out_reason
from accounts.sign_outs import SignOutReason, reason_for_revocation
from accounts.tokens import UntypedToken


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


def refresh_token_end_reason(*, raw_token: str) -> SignOutReason | None:
    """
    Why this refresh token can no longer be used, from what the database
    already records: the revocation that blacklisted it, if one did (every
    revocation is recorded before it blacklists), else the user ended it
    from another device. None while it is live, or if it is not ours.
    """
    try:
        payload = UntypedToken(raw_token).payload
    except TokenError as e:
        expired = getattr(e.args[0], "code", None) == "token_expired"
        return SignOutReason.EXPIRED if expired else None
    user_id = payload.get(api_settings.USER_ID_CLAIM)
    if payload.get(api_settings.TOKEN_TYPE_CLAIM) != "refresh" or user_id is None:
        return None
    blacklisted_at = (
        BlacklistedToken.objects.filter(token__jti=payload.get(api_settings.JTI_CLAIM))
        .values_list("blacklisted_at", flat=True)
        .first()
    )
    if blacklisted_at is None:
        return None
    revocation = (
        RevocationEvent.objects.filter(
            user_id=user_id,
            created_at__gte=datetime_from_epoch(payload["iat"]),
            created_at__lte=blacklisted_at,
        )
        .values_list("reason", flat=True)
        .first()
    )
    if revocation is None:
        return SignOutReason.ENDED_ELSEWHERE
    return reason_for_revocation(revocation)


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
