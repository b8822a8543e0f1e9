"""
Measure one authentication step: wall time, Redis round trips, SQL queries.

The counts come from real hooks, not estimates: SQL through Django's
``connection.execute_wrapper``, Redis through the redis-py connection class
that django-redis is configured to use (``CountingConnection``), which counts
each packet of commands sent and answered, so a pipeline is one round trip.

Only work done inside ``measure_auth()`` is counted, on this thread or task:
the probe lives in a context variable.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.http import HttpRequest
from redis.connection import Connection, ConnectionPool
from redis.sentinel import SentinelConnectionPool, SentinelManagedConnection

from comparison.reasons import ACCEPTED, rejection_reason

_current: ContextVar[AuthCost | None] = ContextVar("auth_cost", default=None)


@dataclass
class AuthCost:
    """What one request's authentication step cost, and how it ended."""

    lane: str
    credential_bytes: int
    credential_id: str
    outcome: str = ACCEPTED
    user_id: int | None = None
    auth_us: float = 0.0
    redis_round_trips: int = 0
    db_queries: int = 0

    @property
    def accepted(self) -> bool:
        return self.outcome == ACCEPTED

    def count_query(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.db_queries += 1
        return execute(sql, params, many, context)

    def server_timing(self) -> str:
        """The cost as a Server-Timing header value, readable in browser dev tools."""
        return (
            f'auth;dur={self.auth_us / 1000:.3f};desc="{self.lane} {self.outcome} '
            f'redis={self.redis_round_trips} db={self.db_queries} bytes={self.credential_bytes}"'
        )


class CountingMixin:
    """Reports each command round trip of a redis-py connection to the active probe."""

    _handshaking = False

    def on_connect_check_health(self, check_health: bool = True) -> None:
        # Connection setup (HELLO, CLIENT SETINFO, SELECT) is paid once per
        # pooled connection, not per request: it is not an auth round trip.
        self._handshaking = True
        try:
            super().on_connect_check_health(check_health=check_health)
        finally:
            self._handshaking = False

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        if not self._handshaking and (cost := _current.get()) is not None:
            cost.redis_round_trips += 1
        super().send_packed_command(command, check_health)


class CountingConnection(CountingMixin, Connection):
    pass


class CountingSentinelConnection(CountingMixin, SentinelManagedConnection):
    pass


class CountingConnectionPool(ConnectionPool):
    """The pool django-redis builds (``CONNECTION_POOL_CLASS``), with counting TCP connections."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("connection_class", Connection) is Connection:
            kwargs["connection_class"] = CountingConnection
        super().__init__(*args, **kwargs)


class CountingSentinelConnectionPool(SentinelConnectionPool):
    """The same, for a primary found through Redis Sentinel."""

    def __init__(self, service_name: str, sentinel_manager: Any, **kwargs: Any) -> None:
        kwargs.setdefault("connection_class", CountingSentinelConnection)
        super().__init__(service_name, sentinel_manager, **kwargs)


def user_id_of(user: Any) -> int | None:
    """The user's id as stored with samples; None when a token names no integer id."""
    try:
        return int(user.pk)
    except (TypeError, ValueError):
        return None


def credential_fingerprint(credential: str) -> str:
    """A short, one-way id for a credential, so samples can be linked without storing it."""
    return hashlib.sha256(credential.encode()).hexdigest()[:16] if credential else ""


def cookie_bytes(name: str, value: str) -> int:
    """Bytes a cookie takes in the Cookie header (``name=value``); 0 when absent."""
    return len(name) + 1 + len(value.encode()) if value else 0


@contextmanager
def measure_auth(
    request: HttpRequest, *, lane: str, credential: str, credential_bytes: int
) -> Iterator[AuthCost]:
    """
    Time and count the authentication step run inside the block.

    An exception escaping the block marks the outcome with its rejection
    reason and goes on; the caller marks other rejections itself. The cost is
    left on ``request.auth_cost`` for the receipt and the recorder.
    """
    cost = AuthCost(
        lane=lane,
        credential_bytes=credential_bytes,
        credential_id=credential_fingerprint(credential),
    )
    request.auth_cost = cost
    reset_token = _current.set(cost)
    started = time.perf_counter_ns()
    try:
        with connection.execute_wrapper(cost.count_query):
            yield cost
    except Exception as exc:
        cost.outcome = rejection_reason(exc)
        raise
    finally:
        cost.auth_us = (time.perf_counter_ns() - started) / 1000
        _current.reset(reset_token)


def measure_cookie_auth(
    request: HttpRequest, *, lane: str, cookie_name: str
) -> AbstractContextManager[AuthCost]:
    """``measure_auth`` for a credential that travels in a cookie."""
    value = request.COOKIES.get(cookie_name, "")
    return measure_auth(
        request, lane=lane, credential=value, credential_bytes=cookie_bytes(cookie_name, value)
    )
