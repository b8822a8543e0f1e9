"""The JSON API: per-lane profile endpoints, a no-auth baseline, and the error format."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_simplejwt import views as jwt_views

from comparison.models import Lane
from comparison.probe import measure_auth, user_id_of
from comparison.reasons import Outcome


class DatabaseUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The database is unavailable; try again shortly.")
    default_code = "database_unavailable"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, but every error body is an object with a machine-readable ``code``."""
    if isinstance(exc, DatabaseError):
        # No token is issued and no lookup is guessed at: ask the client to retry.
        logger.error("Database error on %s", context["request"].path, exc_info=exc)
        exc = DatabaseUnavailable()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if not isinstance(response.data, dict):
        response.data = {"detail": response.data}
    if "code" not in response.data:
        codes = exc.get_codes() if isinstance(exc, APIException) else None
        response.data["code"] = codes if isinstance(codes, str) else "invalid"
    return response


logger = logging.getLogger(__name__)


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
@extend_schema(responses={200: TokenPairSerializer, 429: ErrorSerializer, **ERRORS}, auth=[])
class TokenObtainPairView(jwt_views.TokenObtainPairView):
    """Log in: an access and a refresh token for a username and password."""


@extend_schema(responses={200: TokenPairSerializer, **ERRORS}, auth=[])
class TokenRefreshView(jwt_views.TokenRefreshView):
    """Spend a refresh token for a new pair (rotation)."""


@extend_schema(responses={200: EmptySerializer, **ERRORS}, auth=[])
class TokenVerifyView(jwt_views.TokenVerifyView):
    """Check a token's signature, expiry, issuer and audience."""


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

    lane = ""

    def get(self, request: Request) -> Response:
        user = {"id": user_id_of(request.user), "username": request.user.get_username()}
        return Response({"lane": self.lane, "user": user, "credential": self.credential(request)})

    def credential(self, request: Request) -> dict[str, Any]:
        return {}


class SessionMeView(MeView):
    """The session lane as JSON; the session probe runs when DRF reads the Django user."""

    lane = Lane.SESSION
    authentication_classes = [SessionAuthentication]

    def credential(self, request: Request) -> dict[str, Any]:
        return {"kind": "session", "expires_in": request.session.get_expiry_age()}


class JWTMeView(MeView):
    """One JWT lane; its authentication classes are given in the URLconf."""

    def perform_authentication(self, request: Request) -> None:
        """Run the lane's authentication inside the comparison app's probe."""
        header = request.META.get("HTTP_AUTHORIZATION", "")
        with measure_auth(
            request._request, lane=self.lane, credential=header, credential_bytes=len(header)
        ) as cost:
            if request.user is None:
                cost.outcome = Outcome.MISSING
            else:
                cost.user_id = user_id_of(request.user)

    def credential(self, request: Request) -> dict[str, Any]:
        token = request.auth
        return {"kind": "jwt", "jti": token["jti"], "iat": token["iat"], "exp": token["exp"]}
