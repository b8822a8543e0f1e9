"""The second service in the cluster: behind the proxy under /remote/, beside both instances."""

from http import HTTPStatus

import psycopg

from tests.helpers import PASSWORD, bearer_header
from tools.cluster import Cluster
from tools.processes import wait_until
from tools.site_client import SiteClient


def test_a_token_from_either_instance_is_accepted_by_the_second_service(cluster: Cluster):
    for instance in cluster.instances:
        access = SiteClient(cluster.instance_url(instance)).token_pair("dave", PASSWORD)["access"]
        client = SiteClient(cluster.url)

        for lane in ("stateless", "denylist"):
            answer = client.get(f"/remote/api/jwt/{lane}/me/", headers=bearer_header(access))
            assert answer.status == HTTPStatus.OK, (instance, lane)
            assert answer.json()["lane"] == f"remote_{lane}"
            assert answer.json()["user"]["username"] == "dave"


def test_a_revocation_on_an_instance_reaches_the_second_services_denylist(cluster: Cluster):
    client = SiteClient(cluster.url)
    access = bearer_header(client.token_pair("erin", PASSWORD)["access"])
    assert client.get("/remote/api/jwt/denylist/me/", headers=access).status == HTTPStatus.OK
    admin = SiteClient(cluster.instance_url("app-b"))
    admin.log_in("/admin/login/", "root", PASSWORD)

    admin.form_post(
        "/admin/accounts/user/",
        {"action": "revoke_access", "_selected_action": [cluster.user_id("erin")], "index": 0},
    )

    denylist = client.get("/remote/api/jwt/denylist/me/", headers=access)
    assert (denylist.status, denylist.json()["code"]) == (HTTPStatus.UNAUTHORIZED, "token_revoked")
    assert client.get("/remote/api/jwt/stateless/me/", headers=access).status == HTTPStatus.OK


def test_the_second_services_requests_are_stored_by_the_cluster(cluster: Cluster):
    client = SiteClient(cluster.url)
    access = bearer_header(client.token_pair("carol", PASSWORD)["access"])
    for _ in range(5):
        assert client.get("/remote/api/jwt/stateless/me/", headers=access).status == HTTPStatus.OK
    carol = cluster.user_id("carol")

    def stored() -> int:
        # The dashboard writes out each instance's buffered samples, ingested ones too.
        for name in cluster.instances:
            SiteClient(cluster.instance_url(name)).get("/comparison/")
        with psycopg.connect(cluster.database_url) as connection:
            row = connection.execute(
                "SELECT count(*) FROM comparison_authsample "
                "WHERE lane = 'remote_stateless' AND user_id = %s",
                [carol],
            ).fetchone()
        return row[0] if row else 0

    wait_until(lambda: stored() == 5, "the second service's samples in PostgreSQL", timeout=15)
