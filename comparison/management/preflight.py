"""
What a command checks before its first step, so that outside ``make`` it
stops with one line saying what to run instead of a traceback.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django_redis import get_redis_connection

from accounts.exceptions import REDIS_ERRORS


def require_redis(*, make_target: str) -> None:
    """Every cache alias answers a PING, or the command stops, naming the make target that works."""
    for alias, cache in settings.CACHES.items():
        try:
            get_redis_connection(alias).ping()
        except REDIS_ERRORS as e:
            raise CommandError(
                f"Redis is not reachable at {cache['LOCATION']}: run `make {make_target}`, which "
                "starts a private one, or set REDIS_URL to a running Redis (`make run` prints "
                "the address of its own)."
            ) from e


def require_migrated_database(*, using: str = "default") -> None:
    """The database has every migration applied, or the command stops, saying how to apply them."""
    connection = connections[using]
    name = connection.settings_dict["NAME"]
    try:
        executor = MigrationExecutor(connection)
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as e:
        raise CommandError(f"The database {name} cannot be opened: {e}") from e
    if unapplied:
        raise CommandError(
            f"The database {name} is missing {len(unapplied)} migrations: run "
            "`python manage.py migrate` (make run does it for you)."
        )
