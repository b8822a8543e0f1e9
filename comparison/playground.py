"""
The playground: the article's simulator, except that every button makes real
requests to this site.

A visitor gets a throwaway account of their own, named by a signed cookie, so
the "Revoke (as admin)" button can only ever revoke the visitor's own demo
user, and the "Role change" scenario only ever gives and removes the staff
role of that user (which the admin site refuses all the same:
``accounts.admin_site``). Credentials issued here are short-lived
(``COMPARISON_PLAYGROUND_CREDENTIAL_SECONDS``) so that expiry can be watched
rather than simulated.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.contrib import auth
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from rest_framework_simplejwt.settings import api_settings

from accounts.lanes import Credential, bearer_lanes, site_lanes
from accounts.models import RevocationEvent, User
from accounts.serializers import TokenObtainPairSerializer
from accounts.services import demo_user_create, user_revoke_access, user_set_staff
from comparison.selectors import ROLE_SOURCE_LABELS

DEMO_COOKIE = "playground-demo"
DEMO_COOKIE_SALT = "comparison.playground"


@require_GET
def playground(request: HttpRequest) -> HttpResponse:
    context = {
        "lanes": bearer_lanes(),
        # The lanes a browser can reach here: the session cookie, or a bearer token.
        "role_lanes": [
            (lane, ROLE_SOURCE_LABELS[lane.role_from])
            for lane in site_lanes()
            if lane.credential in {Credential.SESSION_COOKIE, Credential.BEARER}
        ],
        "credential_seconds": settings.COMPARISON_PLAYGROUND_CREDENTIAL_SECONDS,
    }
    return render(request, "comparison/playground.html", context)


def _demo_user(request: HttpRequest) -> User:
    """This browser's demo user, made on first use."""
    try:
        user_id = request.get_signed_cookie(
            DEMO_COOKIE, salt=DEMO_COOKIE_SALT, max_age=timedelta(days=1)
        )
    except (KeyError, signing.BadSignature):
        user_id = None
    user = User.objects.filter(pk=user_id, is_demo=True).first() if user_id else None
    return user or demo_user_create()


def _answer(request: HttpRequest, user: User, data: dict) -> JsonResponse:
    # Logging in rotates the CSRF token; hand the page the current one.
    response = JsonResponse({"username": user.username, "csrf_token": get_token(request), **data})
    response.set_signed_cookie(
        DEMO_COOKIE,
        str(user.pk),
        salt=DEMO_COOKIE_SALT,
        max_age=int(timedelta(days=1).total_seconds()),
        httponly=True,
        samesite="Strict",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@require_POST
@never_cache
def session_login(request: HttpRequest) -> JsonResponse:
    user = _demo_user(request)
    # No password is checked: the backend only names who loads the user on later requests.
    auth.login(request, user, backend="accounts.backends.PasswordBackend")
    seconds = settings.COMPARISON_PLAYGROUND_CREDENTIAL_SECONDS
    # A real, short Redis TTL: the session disappears from the store by itself.
    request.session.set_expiry(seconds)
    return _answer(request, user, {"expires_at": time.time() + seconds})


@require_POST
@never_cache
def session_logout(request: HttpRequest) -> JsonResponse:
    user = _demo_user(request)
    auth.logout(request)
    return _answer(request, user, {"logged_out": True})


@require_POST
@never_cache
def jwt_login(request: HttpRequest) -> JsonResponse:
    user = _demo_user(request)
    refresh = TokenObtainPairSerializer.get_token(user)
    access = refresh.access_token
    access.set_exp(lifetime=timedelta(seconds=settings.COMPARISON_PLAYGROUND_CREDENTIAL_SECONDS))
    return _answer(
        request,
        user,
        {
            "access": str(access),
            "refresh": str(refresh),
            "leeway_seconds": api_settings.LEEWAY.total_seconds(),
        },
    )


@require_POST
@never_cache
def revoke(request: HttpRequest) -> JsonResponse:
    user = _demo_user(request)
    event = user_revoke_access(user=user, actor=None, reason=RevocationEvent.Reason.PLAYGROUND)
    return _answer(
        request,
        user,
        {
            "sessions_ended": event.sessions_ended,
            "refresh_tokens_blacklisted": event.refresh_tokens_blacklisted,
            "revoked_at": event.created_at.timestamp(),
        },
    )


def _set_staff(request: HttpRequest, *, is_staff: bool) -> JsonResponse:
    user = _demo_user(request)
    # Nothing is revoked: the scenario shows what each lane does by default.
    user_set_staff(user=user, is_staff=is_staff, actor=None)
    return _answer(request, user, {"is_staff": user.is_staff})


@require_POST
@never_cache
def role_grant(request: HttpRequest) -> JsonResponse:
    return _set_staff(request, is_staff=True)


@require_POST
@never_cache
def role_remove(request: HttpRequest) -> JsonResponse:
    return _set_staff(request, is_staff=False)
