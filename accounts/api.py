"""The JSON API: per-lane profile endpoints, a no-auth baseline, and the error format."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_simplejwt import views as jwt_views

from accounts import lanes
from accounts.exceptions import DatabaseUnavailable, TooManyAttempts
from accounts.lanes import Lane
from accounts.observers import Verdict, observe_auth
from accounts.outcomes import Outcome
from accounts.permissions import HasStaffRole

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, but every error body is an object with a machine-readable ``code``."""
    if isinstance(exc, DatabaseError):
        # No token is issued and no lookup is guessed at: ask the client to retry.
        logger.error("Database error on %s", context["request"].path, exc_info=exc)
        exc = DatabaseUnavailable()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, TooManyAttempts):
        response.data = exc.body()
    if not isinstance(response.data, dict):
        response.data = {"detail": response.data}
    if "code" not in response.data:
        codes = exc.get_codes() if isinstance(exc, APIException) else None
        response.data["code"] = codes if isinstance(codes, str) else "invalid"
    return response


# ------------------------------------------------------------------ documented shapes
class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    username = serializers.CharField()


class MeSerializer(serializers.Serializer):
    lane = serializers.CharField()
    user = UserSerializer()
    credential = serializers.DictField()


class PingSerializer(serializers.Serializer):
    ok = serializers.BooleanField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class EmptySerializer(serializers.Serializer):
    pass


ERRORS = {
    status.HTTP_400_BAD_REQUEST: OpenApiResponse(description="Malformed request body."),
    status.HTTP_401_UNAUTHORIZED: ErrorSerializer,
    status.HTTP_405_METHOD_NOT_ALLOWED: ErrorSerializer,
    status.HTTP_503_SERVICE_UNAVAILABLE: ErrorSerializer,
}


# ------------------------------------------------------------------ token endpoints
# Every answer of a token endpoint may carry a credential: no cache may keep one.
no_store = method_decorator(never_cache, name="dispatch")


@no_store
@extend_schema(responses={200: TokenPairSerializer, 429: ErrorSerializer, **ERRORS}, auth=[])
class TokenObtainPairView(jwt_views.TokenObtainPairView):
    """Log in: an access and a refresh token for a username and password."""


@no_store
@extend_schema(responses={200: TokenPairSerializer, **ERRORS}, auth=[])
class TokenRefreshView(jwt_views.TokenRefreshView):
    """Spend a refresh token for a new pair (rotation)."""


@no_store
@extend_schema(responses={200: EmptySerializer, **ERRORS}, auth=[])
class TokenVerifyView(jwt_views.TokenVerifyView):
    """Check a token's signature, expiry, issuer and audience."""


@no_store
@extend_schema(responses={200: EmptySerializer, **ERRORS}, auth=[])
class TokenBlacklistView(jwt_views.TokenBlacklistView):
    """Log out: blacklist a refresh token."""


# ------------------------------------------------------------------ per-lane profiles
@extend_schema(responses={200: PingSerializer}, auth=[])
class PingView(APIView):
    """No authentication at all: the baseline every lane is compared with."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


@extend_schema(responses={200: MeSerializer, status.HTTP_403_FORBIDDEN: ErrorSerializer, **ERRORS})
class MeView(APIView):
    """Who the credential says you are, as seen by one lane."""

    lane: Lane

    def get(self, request: Request) -> Response:
        user = {"id": _int_or_none(request.user.pk), "username": request.user.get_username()}
        return Response(
            {"lane": self.lane.name, "user": user, "credential": self.credential(request)}
        )

    def credential(self, request: Request) -> dict[str, Any]:
        token: Any = request.auth
        if token is None:
            return {"kind": "session", "expires_in": request.session.get_expiry_age()}
        return {"kind": "jwt", "jti": token["jti"], "iat": token["iat"], "exp": token["exp"]}


class SessionMeView(MeView):
    """The session lane as JSON; the lane runs (observed) when DRF reads the Django user."""

    lane = lanes.SESSION
    authentication_classes = [SessionAuthentication]


class LaneMeView(MeView):
    """One mounted lane (``accounts.lanes``); the URLconf gives its lane and authentication."""

    lane = lanes.STATELESS

    def perform_authentication(self, request: Request) -> None:
        observe_auth(request._request, lane=self.lane, step=lambda: _drf_verdict(request))


STAFF_ONLY: list[type[BasePermission]] = [IsAuthenticated, HasStaffRole]


class SessionStaffView(SessionMeView):
    """Who you are, if your user row has the staff role; else 403 ``role_required``."""

    permission_classes = STAFF_ONLY


class LaneStaffView(LaneMeView):
    """Who you are, if the user this lane built has the staff role; else 403 ``role_required``."""

    permission_classes = STAFF_ONLY


def _drf_verdict(request: Request) -> Verdict:
    # Reading request.user runs the view's authentication classes, once.
    user = request.user
    return Verdict(user, Outcome.MISSING if user is None else Outcome.ACCEPTED)


def _int_or_none(value: object) -> int | None:
    """A user id as JSON shows it: an integer, or null when the token named none."""
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
