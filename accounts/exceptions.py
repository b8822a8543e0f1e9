"""
The errors the auth code answers with, and the store errors it turns into them.

A data store that cannot answer is never taken as "no such credential": it
becomes a 503 with ``Retry-After`` (pages: ``config.middleware``; API:
``accounts.api.exception_handler``).
"""

from __future__ import annotations

from django.db import DatabaseError
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError
from rest_framework import status
from rest_framework.exceptions import APIException

# What django-redis and redis-py raise when Redis cannot be reached or times out.
REDIS_ERRORS: tuple[type[Exception], ...] = (ConnectionInterrupted, RedisError)

RETRY_AFTER_SECONDS = 5


class SessionStoreUnavailableError(Exception):
    """Redis could not be asked who this session belongs to."""


# Every error that means "a store did not answer", whichever store and layer raised it.
STORE_ERRORS: tuple[type[Exception], ...] = (
    *REDIS_ERRORS,
    SessionStoreUnavailableError,
    DatabaseError,
)


class StoreUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The revocation store is unavailable; try again shortly.")
    default_code = "store_unavailable"


class DatabaseUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The database is unavailable; try again shortly.")
    default_code = "database_unavailable"


def human_duration(seconds: int) -> str:
    """A wait as people say it: its two largest units ("14 minutes, 5 seconds")."""
    minutes, secs = divmod(max(seconds, 0), 60)
    hours, minutes = divmod(minutes, 60)
    units = [
        ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours},
        ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes},
        ngettext("%(count)d second", "%(count)d seconds", secs) % {"count": secs},
    ]
    named = [unit for count, unit in zip((hours, minutes, secs), units, strict=True) if count]
    return ", ".join(named[:2]) or gettext("a moment")


class TooManyAttempts(APIException):
    """
    A lockout or a rate limit. It says when to come back: DRF sends ``wait``
    as ``Retry-After``, and ``body()`` adds it in seconds and in words.
    """

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_attempts"

    def __init__(self, *, wait: int, detail: str | None = None, code: str | None = None) -> None:
        self.wait = wait
        if detail is None:
            detail = gettext("Too many failed attempts. Try again in %(duration)s.") % {
                "duration": human_duration(wait)
            }
        super().__init__(detail, code)

    def body(self) -> dict[str, object]:
        return {
            "detail": str(self.detail),
            "code": self.get_codes(),
            "retry_after_seconds": self.wait,
            "retry_after": human_duration(self.wait),
        }
