"""
The one role this site knows, staff, checked the same way on every lane.

The check only asks the user the lane handed over; what that user was built
from is the lane's business (``accounts.lanes.RoleSource``): a user row read
on this request (``session``, ``lookup``), the copy the session took at login
(``snapshot``), or the ``is_staff`` claim of the token (``stateless``,
``jwt_pages``, ``denylist``). That difference is what the role drill measures.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

ROLE_REQUIRED = "role_required"
PageView = Callable[..., HttpResponse]


def has_staff_role(user: Any) -> bool:
    return bool(getattr(user, "is_staff", False))


class HasStaffRole(BasePermission):
    """DRF's ``IsAdminUser``, refusing with a code of its own."""

    message = _("This needs the staff role, and your credential does not carry it.")
    code = ROLE_REQUIRED

    def has_permission(self, request: Request, view: APIView) -> bool:
        return has_staff_role(request.user)


def staff_required(*, area: str) -> Callable[[PageView], PageView]:
    """
    For a page, inside its area's login check: a 403 page that names the
    missing role, rather than a redirect to a login that would not help.
    """

    def decorator(view: PageView) -> PageView:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_staff_role(request.user):
                context = {"area": area, "code": ROLE_REQUIRED}
                return render(
                    request, "accounts/role_required.html", context, status=HTTPStatus.FORBIDDEN
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
