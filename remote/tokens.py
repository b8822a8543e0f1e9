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
service shares no code with the site, only the contract.
"""

from __future__ import annotations

import threading
from typing import Any

import jwt
from django.conf import settings
from django.utils.translation import gettext_lazy as _
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
