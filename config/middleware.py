"""Site-wide middleware that belongs to no one app."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin

from accounts.exceptions import RETRY_AFTER_SECONDS, STORE_ERRORS
from config.views import service_unavailable

logger = logging.getLogger(__name__)


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
