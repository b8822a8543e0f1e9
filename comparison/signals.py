"""
Receivers of the comparison app, connected in ``ComparisonConfig.ready()``
only when the probe is the configured observer (``COMPARISON_MEASURE=0``
leaves them off the request path).
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

from comparison.probe import count_queries_on, current_cost


def on_connection_created(sender: type, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """
    Every connection gets the probe's query counter when it opens. One opened
    inside an auth step also puts its setup (and, on SQLite, the schema read of
    its first statement) into the step's time: flag the step, so that its time
    is shown apart from the lane's own cost.
    """
    count_queries_on(connection)
    if (cost := current_cost()) is not None:
        cost.db_connected = True


def connect() -> None:
    connection_created.connect(on_connection_created, dispatch_uid="comparison.connection_created")
