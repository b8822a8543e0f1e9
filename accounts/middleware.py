"""
The session lane (``accounts.lanes.SESSION``): who the session cookie says
you are, with the idle and absolute timeouts enforced.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject

from accounts import lanes
from accounts.exceptions import REDIS_ERRORS, SessionStoreUnavailableError
from accounts.observers import Verdict, observe_auth
from accounts.outcomes import Outcome
from accounts.services import (
    SESSION_INDEXED_KEY,
    SESSION_LOGIN_AT,
    SESSION_SEEN_AT,
    session_expire,
    session_touch,
)


def get_session_user(request: HttpRequest) -> object:
    """Django's ``auth.get_user`` plus the two session timeouts, as the session lane."""
    return observe_auth(request, lane=lanes.SESSION, step=partial(_session_verdict, request)).user


def _session_verdict(request: HttpRequest) -> Verdict:
    try:
        return _resolve_session(request)
    except REDIS_ERRORS as e:
        raise SessionStoreUnavailableError from e


def _resolve_session(request: HttpRequest) -> Verdict:
    """
    The idle timeout is the session's TTL in Redis; it is pushed forward by
    re-saving the session, which costs a write, so that happens at most once
    per ``ACCOUNTS_SESSION_ACTIVITY_RESOLUTION`` seconds rather than on every
    request. The absolute timeout counts from login and is never extended.
    """
    session = request.session
    # Reading the session is the one Redis round trip of an ordinary request.
    had_user = auth.SESSION_KEY in session
    user = auth.get_user(request)
    if not user.is_authenticated:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return Verdict(user, Outcome.MISSING)
        return Verdict(user, Outcome.INACTIVE if had_user else Outcome.NOT_FOUND)
    now = time.time()
    # A session without the stamp did not come through our login: fail closed.
    if now - session.get(SESSION_LOGIN_AT, 0) > settings.ACCOUNTS_SESSION_ABSOLUTE_TIMEOUT:
        session_expire(request=request, user=user)
        return Verdict(AnonymousUser(), Outcome.EXPIRED)
    stale = now - session.get(SESSION_SEEN_AT, 0) >= settings.ACCOUNTS_SESSION_ACTIVITY_RESOLUTION
    # A key cycled by update_session_auth_hash() is not in the index yet.
    moved = session.get(SESSION_INDEXED_KEY) != session.session_key
    if stale or moved:
        session_touch(request=request, user=user, now=now)
    return Verdict(user, Outcome.ACCEPTED)


class SessionAuthenticationMiddleware(AuthenticationMiddleware):
    """Resolve ``request.user`` from the session lazily, enforcing the session timeouts."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_session_user(request))


class PrivateCacheMiddleware:
    """Responses that depended on a credential are never kept by shared caches."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "auth_lane", None) is not None:
            patch_cache_control(response, private=True, no_store=True)
        return response
