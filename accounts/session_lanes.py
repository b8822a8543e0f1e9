"""
The two session lanes (``accounts.lanes``): who a session cookie says you are.

* ``session``: Django's ``auth.get_user``: one Redis read for the session,
  then one query for the user row, so a role change or a deactivation is
  seen on the next request.
* ``snapshot``: the session itself carries the few user fields the pages
  need (written at login, ``SESSION_USER_SNAPSHOT``: id, username, active,
  staff and demo flags): one Redis read and no query. Ending a session is
  still instant (the key is deleted), but a change to the user row (a new
  username, staff removed, a deactivation done outside the admin) is not
  seen until the session is ended or the user logs in again.

Both enforce the same idle and absolute timeouts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.functional import cached_property

from accounts.exceptions import REDIS_ERRORS, SessionStoreUnavailableError
from accounts.services import (
    SESSION_INDEXED_KEY,
    SESSION_LOGIN_AT,
    SESSION_SEEN_AT,
    SESSION_USER_SNAPSHOT,
    session_expire,
    session_touch,
)


@dataclass(frozen=True)
class SnapshotUser:
    """The user as the session remembers them, read without the database."""

    id: int
    username: str
    is_active: bool
    is_staff: bool
    # Sessions made before the field was snapshotted carry none.
    is_demo: bool = False

    is_authenticated = True
    is_anonymous = False

    @cached_property
    def pk(self) -> int:
        return self.id

    def get_username(self) -> str:
        return self.username


def session_user(request: HttpRequest) -> tuple[Any, str]:
    """
    The ``session`` lane: (user, "") when accepted, else (AnonymousUser, the
    refusal code). A Redis outage is raised as such, never taken as no session.
    """
    try:
        session = request.session
        # Reading the session is the one Redis round trip of an ordinary request.
        had_user = auth.SESSION_KEY in session
        user = auth.get_user(request)
        if not user.is_authenticated:
            return user, _refusal(request, had_user=had_user)
        return _within_timeouts(request, user)
    except REDIS_ERRORS as e:
        raise SessionStoreUnavailableError from e


def snapshot_user(request: HttpRequest) -> tuple[Any, str]:
    """The ``snapshot`` lane: the same session and answers, but no user query."""
    try:
        snapshot: dict[str, Any] | None = request.session.get(SESSION_USER_SNAPSHOT)
        if snapshot is None:
            return AnonymousUser(), _refusal(request, had_user=auth.SESSION_KEY in request.session)
        user = SnapshotUser(**snapshot)
        if not user.is_active:
            return AnonymousUser(), "session_user_inactive"
        return _within_timeouts(request, user)
    except REDIS_ERRORS as e:
        raise SessionStoreUnavailableError from e


def _refusal(request: HttpRequest, *, had_user: bool) -> str:
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return "session_missing"
    return "session_user_inactive" if had_user else "session_not_found"


def _within_timeouts(request: HttpRequest, user: Any) -> tuple[Any, str]:
    """
    The idle timeout is the session's TTL in Redis; it is pushed forward by
    re-saving the session, which costs a write, so that happens at most once
    per ``ACCOUNTS_SESSION_ACTIVITY_RESOLUTION`` seconds rather than on every
    request. The absolute timeout counts from login and is never extended.
    """
    session = request.session
    now = time.time()
    # A session without the stamp did not come through our login: fail closed.
    if now - session.get(SESSION_LOGIN_AT, 0) > settings.ACCOUNTS_SESSION_ABSOLUTE_TIMEOUT:
        session_expire(request=request, user_id=user.pk)
        return AnonymousUser(), "session_expired"
    stale = now - session.get(SESSION_SEEN_AT, 0) >= settings.ACCOUNTS_SESSION_ACTIVITY_RESOLUTION
    # A key cycled by update_session_auth_hash() is not in the index yet.
    moved = session.get(SESSION_INDEXED_KEY) != session.session_key
    if stale or moved:
        session_touch(request=request, user_id=user.pk, now=now)
    return user, ""
