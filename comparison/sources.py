"""
Where a sample came from, so that traffic made to demonstrate or to measure
the site never mixes into the figures of its real use.

* ``drill``: the requests the revocation drill makes in-process, inside
  ``sampled_as(Source.DRILL)``.
* ``bench``, ``soak``: every request of a process that its harness started
  with ``COMPARISON_SAMPLE_SOURCE`` set.
* ``playground``: requests of a demo account (``User.is_demo``). The
  playground's tokens carry an ``is_demo`` claim and its sessions an
  ``is_demo`` snapshot field, so the user each lane hands over already knows,
  without a query. A refusal names no user: it counts as the playground's when
  the browser holds the playground's cookie.
* ``live``: everything else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db.models import TextChoices
from django.http import HttpRequest


class Source(TextChoices):
    LIVE = "live", "Live traffic"
    PLAYGROUND = "playground", "Playground"
    DRILL = "drill", "Revocation drill"
    BENCH = "bench", "Benchmark"
    SOAK = "soak", "Soak test"


_forced: ContextVar[str | None] = ContextVar("sample_source", default=None)


@contextmanager
def sampled_as(source: Source) -> Iterator[None]:
    """Mark every request served inside the block, on this thread or task, as ``source``."""
    token = _forced.set(source)
    try:
        yield
    finally:
        _forced.reset(token)


def source_of(request: HttpRequest, *, user: Any) -> str:
    """The source of one request; ``user`` is whom its lane accepted, None for a refusal."""
    forced = _forced.get() or settings.COMPARISON_SAMPLE_SOURCE
    if forced != Source.LIVE:
        return forced
    if user is not None:
        # A TokenUser answers any claim it lacks with None.
        return Source.PLAYGROUND if getattr(user, "is_demo", False) else Source.LIVE
    # A refusal names no user: the cookie that names the browser's demo account tells.
    demo_cookie = settings.COMPARISON_PLAYGROUND_DEMO_COOKIE_NAME
    return Source.PLAYGROUND if demo_cookie in request.COOKIES else Source.LIVE


def credential_expiry(request: HttpRequest, *, user: Any) -> object:
    """
    The ``exp`` claim of the token a lane accepted, as the token carries it
    (the recorder bounds it); None for a session, which a revocation ends at once.
    """
    # A stateless lane's user is built from the token; DRF leaves the lookup lane's on the request.
    token = getattr(user, "token", None) or getattr(request, "auth", None)
    return token.get("exp") if token is not None else None
