"""
The second service's two lanes, with SimpleJWT's shape: ``None`` for "not
mine", a short pipeline of steps, every refusal with the code of the check
that failed (the same codes the site's lanes give).

* ``remote_stateless``: the token, verified with the site's public key; the
  user is built from its claims.
* ``remote_denylist``: the same, then one Redis GET of the revocation marker
  the site writes when it revokes a user (``accounts.services
  .user_denylist_mark``): tokens issued at or before the mark are refused.
"""

from __future__ import annotations

from django.core.cache import caches
from django.utils.translation import gettext_lazy as _
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from remote.tokens import AccessToken

# What django-redis and redis-py raise when Redis cannot be reached or times out.
REDIS_ERRORS: tuple[type[Exception], ...] = (ConnectionInterrupted, RedisError)


def revocation_marker_key(user_id: object) -> str:
    """The key the site writes its marker under (``accounts.selectors.denylist_marker_key``)."""
    return f"auth:revoked-before:{user_id}"


class StoreUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The revocation store is unavailable; try again shortly.")
    default_code = "store_unavailable"


class StatelessJWTAuthentication(JWTStatelessUserAuthentication):
    """The ``remote_stateless`` lane: the token alone, checked with the site's public key."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        try:
            return AccessToken(raw_token)
        except TokenError as e:
            raise InvalidToken(e.args[0], code=e.args[0].code) from e

    def get_user(self, validated_token: Token) -> TokenUser:  # type: ignore[override]
        if api_settings.USER_ID_CLAIM not in validated_token:
            raise AuthenticationFailed(
                str(_("Token contained no recognizable user identification")),
                code="token_no_user",
            )
        return TokenUser(validated_token)


class DenylistJWTAuthentication(StatelessJWTAuthentication):
    """
    The ``remote_denylist`` lane: the stateless checks, then one Redis read:
    has the site revoked the user since this token was issued?
    """

    def get_user(self, validated_token: Token) -> TokenUser:  # type: ignore[override]
        user = super().get_user(validated_token)
        try:
            revoked_before = caches["revocation"].get(revocation_marker_key(user.id))
        except REDIS_ERRORS as e:
            # Never accept a token that could not be checked.
            raise StoreUnavailable from e
        if revoked_before is not None and validated_token["iat"] <= revoked_before:
            raise AuthenticationFailed(str(_("Token has been revoked")), code="token_revoked")
        return user
