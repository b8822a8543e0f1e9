"""
Outcome codes of an authentication step, and how an exception maps to one.

SimpleJWT folds most failures into one ``InvalidToken``; the PyJWT error that
caused it is still on the exception chain, so the reason is read from there
rather than by decoding the token a second time.
"""

from __future__ import annotations

import jwt
from django.db import DatabaseError
from django.db.models import TextChoices
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError
from rest_framework.exceptions import APIException
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenBackendExpiredToken


class Outcome(TextChoices):
    ACCEPTED = "accepted", "Accepted"
    MISSING = "missing", "No credential"
    MALFORMED = "malformed", "Malformed credential"
    BAD_SIGNATURE = "bad_signature", "Bad signature or algorithm"
    INVALID_CLAIMS = "invalid_claims", "Wrong issuer, audience or token type"
    EXPIRED = "expired", "Expired"
    NOT_FOUND = "not_found", "No such session (ended, expired or never made)"
    REVOKED = "revoked", "Revoked"
    INACTIVE = "inactive", "User inactive, deleted or password changed"
    BLACKLISTED = "blacklisted", "Refresh token blacklisted"
    STORE_UNAVAILABLE = "store_unavailable", "Store unavailable"


ACCEPTED = Outcome.ACCEPTED.value

_CODES = {
    "bad_authorization_header": Outcome.MALFORMED,
    "token_revoked": Outcome.REVOKED,
    "user_inactive": Outcome.INACTIVE,
    "user_not_found": Outcome.INACTIVE,
    "no_active_account": Outcome.INACTIVE,
    "store_unavailable": Outcome.STORE_UNAVAILABLE,
    "not_authenticated": Outcome.MISSING,
}


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def token_error_reason(error: BaseException) -> str:
    """Why SimpleJWT refused a token, read from the PyJWT error behind its TokenError."""
    for cause in _chain(error):
        if isinstance(
            cause, ExpiredTokenError | TokenBackendExpiredToken | jwt.ExpiredSignatureError
        ):
            return Outcome.EXPIRED
        if isinstance(cause, jwt.InvalidSignatureError | jwt.InvalidAlgorithmError):
            return Outcome.BAD_SIGNATURE
        if isinstance(
            cause, jwt.InvalidAudienceError | jwt.InvalidIssuerError | jwt.ImmatureSignatureError
        ):
            return Outcome.INVALID_CLAIMS
        if isinstance(cause, jwt.DecodeError):
            return Outcome.MALFORMED
    message = str(error)
    if "blacklisted" in message:
        return Outcome.BLACKLISTED
    if "wrong type" in message or "no id" in message:
        return Outcome.INVALID_CLAIMS
    return Outcome.MALFORMED


def _detail_codes(exc: APIException) -> list[str]:
    """The codes an API error carries: its own, then those of SimpleJWT's per-token messages."""
    detail = exc.detail
    if not isinstance(detail, dict):
        return [exc.get_codes()] if isinstance(exc.get_codes(), str) else []
    codes = [str(detail["code"])] if "code" in detail else []
    codes += [
        getattr(message.get("message"), "code", "")
        for message in detail.get("messages", [])
        if isinstance(message, dict)
    ]
    return codes


def rejection_reason(exc: BaseException) -> str:
    """The outcome code for an exception raised while authenticating."""
    chain = _chain(exc)
    if any(
        isinstance(error, ConnectionInterrupted | RedisError | DatabaseError) for error in chain
    ):
        return Outcome.STORE_UNAVAILABLE
    if isinstance(exc, APIException):
        for code in _detail_codes(exc):
            if code in _CODES:
                return _CODES[code]
            if code in Outcome.values:
                return code
    return token_error_reason(exc)
