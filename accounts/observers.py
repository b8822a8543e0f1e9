"""
The one hook through which an authentication step can be watched.

``accounts`` owns the lanes and knows nothing of who measures them. An
observer (the comparison app's probe) is named by the setting
``ACCOUNTS_AUTH_OBSERVER``, a dotted path to an ``AuthObserver``, resolved
once and again only when the setting changes. Per request this costs one call
to a cached function and one branch; with no observer configured the lane's
step runs as a plain call, with no measurement code on its path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string

from accounts.lanes import Lane
from accounts.outcomes import OUTCOME_BY_CODE, Outcome


class Verdict(NamedTuple):
    """What a lane decided: the user to serve the request as, and why."""

    user: Any
    outcome: Outcome

    @property
    def accepted(self) -> bool:
        return self.outcome == Outcome.ACCEPTED

    @classmethod
    def of(cls, user: Any, refusal_code: str) -> Verdict:
        """A verdict from a lane that answers (user, "") or (anonymous, refusal code)."""
        return cls(user, OUTCOME_BY_CODE[refusal_code] if refusal_code else Outcome.ACCEPTED)


class AuthObserver(Protocol):
    def __call__(self, request: HttpRequest, *, lane: Lane, step: Callable[[], Verdict]) -> Verdict:
        """Run ``step`` (exactly once), watch it, and return or raise what it did."""
        ...


@functools.cache
def auth_observer() -> AuthObserver | None:
    path = settings.ACCOUNTS_AUTH_OBSERVER
    return import_string(path) if path else None


def observe_auth(request: HttpRequest, *, lane: Lane, step: Callable[[], Verdict]) -> Verdict:
    """Run one lane's authentication step, under the observer when there is one."""
    # Marks the response as depending on a credential (config.middleware.PrivateCacheMiddleware).
    request.auth_lane = lane  # type: ignore[attr-defined]
    observer = auth_observer()
    if observer is None:
        return step()
    return observer(request, lane=lane, step=step)
