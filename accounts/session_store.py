"""
Django's cache session engine, except that an unreachable Redis is an error.

The stock ``load()`` and ``aload()`` turn every exception into "no such
session" (Django ticket #17810: memcached raises on invalid keys). With Redis
that would log everybody out silently during an outage, and the site would
go on setting fresh anonymous cookies. Here a connection error propagates,
on the sync and the async path alike, and the site answers 503 instead
(``config.middleware.StoreOutageMiddleware``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import cache

from accounts.exceptions import REDIS_ERRORS


class SessionStore(cache.SessionStore):
    def load(self) -> dict[str, Any]:
        try:
            session_data = self._cache.get(self.cache_key)  # type: ignore[attr-defined]
        except REDIS_ERRORS:
            raise
        except Exception:  # the upstream behaviour, for invalid keys
            session_data = None
        return self._loaded(session_data)

    async def aload(self) -> dict[str, Any]:
        try:
            session_data = await self._cache.aget(await self.acache_key())  # type: ignore[attr-defined]
        except REDIS_ERRORS:
            raise
        except Exception:  # the upstream behaviour, for invalid keys
            session_data = None
        return self._loaded(session_data)

    def _loaded(self, session_data: dict[str, Any] | None) -> dict[str, Any]:
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}
