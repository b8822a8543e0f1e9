"""
A whole cluster per test module: PostgreSQL, a Redis primary with a replica
and three Sentinels, two app instances and nginx, all on loopback. Modules
that break it (failover, Redis gone) get their own.
"""

from collections.abc import Iterator

import pytest

from tests.helpers import PASSWORD
from tools.cluster import Cluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    cluster = Cluster().start()
    for username in ("alice", "bob", "carol", "dave", "erin"):
        cluster.create_user(username, PASSWORD)
    cluster.create_user("root", PASSWORD, admin=True)
    yield cluster
    cluster.stop()
