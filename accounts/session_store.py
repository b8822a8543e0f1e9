"""
Django's cache session engine, except that an unreachable Redis is an error.

The stock ``load()`` turns every exception into "no such session" (Django
ticket #17810: memcached raises on invalid keys). With Redis that would log
everybody out silently during an outage, and the site would go on setting
fresh anonymous cookies. Here a connection error propagates, and
``SessionAuthenticationMiddleware`` answers 503 instead.
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
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}
