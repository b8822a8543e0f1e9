"""The snapshot lane: the session carries the user, so no query, and what that costs."""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from accounts.services import user_revoke_access
from comparison.models import AuthSample
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


def test_snapshot_lane_answers_from_the_session_alone(
    session_client: Client, user, flush_samples
) -> None:
    flush_samples()
    AuthSample.objects.all().delete()

    response = session_client.get(reverse("api:snapshot-me"))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["lane"] == "snapshot"
    assert response.json()["user"] == {"id": user.pk, "username": "alice"}
    flush_samples()
    sample = AuthSample.objects.get()
    assert (sample.lane, sample.outcome, sample.redis_round_trips, sample.db_queries) == (
        "snapshot",
        "accepted",
        1,
        0,
    )


def test_snapshot_lane_without_a_cookie_asks_for_credentials(client: Client, flush_samples) -> None:
    response = client.get(reverse("api:snapshot-me"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "not_authenticated"
    flush_samples()
    assert AuthSample.objects.get().outcome == "missing"


def test_revoked_session_is_refused_by_the_snapshot_lane_at_once(
    session_client: Client, user, flush_samples
) -> None:
    user_revoke_access(user=user, actor=None)

    response = session_client.get(reverse("api:snapshot-me"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "session_not_found"
    flush_samples()
    assert AuthSample.objects.filter(lane="snapshot").get().outcome == "not_found"


def test_snapshot_keeps_a_removed_role_until_the_session_ends(session_client: Client, user):
    user.is_staff = True
    user.save()
    client = Client()
    client.post(reverse("accounts:session-login"), {"username": "alice", "password": PASSWORD})
    user.is_staff = False
    user.save()

    remembered = client.get(reverse("api:snapshot-me"))
    fresh = client.get(reverse("api:session-me"))

    assert remembered.status_code == fresh.status_code == HTTPStatus.OK
    assert client.session["_svj_user"]["is_staff"] is True
    assert fresh.wsgi_request.user.is_staff is False
