from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import SimpleLazyObject
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from accounts.services import (
    SESSION_INDEXED_KEY,
    SESSION_LOGIN_AT,
    SESSION_SEEN_AT,
    session_expire,
    session_touch,
)
from comparison.models import Lane
from comparison.probe import AuthCost, measure_cookie_auth, user_id_of
from comparison.reasons import Outcome
from config.views import RETRY_AFTER_SECONDS, service_unavailable

logger = logging.getLogger(__name__)


class SessionStoreUnavailableError(Exception):
    """Redis could not be asked who this session belongs to."""


def get_session_user(request: HttpRequest) -> object:
    """
    Django's ``auth.get_user`` plus the two session timeouts, measured.

    The idle timeout is the session's TTL in Redis; it is pushed forward by
    re-saving the session, which costs a write, so that happens at most once
    per ``SESSION_ACTIVITY_RESOLUTION`` seconds rather than on every request.
    The absolute timeout counts from login and is never extended.
    """
    with measure_cookie_auth(
        request, lane=Lane.SESSION, cookie_name=settings.SESSION_COOKIE_NAME
    ) as cost:
        try:
            return _session_user(request, cost, has_cookie=bool(cost.credential_bytes))
        except (ConnectionInterrupted, RedisError) as e:
            raise SessionStoreUnavailableError from e


def _session_user(request: HttpRequest, cost: AuthCost, *, has_cookie: bool) -> object:
    session = request.session
    # Reading the session is the one Redis round trip of an ordinary request.
    had_user = auth.SESSION_KEY in session
    user = auth.get_user(request)
    if not user.is_authenticated:
        if not has_cookie:
            cost.outcome = Outcome.MISSING
        else:
            cost.outcome = Outcome.INACTIVE if had_user else Outcome.NOT_FOUND
        return user
    now = time.time()
    # A session without the stamp did not come through our login: fail closed.
    if now - session.get(SESSION_LOGIN_AT, 0) > settings.SESSION_ABSOLUTE_TIMEOUT:
        session_expire(request=request, user=user)
        cost.outcome = Outcome.EXPIRED
        return AnonymousUser()
    stale = now - session.get(SESSION_SEEN_AT, 0) >= settings.SESSION_ACTIVITY_RESOLUTION
    # A key cycled by update_session_auth_hash() is not in the index yet.
    moved = session.get(SESSION_INDEXED_KEY) != session.session_key
    if stale or moved:
        session_touch(request=request, user=user, now=now)
    cost.user_id = user_id_of(user)
    return user


class SessionAuthenticationMiddleware(AuthenticationMiddleware):
    """Resolve ``request.user`` from the session lazily, enforcing the session timeouts."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_session_user(request))


STORE_ERRORS = (SessionStoreUnavailableError, ConnectionInterrupted, RedisError, DatabaseError)


class StoreOutageMiddleware(MiddlewareMixin):
    """
    Answer 503 with ``Retry-After`` when Redis or the database cannot be
    reached, rather than a 500, and rather than a silently anonymous user.
    DRF views answer for themselves (``accounts.api.exception_handler``).
    """

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, STORE_ERRORS):
            return None
        logger.warning("Store unavailable on %s: %r", request.path, exception)
        response = service_unavailable(request)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class PrivateCacheMiddleware:
    """Responses that depended on a credential are never kept by shared caches."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "auth_cost", None) is not None:
            patch_cache_control(response, private=True, no_store=True)
        return response
