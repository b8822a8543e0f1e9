"""
This service's requests, measured as the site measures its own, and sent to
the site so that they appear on its dashboard as lanes of their own.

``observe`` times one authentication step and counts its Redis round trips
(through the redis-py connection class the revocation cache uses, as on the
site); ``SampleMiddleware`` adds the request's status, answers with a
``Server-Timing`` header, and hands the sample to the ``shipper``. A
background thread posts samples in batches to the site's ingest endpoint,
with the key both were given (``COMPARISON_INGEST_KEY``). A request only
appends to a bounded buffer; a batch the site does not take is kept for the
next try; past the buffer's limit samples are dropped and counted, and the
count travels with the next batch. The site maps each refusal code to an
outcome: there is no list of outcomes here to drift from the site's.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from redis.connection import Connection, ConnectionPool
from rest_framework.exceptions import APIException

logger = logging.getLogger(__name__)

INGEST_KEY_HEADER = "X-Comparison-Ingest-Key"

_current: ContextVar[AuthCost | None] = ContextVar("remote_auth_cost", default=None)


@dataclass
class AuthCost:
    lane: str
    credential_bytes: int
    credential_id: str
    # The refusal's code; "" when the step accepted the credential.
    code: str = ""
    user_id: int | None = None
    auth_us: float = 0.0
    redis_round_trips: int = 0
    # The accepted token's exp claim: the longest a revocation can wait on a
    # lane that trusts the token alone (the site's revocation panel reads it).
    credential_expires_at: float | None = None

    def server_timing(self) -> str:
        """
        The step's time for every request; its lane, round trips and the
        credential's size only when it accepted, as the site does. A refusal's
        code is in its JSON body, the API's contract; the header adds nothing.
        """
        if self.code:
            return f"auth;dur={self.auth_us / 1000:.3f}"
        return (
            f'auth;dur={self.auth_us / 1000:.3f};desc="{self.lane} accepted '
            f'redis={self.redis_round_trips} db=0 bytes={self.credential_bytes}"'
        )


class CountingConnection(Connection):
    """Reports each command round trip to the active measurement; the handshake is not one."""

    _handshaking = False

    def on_connect_check_health(self, check_health: bool = True) -> None:
        self._handshaking = True
        try:
            super().on_connect_check_health(check_health=check_health)
        finally:
            self._handshaking = False

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        if not self._handshaking and (cost := _current.get()) is not None:
            cost.redis_round_trips += 1
        super().send_packed_command(command, check_health)


class CountingConnectionPool(ConnectionPool):
    """The pool django-redis builds (``CONNECTION_POOL_CLASS``), with counting connections."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("connection_class", Connection) is Connection:
            kwargs["connection_class"] = CountingConnection
        super().__init__(*args, **kwargs)


def credential_fingerprint(credential: bytes) -> str:
    """The site's one-way id of a credential, so its samples and ours link up."""
    return hashlib.blake2b(credential, digest_size=8).hexdigest() if credential else ""


def _refusal_code(exc: BaseException) -> str:
    if isinstance(exc, APIException):
        if isinstance(exc.detail, dict):
            return str(exc.detail.get("code", ""))
        codes = exc.get_codes()
        return codes if isinstance(codes, str) else ""
    return "server_error"


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def observe(request: HttpRequest, *, lane: str, step: Callable[[], Any]) -> Any:
    """Run one authentication step (it returns the user, or None), timing and counting it."""
    credential = request.META.get("HTTP_AUTHORIZATION", "").encode()
    cost = AuthCost(
        lane=lane,
        credential_bytes=len(credential),
        credential_id=credential_fingerprint(credential),
    )
    request.auth_cost = cost  # type: ignore[attr-defined]
    reset_token = _current.set(cost)
    started = time.perf_counter_ns()
    try:
        user = step()
    except Exception as exc:
        cost.code = _refusal_code(exc)
        raise
    finally:
        cost.auth_us = (time.perf_counter_ns() - started) / 1000
        _current.reset(reset_token)
    if user is None:
        cost.code = "not_authenticated"
    else:
        cost.user_id = _int_or_none(user.pk)
        cost.credential_expires_at = _expiry(user)
    return user


def _expiry(user: Any) -> float | None:
    """The ``exp`` claim of the token the user was built from (SimpleJWT's ``TokenUser``)."""
    token = getattr(user, "token", None)
    expiry = token.get("exp") if token is not None else None
    return expiry if type(expiry) in (int, float) else None


# ------------------------------------------------------------------ shipping
class Delivery(Enum):
    SENT = "sent"
    RETRY = "retry"
    REFUSED = "refused"


# Answers that mean "not now" rather than "never".
RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass
class SampleShipper:
    """A bounded buffer of samples and the thread that posts them to the site."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _buffer: deque = field(default_factory=deque)
    _dropped: int = 0
    # The process the thread runs in: a forked worker starts its own.
    _thread_pid: int | None = None

    def record(self, sample: dict[str, Any]) -> None:
        with self._lock:
            if len(self._buffer) >= settings.REMOTE_BUFFER_LIMIT:
                self._dropped += 1
            else:
                self._buffer.append(sample)
            if self._thread_pid != os.getpid():
                self._thread_pid = os.getpid()
                threading.Thread(target=self._run, name="remote-shipper", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(settings.REMOTE_SHIP_SECONDS)
            self.ship()

    def ship(self) -> int:
        """Post what is buffered, one batch at a time; return how many samples the site took."""
        shipped = 0
        while True:
            with self._lock:
                batch = [
                    self._buffer.popleft()
                    for _ in range(min(settings.REMOTE_SHIP_BATCH, len(self._buffer)))
                ]
                dropped, self._dropped = self._dropped, 0
            if not batch and not dropped:
                return shipped
            answer = self._post({"samples": batch, "dropped": dropped})
            if answer is Delivery.RETRY:
                self._requeue(batch, dropped)
                return shipped
            if answer is Delivery.SENT:
                shipped += len(batch)

    def _requeue(self, batch: list[dict[str, Any]], dropped: int) -> None:
        with self._lock:
            self._buffer.extendleft(reversed(batch))
            self._dropped += dropped
            while len(self._buffer) > settings.REMOTE_BUFFER_LIMIT:
                self._buffer.pop()
                self._dropped += 1

    def _post(self, body: dict[str, Any]) -> Delivery:
        request = urllib.request.Request(  # noqa: S310 - the site's configured http(s) address
            settings.REMOTE_INGEST_URL,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                INGEST_KEY_HEADER: settings.REMOTE_INGEST_KEY,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=5):  # noqa: S310
                return Delivery.SENT
        except urllib.error.HTTPError as e:
            e.close()
            if e.code in RETRIED_STATUSES:
                return Delivery.RETRY
            # Sending the same batch again would be refused again.
            logger.error("The site refused %d samples: %s", len(body["samples"]), e)
            return Delivery.REFUSED
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            logger.warning("Could not send %d samples to the site: %s", len(body["samples"]), e)
            return Delivery.RETRY


shipper = SampleShipper()
atexit.register(shipper.ship)


class SampleMiddleware:
    """
    The measured request's cost, as a ``Server-Timing`` header and as a sample
    for the site. Outermost, so it sees the final status code.
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
            if settings.REMOTE_INGEST_KEY:
                shipper.record(
                    {
                        "at": time.time(),
                        "path": request.path,
                        "status": response.status_code,
                        **asdict(cost),
                    }
                )
        return response
