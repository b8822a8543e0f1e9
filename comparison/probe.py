"""
Measure one authentication step: wall time, Redis round trips, SQL queries.

The counts come from real hooks, not estimates: SQL through an execute
wrapper that every database connection gets when it opens (``count_query``,
installed by ``comparison.signals``), Redis through the redis-py connection
class that django-redis is configured to use (``CountingConnection``), which
counts each packet of commands sent and answered, so a pipeline is one round
trip.

Only work done inside ``observe()`` is counted, on this thread or task:
the probe lives in a context variable. The hooks stay in place between
requests and only look at that variable, so a request pays no setup for them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest
from redis.connection import Connection, ConnectionPool
from redis.sentinel import SentinelConnectionPool, SentinelManagedConnection

from accounts.lanes import Lane
from accounts.observers import Verdict
from accounts.outcomes import Outcome, outcome_of

_current: ContextVar[AuthCost | None] = ContextVar("auth_cost", default=None)


@dataclass
class AuthCost:
    """What one request's authentication step cost, and how it ended."""

    lane: str
    credential_bytes: int
    credential_id: str
    outcome: str = Outcome.ACCEPTED
    user: Any = None
    user_id: int | None = None
    auth_us: float = 0.0
    redis_round_trips: int = 0
    db_queries: int = 0
    # Set by comparison.signals when the step had to open a database connection.
    db_connected: bool = False

    @property
    def accepted(self) -> bool:
        return self.outcome == Outcome.ACCEPTED

    def server_timing(self) -> str:
        """The cost as a Server-Timing header value, readable in browser dev tools."""
        return (
            f'auth;dur={self.auth_us / 1000:.3f};desc="{self.lane} {self.outcome} '
            f'redis={self.redis_round_trips} db={self.db_queries} bytes={self.credential_bytes}"'
        )


def count_query(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
) -> Any:
    """A database execute wrapper: counts each query run inside an observed step."""
    if (cost := _current.get()) is not None:
        cost.db_queries += 1
    return execute(sql, params, many, context)


def count_queries_on(connection: BaseDatabaseWrapper) -> None:
    """
    Put ``count_query`` on a database connection, once. Entering
    ``connection.execute_wrapper()`` on every request cost more than some
    lanes' whole auth step (a thread-local lookup and a context manager).
    """
    if count_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(count_query)


class CountingMixin:
    """Reports each command round trip of a redis-py connection to the active probe."""

    _handshaking = False

    def on_connect_check_health(self, check_health: bool = True) -> None:
        # Connection setup (HELLO, CLIENT SETINFO, SELECT) is paid once per
        # pooled connection, not per request: it is not an auth round trip.
        self._handshaking = True
        try:
            super().on_connect_check_health(check_health=check_health)  # type: ignore[misc]
        finally:
            self._handshaking = False

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        if not self._handshaking and (cost := _current.get()) is not None:
            cost.redis_round_trips += 1
        super().send_packed_command(command, check_health)  # type: ignore[misc]


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


def _user_id(user: Any) -> int | None:
    """The user's id as stored with samples; None when a token names no integer id."""
    try:
        return int(user.pk)
    except (TypeError, ValueError):
        return None


def credential_fingerprint(credential: bytes) -> str:
    """
    A short, one-way id for a credential, so samples can be linked without
    storing it: 8 bytes of BLAKE2b, 16 hex digits. It runs inside every
    measured auth step; Python's own BLAKE2 costs a fraction of a SHA-256
    through OpenSSL there. The second service computes the same
    (``remote.measure``), so that its samples and the site's link up.
    """
    return hashlib.blake2b(credential, digest_size=8).hexdigest() if credential else ""


def observe(request: HttpRequest, *, lane: Lane, step: Callable[[], Verdict]) -> Verdict:
    """
    The ``accounts.observers.AuthObserver`` of this app: time and count one
    authentication step, and leave its cost on ``request.auth_cost`` for the
    receipt and the recorder. A step that raises is recorded with the outcome
    its error's code maps to, and the error goes on.
    """
    credential = lane.sent_credential(request).encode()
    cost = AuthCost(
        lane=lane.name,
        credential_bytes=len(credential),
        credential_id=credential_fingerprint(credential),
    )
    request.auth_cost = cost  # type: ignore[attr-defined]
    reset_token = _current.set(cost)
    started = time.perf_counter_ns()
    try:
        verdict = step()
    except Exception as exc:
        cost.outcome = outcome_of(exc)
        raise
    finally:
        cost.auth_us = (time.perf_counter_ns() - started) / 1000
        _current.reset(reset_token)
    cost.outcome = verdict.outcome
    if verdict.accepted:
        cost.user = verdict.user
        cost.user_id = _user_id(verdict.user)
    return verdict


def current_cost() -> AuthCost | None:
    """The cost of the auth step running on this thread or task, if one is."""
    return _current.get()
