"""The JSON API of the JWT area: per-lane profile endpoints and the error format."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from comparison.probe import measure_auth
from comparison.reasons import Outcome


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, but every error body is an object with a machine-readable ``code``."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if not isinstance(response.data, dict):
        response.data = {"detail": response.data}
    if "code" not in response.data:
        codes = exc.get_codes() if isinstance(exc, APIException) else None
        response.data["code"] = codes if isinstance(codes, str) else "invalid"
    return response


class MeView(APIView):
    """Who the access token says you are, as seen by one verification lane."""

    lane = ""

    def perform_authentication(self, request: Request) -> None:
        """Run the lane's authentication inside the comparison app's probe."""
        header = request.META.get("HTTP_AUTHORIZATION", "")
        with measure_auth(
            request._request, lane=self.lane, credential=header, credential_bytes=len(header)
        ) as cost:
            if request.user is None:
                cost.outcome = Outcome.MISSING
            else:
                cost.user_id = int(request.user.pk)

    def get(self, request: Request) -> Response:
        token = request.auth
        return Response(
            {
                "lane": self.lane,
                "user": {"id": request.user.pk, "username": request.user.get_username()},
                "token": {"jti": token["jti"], "iat": token["iat"], "exp": token["exp"]},
            }
        )
