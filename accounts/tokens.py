"""
SimpleJWT's tokens, whose every refusal says which check failed.

SimpleJWT reports a bad signature, a wrong audience and garbage alike as
"Token is invalid", and an expired, blacklisted or mistyped token through
messages only. Here each ``TokenError`` carries a machine code (an
``ErrorDetail`` code, which DRF carries into the error body and
``accounts.outcomes`` maps to an outcome). The messages stay SimpleJWT's.
Only the failure path pays.
"""

from __future__ import annotations

from typing import Any

import jwt
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ErrorDetail
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import (
    ExpiredTokenError,
    TokenBackendExpiredToken,
    TokenError,
)
from rest_framework_simplejwt.settings import api_settings

from accounts import keys

FAMILY_CLAIM = "family"
# The role claim: the name SimpleJWT's TokenUser reads, so the stateless lanes
# see the role with no code of ours.
STAFF_CLAIM = "is_staff"

# PyJWT's error classes, most specific first: the first one on the cause chain decides.
_DECODE_FAILURES: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((keys.RetiredSigningKey,), "token_key_retired"),
    ((keys.UnknownSigningKey,), "token_unknown_key"),
    ((ExpiredTokenError, TokenBackendExpiredToken, jwt.ExpiredSignatureError), "token_expired"),
    ((jwt.InvalidSignatureError, jwt.InvalidAlgorithmError), "token_bad_signature"),
    (
        (
            jwt.InvalidAudienceError,
            jwt.InvalidIssuerError,
            jwt.ImmatureSignatureError,
            jwt.MissingRequiredClaimError,
        ),
        "token_invalid_claims",
    ),
)


def _refused(message: str, code: str) -> TokenError:
    return TokenError(ErrorDetail(str(message), code=code))


def _decode_failure_code(error: BaseException) -> str:
    """Which check failed, read from the PyJWT error behind SimpleJWT's TokenError."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        for classes, code in _DECODE_FAILURES:
            if isinstance(current, classes):
                return code
        current = current.__cause__ or current.__context__
    return "token_malformed"


class SiteKeysTokenMixin:
    """Sign and verify with the site's keys (``accounts.keys``), as the settings are now."""

    @property
    def token_backend(self) -> TokenBackend:
        return keys.token_backend()


class CodedTokenMixin:
    """Give each of SimpleJWT's refusals a code; keep its checks and messages."""

    def __init__(self, token: Any = None, verify: bool = True) -> None:
        try:
            super().__init__(token, verify)  # type: ignore[call-arg]
        except TokenError as e:
            if getattr(e.args[0], "code", None):
                raise
            raise _refused(e.args[0], _decode_failure_code(e)) from e

    def check_exp(self, claim: str = "exp", current_time: Any = None) -> None:
        try:
            super().check_exp(claim, current_time)  # type: ignore[misc]
        except TokenError as e:
            missing = claim not in self.payload  # type: ignore[attr-defined]
            raise _refused(e.args[0], "token_invalid_claims" if missing else "token_expired") from e

    def verify(self) -> None:
        payload = self.payload  # type: ignore[attr-defined]
        if api_settings.JTI_CLAIM is not None and api_settings.JTI_CLAIM not in payload:
            raise _refused(str(_("Token has no id")), "token_no_id")
        super().verify()  # type: ignore[misc]

    def verify_token_type(self) -> None:
        try:
            super().verify_token_type()  # type: ignore[misc]
        except TokenError as e:
            raise _refused(e.args[0], "token_wrong_type") from e


class AccessToken(SiteKeysTokenMixin, CodedTokenMixin, tokens.AccessToken):
    """The access token every lane verifies."""


class RefreshToken(SiteKeysTokenMixin, CodedTokenMixin, tokens.RefreshToken):  # type: ignore[misc]  # SimpleJWT's own stubs
    """
    SimpleJWT's refresh token, plus a ``family`` claim: the id of the first
    token of its line. Rotation copies claims, so every descendant carries
    it, which is what lets a reused token end its whole line.
    """

    no_copy_claims = (*tokens.RefreshToken.no_copy_claims, FAMILY_CLAIM)  # type: ignore[assignment]
    access_token_class = AccessToken

    def __init__(self, token: Any = None, verify: bool = True) -> None:
        super().__init__(token, verify)
        if token is None:
            self[FAMILY_CLAIM] = self["jti"]

    def check_blacklist(self) -> None:
        try:
            super().check_blacklist()
        except TokenError as e:
            raise _refused(e.args[0], "token_blacklisted") from e


class UntypedToken(SiteKeysTokenMixin, CodedTokenMixin, tokens.UntypedToken):
    """Any token of ours, for the verify endpoint and reuse detection."""
