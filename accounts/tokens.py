"""
SimpleJWT's tokens, whose every refusal says which check failed.

SimpleJWT reports a bad signature, a wrong audience and garbage alike as
"Token is invalid", and an expired, blacklisted or mistyped token through
messages only. Here each ``TokenError`` carries a machine code (an
``ErrorDetail`` code, which DRF carries into the error body and
``accounts.outcomes`` maps to an outcome). The messages stay SimpleJWT's.

Two checks are added, for every token class, before any claim is used:

* the encoding is canonical: base64url without padding, nothing outside its
  alphabet, no stray bits. Python's decoder forgives all three, so a genuine
  token with "=" appended verified as the same token while its text (and the
  fingerprint the comparison app keeps of it) differed.
* the claims have the types and ranges the code after the signature relies
  on: whole-second times a datetime can hold, a string id, a user id the user
  table can hold. A token signed with the real key but with ``exp`` as a
  string or ``10**20``, no ``iat``, or a user id of the wrong type answered
  500 deep inside SimpleJWT or the ORM; now it is refused here with a code.
"""

from __future__ import annotations

import functools
import re
from typing import Any, cast

import jwt
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Field, IntegerField
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


# The last second a datetime can hold (9999-12-31T23:59:59Z).
LATEST_NUMERIC_DATE = 253_402_300_799
# As long as SimpleJWT's OutstandingToken.jti column.
MAX_ID_LENGTH = 255
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
# The last character of an unpadded base64url segment of 4n + 2 (4n + 3)
# characters carries 4 (2) bits past the last byte; only with those bits
# zero is it the one spelling of its bytes.
_CANONICAL_LAST = {2: frozenset("AQgw"), 3: frozenset("AEIMQUYcgkosw048")}


def _refused(message: str, code: str) -> TokenError:
    return TokenError(ErrorDetail(str(message), code=code))


def is_canonical(token: str | bytes) -> bool:
    """Whether each segment is the one base64url spelling of its bytes."""
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            return False
    for segment in token.split("."):
        if not _BASE64URL.fullmatch(segment):
            return False
        rest = len(segment) % 4
        # A length of 4n + 1 is no encoding at all.
        if rest == 1 or (rest and segment[-1] not in _CANONICAL_LAST[rest]):
            return False
    return True


def _is_numeric_date(value: object) -> bool:
    return type(value) is int and 0 <= value <= LATEST_NUMERIC_DATE


def _is_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


@functools.cache
def _user_id_field(model_label: str, name: str) -> Field:
    """
    The field a token's user id claim names, looked up once per user model and
    name (``get_user_model()`` on every token was a registry lookup each time).
    """
    return cast(Field, apps.get_model(model_label)._meta.get_field(name))


def _is_user_id(value: object) -> bool:
    """
    Whether ``value`` can name a user through ``USER_ID_FIELD``: the field
    itself says (an integer within the column's range, a UUID, ...). SimpleJWT
    writes the claim as a string; an integer field also takes an int.
    """
    field = _user_id_field(settings.AUTH_USER_MODEL, api_settings.USER_ID_FIELD)
    if isinstance(value, str):
        if not value.isascii() or len(value) > MAX_ID_LENGTH:
            return False
    elif type(value) is not int or not isinstance(field, IntegerField):
        return False
    try:
        field.run_validators(field.to_python(value))
    except ValidationError:
        return False
    return True


def check_claims(payload: dict[str, Any]) -> None:
    """
    The one check of claim types and ranges, run by every token class before
    SimpleJWT or a lane reads a claim. A missing ``exp``, id or type is
    reported by SimpleJWT's own checks, with codes of their own; ``iat`` is
    required here (the denylist lane compares it with the revocation time).
    """
    bad: list[str] = [
        claim
        for claim in ("exp", "iat", "nbf")
        if (claim in payload or claim == "iat") and not _is_numeric_date(payload.get(claim))
    ]
    bad += [
        claim
        for claim in (api_settings.JTI_CLAIM, FAMILY_CLAIM)
        if claim is not None and claim in payload and not _is_id(payload[claim])
    ]
    user_id = payload.get(api_settings.USER_ID_CLAIM)
    if user_id is not None and not _is_user_id(user_id):
        bad.append(api_settings.USER_ID_CLAIM)
    # TokenUser takes the claim's truth: the string "false" would be staff.
    if STAFF_CLAIM in payload and type(payload[STAFF_CLAIM]) is not bool:
        bad.append(STAFF_CLAIM)
    if bad:
        raise _refused(
            str(_("Token has invalid claims: %(claims)s")) % {"claims": ", ".join(bad)},
            "token_invalid_claims",
        )


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
        if token is not None and not is_canonical(token):
            raise _refused(str(_("Token is not canonically encoded")), "token_malformed")
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
        check_claims(payload)
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
