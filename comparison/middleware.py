from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from comparison.probe import AuthCost
from comparison.recorder import recorder


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
            response["Server-Timing"] = cost.server_timing()
            if settings.COMPARISON_RECORDING:
                recorder.record(request, status=response.status_code, cost=cost)
        return response
