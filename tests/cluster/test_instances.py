"""Sessions need a shared store: shown on two instances behind one address."""

from http import HTTPStatus
from pathlib import Path

import psycopg
from redis import Redis

from tests.helpers import PASSWORD, bearer_header
from tools.cluster import Cluster
from tools.processes import REPO_ROOT, wait_until
from tools.site_client import SiteClient


def test_a_session_made_on_instance_a_is_valid_on_instance_b(cluster: Cluster) -> None:
    on_a = SiteClient(cluster.instance_url("app-a"))
    on_a.log_in("/session/login/", "alice", PASSWORD)
    # Same browser, other instance: cookies are per host, not per port.
    on_a.base = cluster.instance_url("app-b")

    answer = on_a.get("/api/session/me/")

    assert answer.status == HTTPStatus.OK
    assert answer.json()["user"]["username"] == "alice"


def test_revoking_on_instance_a_logs_the_user_out_on_instance_b(cluster: Cluster) -> None:
    user = SiteClient(cluster.instance_url("app-b"))
    user.log_in("/session/login/", "bob", PASSWORD)
    pair = user.token_pair("bob", PASSWORD)
    assert user.get("/api/session/me/").status == HTTPStatus.OK
    admin = SiteClient(cluster.instance_url("app-a"))
    admin.log_in("/admin/login/", "root", PASSWORD)
    bob_id = cluster.user_id("bob")

    revoke = admin.form_post(
        "/admin/accounts/user/",
        {"action": "revoke_access", "_selected_action": [bob_id], "index": 0},
    )

    assert revoke.status == HTTPStatus.FOUND
    assert user.get("/api/session/me/").status == HTTPStatus.FORBIDDEN
    access = bearer_header(pair["access"])
    assert user.get("/api/jwt/denylist/me/", headers=access).status == HTTPStatus.UNAUTHORIZED
    assert user.get("/api/jwt/stateless/me/", headers=access).status == HTTPStatus.OK
    refresh = user.post("/api/jwt/token/refresh/", {"refresh": pair["refresh"]})
    assert refresh.status == HTTPStatus.UNAUTHORIZED


def test_the_proxy_spreads_requests_and_samples_name_their_instance(cluster: Cluster) -> None:
    client = SiteClient(cluster.url)
    access = bearer_header(client.token_pair("carol", PASSWORD)["access"])
    for _ in range(10):
        assert client.get("/api/jwt/stateless/me/", headers=access).status == HTTPStatus.OK
    carol = cluster.user_id("carol")
    for name in cluster.instances:
        # The dashboard nudges the instance's writer thread; nothing waits for it.
        assert SiteClient(cluster.instance_url(name)).get("/comparison/").status == HTTPStatus.OK

    def stored() -> dict[str, int]:
        with psycopg.connect(cluster.database_url) as connection:
            rows = connection.execute(
                "SELECT instance, count(*) FROM comparison_authsample "
                "WHERE lane = 'stateless' AND user_id = %s GROUP BY instance",
                [carol],
            ).fetchall()
        return dict(rows)

    wait_until(lambda: sum(stored().values()) == 10, "the writer threads")
    counts = stored()
    assert set(counts) == {"app-a", "app-b"}
    assert sum(counts.values()) == 10


def test_each_redis_keeps_its_files_in_its_own_folder_outside_the_repository(
    cluster: Cluster,
) -> None:
    folders = {
        Path(Redis(port=cluster.ports[name]).config_get("dir")["dir"])
        for name in ("redis-primary", "redis-replica")
    }

    assert len(folders) == 2
    assert not any(folder.is_relative_to(REPO_ROOT) for folder in folders)


def test_poisoned_sample_does_not_stop_recording_on_postgresql(cluster: Cluster) -> None:
    client = SiteClient(cluster.url)
    access = bearer_header(client.token_pair("dave", PASSWORD)["access"])
    dave = cluster.user_id("dave")

    for name in cluster.instances:
        SiteClient(cluster.instance_url(name)).get("/admin/%00")
    for _ in range(4):
        assert client.get("/api/jwt/lookup/me/", headers=access).status == HTTPStatus.OK
    for name in cluster.instances:
        assert SiteClient(cluster.instance_url(name)).get("/comparison/").status == HTTPStatus.OK

    def lookups_stored() -> int:
        with psycopg.connect(cluster.database_url) as connection:
            return connection.execute(
                "SELECT count(*) FROM comparison_authsample WHERE lane = 'lookup' AND user_id = %s",
                [dave],
            ).fetchone()[0]

    wait_until(lambda: lookups_stored() == 4, "the writer threads")
    with psycopg.connect(cluster.database_url) as connection:
        paths = connection.execute(
            "SELECT DISTINCT path FROM comparison_authsample WHERE path LIKE '/admin/%%'"
        ).fetchall()
        drops = connection.execute("SELECT count(*) FROM comparison_recorderdrop").fetchone()
    assert ("/admin/",) in paths
    assert drops == (0,)
