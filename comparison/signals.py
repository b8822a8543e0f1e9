"""
Receivers of the comparison app: every database connection gets the probe's
query counter when it opens. Connected in ``ComparisonConfig.ready()`` only
when the probe is the configured observer (``COMPARISON_MEASURE=0`` leaves
the counter off the request path).
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

from comparison.probe import count_queries_on


def on_connection_created(sender: type, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    count_queries_on(connection)


def connect() -> None:
    connection_created.connect(on_connection_created, dispatch_uid="comparison.count_queries")
