"""
"Who am I" for each of this service's lanes, in the site's JSON shape, and
its staff-only sibling, refused with ``role_required`` as on the site.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import APIException
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from remote.measure import observe


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


class HasStaffRole(BasePermission):
    """The ``is_staff`` claim, as the token carries it."""

    message = _("This needs the staff role, and your credential does not carry it.")
    code = "role_required"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(getattr(request.user, "is_staff", False))


class MeView(APIView):
    """Who the token says you are, as one lane of this service sees it."""

    lane = ""

    def perform_authentication(self, request: Request) -> None:
        # Reading request.user runs the view's authentication class, once.
        observe(request._request, lane=self.lane, step=lambda: request.user)

    def get(self, request: Request) -> Response:
        token: Any = request.auth
        return Response(
            {
                "lane": self.lane,
                "user": {"id": _int_or_none(request.user.pk), "username": request.user.username},
                "credential": {
                    "kind": "jwt",
                    "jti": token["jti"],
                    "iat": token["iat"],
                    "exp": token["exp"],
                },
            }
        )


class StaffView(MeView):
    """Who you are, if the token carries the staff role; else 403 ``role_required``."""

    permission_classes = [IsAuthenticated, HasStaffRole]


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
