"""
The lanes that are DRF authentication classes (see ``accounts.lanes``).

All of them verify the same access token (signature, algorithm, expiry,
issuer, audience) with SimpleJWT; they differ only in what they consult
afterwards:

* ``stateless``: nothing; the user is built from the token's claims.
* ``lookup``: the database, one query for the user row.
* ``denylist``: Redis, one GET of the user's revocation marker.
* ``jwt_pages``: the stateless lane, with the token read from a cookie.

And one session lane with SimpleJWT's shape, ``snapshot``, whose user comes
from the session itself (``accounts.session_lanes``).

Each refusal is an ``AuthenticationFailed`` with the ``code`` of the check
that failed, and a missing credential is ``None``: SimpleJWT's own shape.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import (
    JWTAuthentication,
    JWTStatelessUserAuthentication,
)
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from accounts.exceptions import REDIS_ERRORS, StoreUnavailable
from accounts.selectors import access_token_is_revoked
from accounts.session_lanes import SnapshotUser, snapshot_user
from accounts.tokens import AccessToken

# Whom a lane authenticates: a user row (lookup) or a user built from the token.
AnyUser = AbstractBaseUser | TokenUser


class CodedJWTAuthentication(JWTAuthentication):
    """SimpleJWT's pipeline; a refused token keeps the code of the check that failed."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        try:
            return AccessToken(raw_token)
        except TokenError as e:
            raise InvalidToken(e.args[0], code=e.args[0].code) from e

    # SimpleJWT annotates get_user() with a TypeVar that no argument binds;
    # no concrete return type can match it, hence the ignores below.
    def get_user(self, validated_token: Token) -> AnyUser:  # type: ignore[override]
        if api_settings.USER_ID_CLAIM not in validated_token:
            raise AuthenticationFailed(
                str(_("Token contained no recognizable user identification")),
                code="token_no_user",
            )
        return super().get_user(validated_token)


class LookupJWTAuthentication(CodedJWTAuthentication):
    """The ``lookup`` lane: the token, then the user row."""


class StatelessJWTAuthentication(CodedJWTAuthentication, JWTStatelessUserAuthentication):  # type: ignore[misc]
    """The ``stateless`` lane: the token alone."""


class DenylistJWTAuthentication(StatelessJWTAuthentication):
    """
    The ``denylist`` lane: stateless verification, then one Redis read: has
    the user been revoked since this token was issued? No database query.
    """

    def get_user(self, validated_token: Token) -> AnyUser:  # type: ignore[override]
        user = super().get_user(validated_token)
        try:
            revoked = access_token_is_revoked(
                token=validated_token, user_id=validated_token[api_settings.USER_ID_CLAIM]
            )
        except REDIS_ERRORS as e:
            # Never accept a token that could not be checked.
            raise StoreUnavailable from e
        if revoked:
            raise AuthenticationFailed(str(_("Token has been revoked")), code="token_revoked")
        return user


class JWTCookieAuthentication(StatelessJWTAuthentication):
    """
    The ``jwt_pages`` lane: the stateless lane, reading the access token from
    its HttpOnly cookie. Revocation reaches these pages when the access token
    expires and its refresh is refused, as in a pure JWT deployment.
    """

    def authenticate(self, request: HttpRequest) -> tuple[AnyUser, Token] | None:  # type: ignore[override]
        raw_token = request.COOKIES.get(settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME)
        if not raw_token:
            return None
        validated_token = self.get_validated_token(raw_token.encode())
        return self.get_user(validated_token), validated_token


class SessionSnapshotAuthentication(SessionAuthentication):
    """
    The ``snapshot`` lane: the session cookie, and the user the session
    carries, with no query. DRF's CSRF check still guards unsafe methods.
    """

    def authenticate(self, request: Request) -> tuple[SnapshotUser, None] | None:
        user, refusal = snapshot_user(request._request)
        if refusal == "session_missing":
            return None
        if refusal:
            raise AuthenticationFailed(str(_("Your session is not valid.")), code=refusal)
        self.enforce_csrf(request)
        return user, None
