"""
``request.user`` from the session (the ``session`` lane, see
``accounts.session_lanes``), and the cache headers of credentialed answers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject

from accounts import lanes
from accounts.observers import Verdict, observe_auth
from accounts.session_lanes import session_user


def get_session_user(request: HttpRequest) -> Any:
    """
    Django's ``auth.get_user`` plus the two session timeouts, as the session
    lane: run (and observed) once per request, however the user is asked for.
    """
    if not hasattr(request, "_svj_session_user"):
        step = partial(_session_verdict, request)
        verdict = observe_auth(request, lane=lanes.SESSION, step=step)
        request._svj_session_user = verdict.user  # type: ignore[attr-defined]
    return request._svj_session_user  # type: ignore[attr-defined]


async def aget_session_user(request: HttpRequest) -> Any:
    """The same lane for ``await request.auser()``, run where blocking I/O may."""
    return await sync_to_async(get_session_user)(request)


def _session_verdict(request: HttpRequest) -> Verdict:
    return Verdict.of(*session_user(request))


class SessionAuthenticationMiddleware(AuthenticationMiddleware):
    """
    Resolve the user from the session lazily, enforcing the session timeouts.

    Both ways of asking are replaced: ``request.user`` (sync code) and
    ``await request.auser()`` (async views, and ``login_required`` on them).
    Django's own ``auser`` skips the timeouts and the observer, so an async
    view would see a user whom ``request.user`` had refused.
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_session_user(request))  # type: ignore[assignment]
        request.auser = partial(aget_session_user, request)


class PrivateCacheMiddleware:
    """Responses that depended on a credential are never kept by shared caches."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "auth_lane", None) is not None:
            patch_cache_control(response, private=True, no_store=True)
        return response
