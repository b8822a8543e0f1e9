"""
Kill the Redis primary under traffic: Sentinel promotes the replica, sessions
written before the kill are still valid afterwards, and no request in between
gets a 500 or somebody else's identity.
"""

import signal
import time
from collections import Counter
from http import HTTPStatus

from redis import Redis

from tests.helpers import PASSWORD
from tools.cluster import Cluster
from tools.site_client import SiteClient

USERS = ("alice", "bob", "carol", "dave", "erin")
FAILOVER_LIMIT_SECONDS = 30


def test_failover_keeps_sessions_and_never_answers_500_or_a_wrong_user(
    cluster: Cluster, capsys
) -> None:
    browsers = {}
    for username in USERS:
        browser = SiteClient(cluster.url)
        browser.log_in("/session/login/", username, PASSWORD)
        assert browser.get("/api/session/me/").status == HTTPStatus.OK
        browsers[username] = browser
    old_primary = cluster.primary_port()
    primary_offset = Redis(port=old_primary).info("replication")["master_repl_offset"]
    replica_offset = Redis(port=cluster.ports["redis-replica"]).info("replication")[
        "slave_repl_offset"
    ]

    cluster.processes["redis-primary"].stop(signal.SIGKILL)
    killed = time.monotonic()
    statuses: Counter = Counter()
    wrong_user = 0
    recovered_after = None
    while time.monotonic() - killed < FAILOVER_LIMIT_SECONDS:
        round_statuses = []
        for username, browser in browsers.items():
            answer = browser.get("/api/session/me/")
            round_statuses.append(answer.status)
            wrong_user += (
                answer.status == HTTPStatus.OK and answer.json()["user"]["username"] != username
            )
        statuses.update(round_statuses)
        if cluster.primary_port() != old_primary and set(round_statuses) == {HTTPStatus.OK}:
            recovered_after = time.monotonic() - killed
            break
        time.sleep(0.2)

    with capsys.disabled():
        print(  # noqa: T201 - the figures the README and the note quote
            f"\nfailover: replication lag before the kill {primary_offset - replica_offset} "
            f"bytes; all sessions served again after {recovered_after} s; "
            f"answers during the switch {dict(statuses)}"
        )
    assert recovered_after is not None
    assert set(statuses) <= {HTTPStatus.OK, HTTPStatus.SERVICE_UNAVAILABLE}
    assert wrong_user == 0
    assert cluster.primary_port() == cluster.ports["redis-replica"]
