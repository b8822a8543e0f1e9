"""
The site's access tokens, verified with nothing but the site's public keys.

SimpleJWT's ``TokenBackend`` with a ``JWK_URL`` asks PyJWT's ``PyJWKClient``
for the key that a token's ``kid`` names. Here that client is given bounds
(``remote.settings``): the key set is kept for a while and then fetched
again; a ``kid`` that is not in it makes at most one refetch per cooldown, so
a flood of made-up kids is answered from memory; a fetch gives up quickly.
The URL is the configured one: ``jku``, ``x5u`` and ``jwk`` headers are never
read, and a ``kid`` is only ever compared, never fetched.

Each refusal carries the code the site gives for the same failure
(``accounts/tokens.py``): the codes are part of the API both services
answer, and the site maps them to outcomes when it stores this service's
measurements. The mapping is repeated rather than imported because this
service shares no code with the site, only the contract. So are the site's
two checks before any claim is read: the encoding must be canonical (a
lenient base64 decoder reads a padded or otherwise re-spelt token as the
genuine one), and the claims must have the types and ranges the code relies
on (the site's user ids are integers, written as strings).
"""

from __future__ import annotations

import re
import threading
from typing import Any

import jwt
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from jwt.utils import base64url_decode, base64url_encode
from rest_framework import status
from rest_framework.exceptions import APIException, ErrorDetail
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import (
    ExpiredTokenError,
    TokenBackendExpiredToken,
    TokenError,
)


class KeysUnavailable(APIException):
    """The site's key set could not be fetched: the token was not checked, so not accepted."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The site's public keys could not be fetched; try again shortly.")
    default_code = "keys_unavailable"


# PyJWT's and SimpleJWT's errors, most specific first: the first one on the cause chain decides.
_DECODE_FAILURES: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((ExpiredTokenError, TokenBackendExpiredToken, jwt.ExpiredSignatureError), "token_expired"),
    # The kid is missing, or names no key the site publishes (any more).
    ((jwt.PyJWKClientError,), "token_unknown_key"),
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


def _cause_chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _decode_failure_code(error: BaseException) -> str:
    for cause in _cause_chain(error):
        for classes, code in _DECODE_FAILURES:
            if isinstance(cause, classes):
                return code
    return "token_malformed"


def _refused(message: str, code: str) -> TokenError:
    return TokenError(ErrorDetail(str(message), code=code))


# The last second a datetime can hold (9999-12-31T23:59:59Z).
LATEST_NUMERIC_DATE = 253_402_300_799
MAX_ID_LENGTH = 255
# The site's ids: a 64-bit column, as SimpleJWT writes them (a string) or as an int.
_USER_ID = re.compile(r"[0-9]{1,19}")
MAX_USER_ID = 2**63 - 1
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def is_canonical(token: str | bytes) -> bool:
    """Whether each segment is the one base64url spelling of its bytes."""
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            return False
    for segment in token.split("."):
        # A length of 4n + 1 is no encoding at all.
        if not _BASE64URL.fullmatch(segment) or len(segment) % 4 == 1:
            return False
        if base64url_encode(base64url_decode(segment)).decode() != segment:
            return False
    return True


def _is_numeric_date(value: object) -> bool:
    return type(value) is int and 0 <= value <= LATEST_NUMERIC_DATE


def _is_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def _is_user_id(value: object) -> bool:
    if isinstance(value, str) and _USER_ID.fullmatch(value):
        return int(value) <= MAX_USER_ID
    return type(value) is int and 0 <= value <= MAX_USER_ID


def check_claims(payload: dict[str, Any]) -> None:
    """The site's claims check (``accounts.tokens.check_claims``), by the contract."""
    jwt_settings = simplejwt_settings.api_settings
    bad: list[str] = [
        claim
        for claim in ("exp", "iat", "nbf")
        if (claim in payload or claim == "iat") and not _is_numeric_date(payload.get(claim))
    ]
    bad += [
        claim
        for claim in (jwt_settings.JTI_CLAIM, "family")
        if claim is not None and claim in payload and not _is_id(payload[claim])
    ]
    user_id = payload.get(jwt_settings.USER_ID_CLAIM)
    if user_id is not None and not _is_user_id(user_id):
        bad.append(jwt_settings.USER_ID_CLAIM)
    if "is_staff" in payload and type(payload["is_staff"]) is not bool:
        bad.append("is_staff")
    if bad:
        raise _refused(
            str(_("Token has invalid claims: %(claims)s")) % {"claims": ", ".join(bad)},
            "token_invalid_claims",
        )


class JWKSTokenBackend(TokenBackend):
    """SimpleJWT's backend for a ``JWK_URL``, with PyJWT's client given this service's bounds."""

    def __init__(self, jwt_settings: Any) -> None:
        super().__init__(
            jwt_settings.ALGORITHM,
            None,
            "",
            jwt_settings.AUDIENCE,
            jwt_settings.ISSUER,
            jwt_settings.JWK_URL,
            jwt_settings.LEEWAY,
        )
        self.jwks_client = jwt.PyJWKClient(
            jwt_settings.JWK_URL,
            lifespan=settings.REMOTE_JWKS_LIFESPAN_SECONDS,
            cooldown_duration=settings.REMOTE_JWKS_REFETCH_SECONDS,
            timeout=settings.REMOTE_JWKS_TIMEOUT_SECONDS,
        )

    def get_verifying_key(self, token: Any) -> Any:
        # Before the kid, as on the site: a token under any other algorithm (alg none,
        # HMAC keyed with a public key) is refused as such, and costs no key-set fetch.
        if jwt.get_unverified_header(token).get("alg") != self.algorithm:
            raise jwt.InvalidAlgorithmError("The specified alg value is not allowed")
        return super().get_verifying_key(token)


_backend_lock = threading.Lock()
# The backend, and the SimpleJWT settings object it was built from.
_backend: tuple[object, JWKSTokenBackend] | None = None


def token_backend() -> JWKSTokenBackend:
    """
    One backend per process, so one cached key set. Rebuilt only when
    SimpleJWT's settings object is replaced (it is, when ``SIMPLE_JWT`` changes).
    """
    global _backend
    jwt_settings = simplejwt_settings.api_settings
    with _backend_lock:
        if _backend is None or _backend[0] is not jwt_settings:
            _backend = (jwt_settings, JWKSTokenBackend(jwt_settings))
        return _backend[1]


class AccessToken(tokens.AccessToken):
    """SimpleJWT's access token, verified with the site's public keys; every refusal coded."""

    @property
    def token_backend(self) -> TokenBackend:
        return token_backend()

    def __init__(self, token: Any = None, verify: bool = True) -> None:
        if token is not None and not is_canonical(token):
            raise _refused(str(_("Token is not canonically encoded")), "token_malformed")
        try:
            super().__init__(token, verify)
        except TokenError as e:
            if getattr(e.args[0], "code", None):
                raise
            if any(isinstance(cause, jwt.PyJWKClientConnectionError) for cause in _cause_chain(e)):
                raise KeysUnavailable from e
            raise _refused(e.args[0], _decode_failure_code(e)) from e

    def verify(self) -> None:
        jti_claim = simplejwt_settings.api_settings.JTI_CLAIM
        if jti_claim is not None and jti_claim not in self.payload:
            raise _refused(str(_("Token has no id")), "token_no_id")
        check_claims(self.payload)
        super().verify()

    def check_exp(self, claim: str = "exp", current_time: Any = None) -> None:
        try:
            super().check_exp(claim, current_time)
        except TokenError as e:
            missing = claim not in self.payload
            raise _refused(e.args[0], "token_invalid_claims" if missing else "token_expired") from e

    def verify_token_type(self) -> None:
        try:
            super().verify_token_type()
        except TokenError as e:
            raise _refused(e.args[0], "token_wrong_type") from e
