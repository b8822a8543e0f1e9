"""
A per-user index of live sessions, kept in Redis next to the sessions.

Django's cache session backend stores each session under its own key and
cannot answer "which sessions does this user have?". Revocation and the
"My sessions" page both need that answer, so each user gets one Redis hash:
``session key -> JSON metadata`` (login time, last seen, IP, user agent).

Entries are written on login and on activity, removed on logout and
revocation, and pruned when a listing finds that the session itself has
expired out of the cache. The hash expires on its own once no session of the
user can still be alive.

Beside each session lies the reason it would be found gone
(``accounts.sign_outs``), keyed by a hash of its key: "idle" while it lives
(written with each activity, in the same round trip, so a session that
simply runs out of time says so), replaced by whatever ends it otherwise.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django_redis import get_redis_connection

from accounts.sign_outs import SignOutReason


@dataclass(frozen=True)
class LiveSession:
    session_key: str
    created_at: datetime
    last_seen_at: datetime
    ip: str
    user_agent: str

    @property
    def public_id(self) -> str:
        """An id that names the session in pages and forms without revealing its key."""
        return session_public_id(self.session_key)


def session_public_id(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()[:20]


def _sign_out_key(session_key: str) -> str:
    return caches[settings.SESSION_CACHE_ALIAS].make_key(
        f"auth:signed-out:{session_public_id(session_key)}"
    )


def session_sign_out_reason(session_key: str) -> SignOutReason | None:
    """Why the session under this key was ended, if it was one of ours and not long ago."""
    reason = get_redis_connection(settings.SESSION_CACHE_ALIAS).get(_sign_out_key(session_key))
    return SignOutReason(reason.decode()) if reason is not None else None


class SessionIndex:
    """The Redis hash of one user's sessions; cheap to build, one per call site."""

    def __init__(self, user_id: int) -> None:
        alias = settings.SESSION_CACHE_ALIAS
        self.redis = get_redis_connection(alias)
        self.key = caches[alias].make_key(f"auth:user-sessions:{user_id}")
        self.session_key_prefix = import_module(
            settings.SESSION_ENGINE
        ).SessionStore.cache_key_prefix

    def _cache_key(self, session_key: str) -> str:
        return caches[settings.SESSION_CACHE_ALIAS].make_key(self.session_key_prefix + session_key)

    def _record_sign_out(self, pipe: Any, session_keys: list[str], reason: SignOutReason) -> None:
        # No session, so no reason to tell about it, outlives the absolute timeout.
        lifetime = settings.ACCOUNTS_SESSION_ABSOLUTE_TIMEOUT
        for session_key in session_keys:
            pipe.set(_sign_out_key(session_key), reason, ex=lifetime)

    def add(self, session_key: str, metadata: dict[str, Any]) -> None:
        with self.redis.pipeline() as pipe:
            pipe.hset(self.key, session_key, json.dumps(metadata))
            pipe.expire(self.key, settings.ACCOUNTS_SESSION_ABSOLUTE_TIMEOUT)
            self._record_sign_out(pipe, [session_key], SignOutReason.IDLE)
            pipe.execute()

    def remove(self, session_key: str, *, reason: SignOutReason) -> None:
        with self.redis.pipeline() as pipe:
            pipe.hdel(self.key, session_key)
            self._record_sign_out(pipe, [session_key], reason)
            pipe.execute()

    def live_sessions(self) -> list[LiveSession]:
        entries = {
            key.decode(): json.loads(value) for key, value in self.redis.hgetall(self.key).items()
        }
        if not entries:
            return []
        with self.redis.pipeline() as pipe:
            for session_key in entries:
                pipe.exists(self._cache_key(session_key))
            alive = dict(zip(entries, pipe.execute(), strict=True))
        if expired := [session_key for session_key, exists in alive.items() if not exists]:
            self.redis.hdel(self.key, *expired)
        sessions = [
            LiveSession(
                session_key=session_key,
                created_at=datetime.fromtimestamp(metadata["created_at"], tz=UTC),
                last_seen_at=datetime.fromtimestamp(metadata["last_seen_at"], tz=UTC),
                ip=metadata.get("ip", ""),
                user_agent=metadata.get("user_agent", ""),
            )
            for session_key, metadata in entries.items()
            if alive[session_key]
        ]
        return sorted(sessions, key=lambda session: session.last_seen_at, reverse=True)

    def end_one(self, session_key: str, *, reason: SignOutReason) -> bool:
        with self.redis.pipeline() as pipe:
            pipe.delete(self._cache_key(session_key))
            pipe.hdel(self.key, session_key)
            self._record_sign_out(pipe, [session_key], reason)
            deleted, *_ = pipe.execute()
        return bool(deleted)

    def end(self, *, reason: SignOutReason, keep: str | None = None) -> int:
        """Delete every indexed session but ``keep``; return how many were alive."""
        session_keys = [key.decode() for key in self.redis.hkeys(self.key)]
        doomed = [session_key for session_key in session_keys if session_key != keep]
        if not doomed:
            return 0
        with self.redis.pipeline() as pipe:
            pipe.delete(*(self._cache_key(session_key) for session_key in doomed))
            pipe.hdel(self.key, *doomed)
            self._record_sign_out(pipe, doomed, reason)
            deleted, *_ = pipe.execute()
        return deleted
