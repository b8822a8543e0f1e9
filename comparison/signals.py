"""Receivers of the comparison app, connected in ``ComparisonConfig.ready()``."""

from __future__ import annotations

from typing import Any

from django.db.backends.signals import connection_created

from comparison.probe import current_cost


def flag_connection_opened_in_auth_step(sender: Any, **kwargs: Any) -> None:
    """
    A database connection opened inside an auth step puts its setup (and, on
    SQLite, the schema read of its first statement) into the step's time: flag
    the step, so that its time is shown apart from the lane's own cost.
    """
    if (cost := current_cost()) is not None:
        cost.db_connected = True


def connect() -> None:
    connection_created.connect(
        flag_connection_opened_in_auth_step,
        dispatch_uid="comparison.flag_connection_opened_in_auth_step",
    )
