from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from comparison.probe import AuthCost
from comparison.recorder import recorder


def server_timing(cost: AuthCost) -> str:
    """
    The auth step's time, for every request. Which lane, what it consulted and
    the credential's size only when the lane accepted the request: then they
    describe the requester's own credential. A refusal's outcome would tell
    whoever sent a credential that is not theirs which check it failed
    (inactive user, ended session, expired token), so it stays on the server.
    """
    if cost.accepted:
        return cost.server_timing()
    return f"auth;dur={cost.auth_us / 1000:.3f}"


class AuthCostMiddleware:
    """
    Send each request's auth cost back in a ``Server-Timing`` header and queue
    it for the recorder. Outermost, so it sees the final status code; the cost
    itself is measured where authentication happens (``comparison.probe``).
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        cost: AuthCost | None = getattr(request, "auth_cost", None)
        if cost is not None:
            response["Server-Timing"] = server_timing(cost)
            if settings.COMPARISON_RECORDING:
                recorder.record(request, status=response.status_code, cost=cost)
        return response
