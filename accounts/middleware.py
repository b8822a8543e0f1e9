"""
``request.user`` from the session (the ``session`` lane, see
``accounts.session_lanes``), and the cache headers of credentialed answers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject

from accounts import lanes
from accounts.observers import Verdict, observe_auth
from accounts.session_lanes import session_user


def get_session_user(request: HttpRequest) -> object:
    """Django's ``auth.get_user`` plus the two session timeouts, as the session lane."""
    step = partial(_session_verdict, request)
    return observe_auth(request, lane=lanes.SESSION, step=step).user


def _session_verdict(request: HttpRequest) -> Verdict:
    return Verdict.of(*session_user(request))


class SessionAuthenticationMiddleware(AuthenticationMiddleware):
    """Resolve ``request.user`` from the session lazily, enforcing the session timeouts."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_session_user(request))  # type: ignore[assignment]


class PrivateCacheMiddleware:
    """Responses that depended on a credential are never kept by shared caches."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "auth_lane", None) is not None:
            patch_cache_control(response, private=True, no_store=True)
        return response
