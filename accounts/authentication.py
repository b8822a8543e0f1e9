"""
The three JWT verification lanes, plus the cookie reader of the /jwt/ pages.

All lanes verify the same access token (signature, algorithm, expiry, issuer,
audience) with SimpleJWT; they differ only in what they consult afterwards:

* ``stateless``: nothing. ``JWTStatelessUserAuthentication`` as shipped.
* ``lookup``: the database, one query for the user. ``JWTAuthentication``.
* ``denylist``: Redis, one GET of the user's revocation marker.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework_simplejwt.authentication import (
    JWTAuthentication,
    JWTStatelessUserAuthentication,
)
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from accounts.selectors import access_token_is_revoked


class StoreUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The revocation store is unavailable; try again shortly.")
    default_code = "store_unavailable"


class DenylistJWTAuthentication(JWTStatelessUserAuthentication):
    """
    Stateless verification, then one Redis read: has the user been revoked
    since this token was issued? No database query.
    """

    def get_user(self, validated_token: Token) -> TokenUser:
        user = super().get_user(validated_token)
        try:
            revoked = access_token_is_revoked(
                token=validated_token, user_id=validated_token[api_settings.USER_ID_CLAIM]
            )
        except (ConnectionInterrupted, RedisError) as e:
            # Never accept a token that could not be checked.
            raise StoreUnavailable from e
        if revoked:
            raise AuthenticationFailed(_("Token has been revoked"), code="token_revoked")
        return user


LANES: dict[str, type[JWTAuthentication]] = {
    "stateless": JWTStatelessUserAuthentication,
    "lookup": JWTAuthentication,
    "denylist": DenylistJWTAuthentication,
}


def jwt_cookie_user(raw_token: str) -> TokenUser:
    """
    The user named by an access token from a cookie; raises like the lanes do.

    The /jwt/ pages verify statelessly, like a pure JWT deployment: revocation
    reaches them when the access token expires and its refresh is refused.
    """
    authentication = JWTStatelessUserAuthentication()
    return authentication.get_user(authentication.get_validated_token(raw_token.encode()))
