"""
The playground: the article's simulator, except that every button makes real
requests to this site.

A visitor gets a throwaway account of their own, named by a signed cookie, so
the "Revoke (as admin)" button can only ever revoke the visitor's own demo
user, and the "Role change" scenario only ever gives and removes the staff
role of that user (which the admin site refuses all the same:
``accounts.admin_site``). Credentials issued here (session, access and
refresh tokens alike) are short-lived (``COMPARISON_PLAYGROUND_CREDENTIAL_SECONDS``)
so that expiry can be watched rather than simulated. Accounts are made by the
two login actions only, within the limits of ``accounts.services.demo_user_create``,
and deleted soon after their credentials expire.
"""

from __future__ import annotations

import time
from datetime import timedelta
from http import HTTPStatus

from django.conf import settings
from django.contrib import auth
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from rest_framework_simplejwt.settings import api_settings

from accounts.addresses import client_address
from accounts.exceptions import TooManyAttempts
from accounts.forms import parse_row_id
from accounts.lanes import Credential, bearer_lanes, site_lanes
from accounts.models import RevocationEvent, User
from accounts.serializers import TokenObtainPairSerializer, access_token_for
from accounts.services import (
    demo_user_create,
    demo_user_seen,
    demo_users_delete_expired,
    user_revoke_access,
    user_set_staff,
)
from comparison.selectors import ROLE_SOURCE_LABELS

DEMO_COOKIE_SALT = "comparison.playground"
# Expired demo accounts a login deletes before making one; the command deletes the rest.
CLEANUP_BATCH = 20


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


def credential_lifetime() -> timedelta:
    return timedelta(seconds=settings.COMPARISON_PLAYGROUND_CREDENTIAL_SECONDS)


def demo_account_idle() -> timedelta:
    """How long after its last login a demo account can still hold a valid credential."""
    return credential_lifetime() + api_settings.LEEWAY


def _demo_user(request: HttpRequest) -> User | None:
    """This browser's demo user, if its cookie names one that still exists."""
    try:
        value = request.get_signed_cookie(
            settings.COMPARISON_PLAYGROUND_DEMO_COOKIE_NAME,
            salt=DEMO_COOKIE_SALT,
            max_age=timedelta(days=1),
        )
    except (KeyError, signing.BadSignature):
        return None
    user_id = parse_row_id(value)
    return User.objects.filter(pk=user_id, is_demo=True).first() if user_id else None


def _demo_user_for_login(request: HttpRequest) -> User:
    """
    The demo user a login action signs in: this browser's, or a new one.
    Only the login actions make accounts, and each first deletes a batch of
    expired ones, so accounts go soon after their credentials do.
    """
    demo_users_delete_expired(idle=demo_account_idle(), limit=CLEANUP_BATCH)
    user = _demo_user(request)
    if user is None:
        return demo_user_create(address=client_address(request), idle=demo_account_idle())
    demo_user_seen(user=user)
    return user


def _too_many(refusal: TooManyAttempts) -> JsonResponse:
    response = JsonResponse(refusal.body(), status=HTTPStatus.TOO_MANY_REQUESTS)
    response["Retry-After"] = str(refusal.wait)
    return response


def _answer(request: HttpRequest, user: User, data: dict) -> JsonResponse:
    # Logging in rotates the CSRF token; hand the page the current one.
    response = JsonResponse({"username": user.username, "csrf_token": get_token(request), **data})
    response.set_signed_cookie(
        settings.COMPARISON_PLAYGROUND_DEMO_COOKIE_NAME,
        str(user.pk),
        salt=DEMO_COOKIE_SALT,
        max_age=int(timedelta(days=1).total_seconds()),
        httponly=True,
        samesite="Strict",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def _no_demo_account() -> JsonResponse:
    return JsonResponse(
        {"detail": "This browser has no demo account: log in first.", "code": "no_demo_account"},
        status=HTTPStatus.NOT_FOUND,
    )


@require_POST
@never_cache
def session_login(request: HttpRequest) -> JsonResponse:
    try:
        user = _demo_user_for_login(request)
    except TooManyAttempts as refusal:
        return _too_many(refusal)
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
    if user is None:
        return JsonResponse({"username": None, "logged_out": True})
    return _answer(request, user, {"logged_out": True})


@require_POST
@never_cache
def jwt_login(request: HttpRequest) -> JsonResponse:
    try:
        user = _demo_user_for_login(request)
    except TooManyAttempts as refusal:
        return _too_many(refusal)
    refresh = TokenObtainPairSerializer.get_token(user, lifetime=credential_lifetime())
    return _answer(
        request,
        user,
        {
            "access": str(access_token_for(refresh)),
            "refresh": str(refresh),
            "leeway_seconds": api_settings.LEEWAY.total_seconds(),
        },
    )


@require_POST
@never_cache
def revoke(request: HttpRequest) -> JsonResponse:
    user = _demo_user(request)
    if user is None:
        return _no_demo_account()
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
    if user is None:
        return _no_demo_account()
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
