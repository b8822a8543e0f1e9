"""
A whole cluster per test module: PostgreSQL, a Redis primary with a replica
and three Sentinels, two app instances and nginx, all on loopback. Modules
that break it (failover, Redis gone) get their own. Modules that only need
PostgreSQL get that alone, as a database alias of the test process.
"""

import copy
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import connections

from tests.helpers import PASSWORD
from tools.cluster import DATABASE, Cluster

POSTGRESQL_ALIAS = "postgresql"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    cluster = Cluster().start()
    for username in ("alice", "bob", "carol", "dave", "erin"):
        cluster.create_user(username, PASSWORD)
    cluster.create_user("root", PASSWORD, admin=True)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def postgresql(django_db_blocker) -> Iterator[str]:
    """
    Debian's PostgreSQL as a private server, migrated, registered as a database
    alias of this process; yields the alias. Tests reach it inside
    ``django_db_blocker.unblock()``: it is no test database of pytest-django's.
    """
    server = Cluster()
    try:
        server.start_postgres()
        config = copy.deepcopy(connections.settings["default"])
        config.update(
            ENGINE="django.db.backends.postgresql",
            NAME=DATABASE,
            USER="postgres",
            PASSWORD="",
            HOST="127.0.0.1",
            PORT=str(server.ports["postgres"]),
            OPTIONS={},
        )
        connections.settings[POSTGRESQL_ALIAS] = config
        with django_db_blocker.unblock():
            call_command("migrate", database=POSTGRESQL_ALIAS, verbosity=0)
            yield POSTGRESQL_ALIAS
            connections[POSTGRESQL_ALIAS].close()
    finally:
        connections.settings.pop(POSTGRESQL_ALIAS, None)
        server.stop()
