from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings

from accounts.exceptions import TooManyAttempts
from accounts.lockout import lockout_seconds
from accounts.models import User
from accounts.selectors import refresh_token_spent_at, token_user
from accounts.services import (
    RefreshReuse,
    refresh_token_record,
    refresh_token_reuse_check,
    refresh_token_spend,
)
from accounts.tokens import STAFF_CLAIM, AccessToken, RefreshToken, UntypedToken


def stamp_user_claims(token: RefreshToken, user: Any) -> None:
    """
    The claims read from the user row: the name the stateless pages greet the
    user by, the role, and for the playground's accounts that they are
    demo ones (an observer tells the playground's requests by it, without a
    query). Claims are readable by anyone holding the token: keep them minimal.
    """
    token["username"] = user.get_username()
    token[STAFF_CLAIM] = user.is_staff
    if getattr(user, "is_demo", False):
        token["is_demo"] = True


class TokenObtainPairSerializer(jwt_serializers.TokenObtainPairSerializer):
    """SimpleJWT's pair, plus the user's name and role."""

    token_class = RefreshToken

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        try:
            return super().validate(attrs)
        except exceptions.AuthenticationFailed:
            # django-axes marks the request it was given, which here is DRF's
            # request, out of AxesMiddleware's sight: answer the lockout here.
            request = self.context.get("request")
            if getattr(request, "axes_locked_out", False):
                raise TooManyAttempts(wait=lockout_seconds(request)) from None
            raise

    @classmethod
    def get_token(cls, user: Any, *, lifetime: timedelta | None = None) -> RefreshToken:
        """A new refresh token; with ``lifetime``, shorter-lived than the setting says."""
        token = cast(RefreshToken, super().get_token(user))
        stamp_user_claims(token, user)
        if lifetime is not None and lifetime < api_settings.REFRESH_TOKEN_LIFETIME:
            token.set_exp(lifetime=lifetime)
            refresh_token_record(token=token)
        return token


def issued_lifetime(refresh: RefreshToken) -> timedelta:
    """How long a refresh token was issued for (never more than the setting): rotation keeps it."""
    issued_for = timedelta(seconds=refresh["exp"] - refresh["iat"])
    return min(issued_for, api_settings.REFRESH_TOKEN_LIFETIME)


def access_token_for(refresh: RefreshToken) -> AccessToken:
    """The access token of a pair, never outliving the lifetime its refresh token was issued for."""
    access = cast(AccessToken, refresh.access_token)
    lifetime = min(issued_lifetime(refresh), api_settings.ACCESS_TOKEN_LIFETIME)
    # Issued at the refresh token's moment, as its expiry already counts from it.
    access.set_iat(at_time=refresh.current_time)
    access.set_exp(from_time=refresh.current_time, lifetime=lifetime)
    return access


def _coded(error: TokenError) -> InvalidToken:
    """SimpleJWT's views answer every TokenError as "token_not_valid": keep the check's own code."""
    detail = error.args[0]
    return InvalidToken(detail, code=getattr(detail, "code", None) or InvalidToken.default_code)


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """
    SimpleJWT's rotating refresh, made safe under concurrency and for deleted users.

    The old token is spent (blacklisted through a unique INSERT) before a new
    pair is minted, inside one transaction: of N simultaneous refreshes with
    one token exactly one succeeds, and a failure after spending rolls the
    spend back. A token presented after it was spent is taken as stolen: the
    whole family descended from its login is ended (OWASP's advice for
    rotating refresh tokens), since the server cannot tell thief from owner;
    except within ``ACCOUNTS_REFRESH_REUSE_GRACE_SECONDS`` of the spend, where
    it is two tabs refreshing at once (``accounts.services.refresh_token_reuse_check``).

    The user's claims are stamped afresh from the row the refresh reads
    anyway: SimpleJWT copies them from the old token, which would carry a
    removed role from one refresh to the next for the refresh token's whole
    lifetime, not one access token's.
    """

    token_class = RefreshToken

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        raw_token = attrs["refresh"]
        try:
            refresh = self.token_class(raw_token)
        except TokenError as e:
            raise self._refused(raw_token, _coded(e)) from e
        user = self._check_user(refresh)
        # A short-lived pair (the playground's) stays short-lived across rotation.
        lifetime = issued_lifetime(refresh)
        try:
            with transaction.atomic():
                refresh_token_spend(token=refresh, user=user)
                stamp_user_claims(refresh, user)
                refresh.set_jti()
                refresh.set_exp(lifetime=lifetime)
                refresh.set_iat()
                refresh.outstand()
                data = {"access": str(access_token_for(refresh)), "refresh": str(refresh)}
        except InvalidToken as e:
            # Spent a moment ago by a concurrent request: a reuse all the same.
            raise self._refused(raw_token, e) from e
        return data

    def _refused(self, raw_token: str, error: InvalidToken) -> InvalidToken:
        if refresh_token_reuse_check(raw_token=raw_token) is RefreshReuse.RACE:
            return InvalidToken(
                str(_("This token was exchanged a moment ago: use the pair issued then.")),
                code="token_refresh_race",
            )
        return error

    def _check_user(self, refresh: RefreshToken) -> User:
        user = token_user(user_id=refresh.get(api_settings.USER_ID_CLAIM))
        if user is None or not api_settings.USER_AUTHENTICATION_RULE(user):
            raise AuthenticationFailed(
                str(self.error_messages["no_active_account"]), code="no_active_account"
            )
        return user


class TokenVerifySerializer(jwt_serializers.TokenVerifySerializer):
    """
    SimpleJWT's check, made with this site's keys (its own names SimpleJWT's
    UntypedToken), every refusal a 401 with its code.
    """

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            token = UntypedToken(attrs["token"])
        except TokenError as e:
            raise _coded(e) from e
        if refresh_token_spent_at(jti=token[api_settings.JTI_CLAIM]) is not None:
            raise InvalidToken(str(_("Token is blacklisted")), code="token_blacklisted")
        return {}


class TokenBlacklistSerializer(jwt_serializers.TokenBlacklistSerializer):
    """Log out: SimpleJWT's blacklisting, reading the token with this site's keys and codes."""

    token_class = RefreshToken

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            refresh = self.token_class(attrs["refresh"])
        except TokenError as e:
            raise _coded(e) from e
        refresh.blacklist()
        return {}
