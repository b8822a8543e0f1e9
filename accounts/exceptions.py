"""
The errors the auth code answers with, and the store errors it turns into them.

A data store that cannot answer is never taken as "no such credential": it
becomes a 503 with ``Retry-After`` (pages: ``config.middleware``; API:
``accounts.api.exception_handler``).
"""

from __future__ import annotations

from django.db import DatabaseError
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


class TooManyAttempts(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("Too many failed attempts. Try again later.")
    default_code = "too_many_attempts"
