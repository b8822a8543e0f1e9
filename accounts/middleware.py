from __future__ import annotations

import time

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.services import (
    SESSION_INDEXED_KEY,
    SESSION_LOGIN_AT,
    SESSION_SEEN_AT,
    session_expire,
    session_touch,
)


def get_session_user(request: HttpRequest) -> object:
    """
    Django's ``auth.get_user`` plus the two session timeouts.

    The idle timeout is the session's TTL in Redis; it is pushed forward by
    re-saving the session, which costs a write, so that happens at most once
    per ``SESSION_ACTIVITY_RESOLUTION`` seconds rather than on every request.
    The absolute timeout counts from login and is never extended.
    """
    user = auth.get_user(request)
    if not user.is_authenticated:
        return user
    session = request.session
    now = time.time()
    # A session without the stamp did not come through our login: fail closed.
    login_at = session.get(SESSION_LOGIN_AT, 0)
    if now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT:
        session_expire(request=request, user=user)
        return AnonymousUser()
    stale = now - session.get(SESSION_SEEN_AT, 0) >= settings.SESSION_ACTIVITY_RESOLUTION
    # A key cycled by update_session_auth_hash() is not in the index yet.
    moved = session.get(SESSION_INDEXED_KEY) != session.session_key
    if stale or moved:
        session_touch(request=request, user=user, now=now)
    return user


class SessionAuthenticationMiddleware(AuthenticationMiddleware):
    """Resolve ``request.user`` from the session lazily, enforcing the session timeouts."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_session_user(request))
