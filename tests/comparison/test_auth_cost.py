"""Exact costs and outcomes of each lane's authentication step, from real hooks."""

import copy
from http import HTTPStatus

import jwt
import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.keys import KEY_GENERATORS, token_sign
from accounts.services import user_revoke_access
from comparison.models import AuthRollup, AuthSample, LatencyBucket, RecorderDrop
from comparison.recorder import recorder
from tests.helpers import PASSWORD, bearer
from tools.processes import free_loopback_port

pytestmark = pytest.mark.django_db

# lane -> (Redis round trips, database queries) of an accepted request
EXPECTED_COSTS = {"stateless": (0, 0), "denylist": (1, 0), "lookup": (0, 1)}


def only_sample() -> AuthSample:
    return AuthSample.objects.get()


def test_session_lane_costs_one_redis_round_trip_and_one_query(
    session_client: Client, flush_samples
) -> None:
    flush_samples()
    AuthSample.objects.all().delete()

    response = session_client.get(reverse("accounts:session-profile"))

    flush_samples()
    sample = only_sample()
    assert (sample.lane, sample.outcome) == ("session", "accepted")
    assert (sample.redis_round_trips, sample.db_queries) == (1, 1)
    session_cookie = session_client.cookies[settings.SESSION_COOKIE_NAME]
    assert sample.credential_bytes == len(settings.SESSION_COOKIE_NAME) + 1 + len(
        session_cookie.value
    )
    assert response["Server-Timing"].startswith("auth;dur=")


@pytest.mark.parametrize(("lane", "costs"), EXPECTED_COSTS.items())
def test_each_jwt_lane_costs_its_round_trips_and_queries(
    api_client, token_pair, lane, costs, flush_samples
):
    flush_samples()
    AuthSample.objects.all().delete()

    api_client.get(reverse(f"api:{lane}-me"), **bearer(token_pair["access"]))

    flush_samples()
    sample = only_sample()
    assert (sample.lane, sample.outcome) == (lane, "accepted")
    assert (sample.redis_round_trips, sample.db_queries) == costs
    assert sample.credential_bytes == len(f"Bearer {token_pair['access']}")
    assert sample.user_id is not None


def test_jwt_pages_verify_without_any_lookup(user, client: Client, flush_samples) -> None:
    client.post(
        reverse("accounts:jwt-login"),
        {"username": "alice", "password": PASSWORD},
    )
    flush_samples()
    AuthSample.objects.all().delete()

    client.get(reverse("accounts:jwt-profile"))

    flush_samples()
    sample = only_sample()
    assert (sample.lane, sample.outcome, sample.redis_round_trips, sample.db_queries) == (
        "jwt_pages",
        "accepted",
        0,
        0,
    )


def test_each_page_shows_its_own_receipt(session_client: Client) -> None:
    response = session_client.get(reverse("accounts:session-home"))

    receipt = response.context["auth_cost"]
    assert receipt.lane == "session"
    assert b"1 Redis round trip" in response.content
    assert b"1 database query" in response.content


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("", "missing"),
        ("Bearer a b", "malformed"),
        ("Bearer not-a-jwt", "malformed"),
    ],
)
def test_rejections_record_their_reason(
    api_client: APIClient, header: str, reason: str, flush_samples
) -> None:
    kwargs = {"HTTP_AUTHORIZATION": header} if header else {}

    response = api_client.get(reverse("api:stateless-me"), **kwargs)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    flush_samples()
    assert only_sample().outcome == reason


def _resigned(token: str, *, foreign_key: bool = False, **changes) -> str:
    """The token's claims with ``changes``, signed as the site signs, or by a key not its own."""
    claims = {**jwt.decode(token, options={"verify_signature": False}), **changes}
    if not foreign_key:
        return token_sign(claims)
    header = jwt.get_unverified_header(token)
    return jwt.encode(claims, KEY_GENERATORS[header["alg"]](), headers=header)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"foreign_key": True}, "bad_signature"),
        ({"aud": "someone-else"}, "invalid_claims"),
        ({"iss": "someone-else"}, "invalid_claims"),
        ({"token_type": "refresh"}, "invalid_claims"),
        ({"exp": 1_000_000_000}, "expired"),
    ],
)
def test_jwt_rejections_are_told_apart(
    api_client, token_pair, changes, reason, flush_samples
) -> None:
    token = _resigned(token_pair["access"], **changes)

    response = api_client.get(reverse("api:stateless-me"), **bearer(token))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    flush_samples()
    assert only_sample().outcome == reason


def test_revoked_and_inactive_refusals_are_recorded_apart(
    api_client, token_pair, user, flush_samples
) -> None:
    user_revoke_access(user=user, actor=None)
    api_client.get(reverse("api:denylist-me"), **bearer(token_pair["access"]))
    user.is_active = False
    user.save()
    api_client.get(reverse("api:lookup-me"), **bearer(token_pair["access"]))

    flush_samples()
    outcomes = dict(AuthSample.objects.values_list("lane", "outcome"))
    assert outcomes == {"denylist": "revoked", "lookup": "inactive"}


def test_ended_session_is_recorded_as_not_found(
    session_client: Client, user, flush_samples
) -> None:
    user_revoke_access(user=user, actor=None)
    flush_samples()
    AuthSample.objects.all().delete()

    session_client.get(reverse("accounts:session-home"))

    flush_samples()
    assert only_sample().outcome == "not_found"


def test_samples_roll_up_into_minutes_and_latency_buckets(
    api_client, token_pair, flush_samples
) -> None:
    for _ in range(3):
        api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))

    flush_samples()
    rollup = AuthRollup.objects.get(lane="stateless")
    assert (rollup.outcome, rollup.requests, rollup.redis_round_trips_sum) == ("accepted", 3, 0)
    assert (
        sum(LatencyBucket.objects.filter(lane="stateless").values_list("requests", flat=True)) == 3
    )


def test_raw_samples_are_bounded(api_client, token_pair, settings, flush_samples) -> None:
    settings.COMPARISON_RAW_SAMPLES_KEPT = 2
    for _ in range(5):
        api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))

    flush_samples()
    assert AuthSample.objects.count() == 2
    assert AuthRollup.objects.get().requests == 5


def test_recording_off_stores_nothing_but_still_measures(
    api_client, token_pair, settings, flush_samples
) -> None:
    settings.COMPARISON_RECORDING = False

    response = api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))

    assert "auth;dur=" in response["Server-Timing"]
    assert flush_samples() == 0
    assert not AuthSample.objects.exists()


def test_a_failed_write_keeps_samples_and_counts_what_overflows(
    api_client, token_pair, settings, monkeypatch, flush_samples
) -> None:
    settings.COMPARISON_BUFFER_LIMIT = 2

    def unreachable(batch, *, using):
        raise OperationalError("disk I/O error")

    for _ in range(3):
        response = api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))
        assert response.status_code == HTTPStatus.OK
    monkeypatch.setattr("comparison.recorder.store_batch", unreachable)
    assert flush_samples() == 0
    monkeypatch.undo()

    assert recorder.pending() == 2
    # Counted in a transaction of its own, while the batch could not be written.
    assert RecorderDrop.objects.get().samples == 1
    assert flush_samples() == 2
    assert AuthSample.objects.count() == 2


@pytest.fixture
def redis_down(settings) -> None:
    """Point the app at a loopback port where nothing listens: connections are refused."""
    caches = copy.deepcopy(settings.CACHES)
    for alias in caches:
        caches[alias]["LOCATION"] = f"redis://127.0.0.1:{free_loopback_port()}/0"
    settings.CACHES = caches


def test_redis_outage_gives_503_in_the_session_area_and_is_recorded(
    session_client: Client, redis_down, flush_samples
) -> None:
    flush_samples()
    AuthSample.objects.all().delete()

    response = session_client.get(reverse("accounts:session-home"))

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"] == "5"
    assert b"A data store is not answering" in response.content
    flush_samples()
    sample = AuthSample.objects.get(lane="session")
    assert (sample.outcome, sample.status) == ("store_unavailable", HTTPStatus.SERVICE_UNAVAILABLE)


def test_redis_outage_gives_503_on_the_denylist_lane_only(
    api_client, token_pair, redis_down, flush_samples
):
    denylist = api_client.get(reverse("api:denylist-me"), **bearer(token_pair["access"]))
    stateless = api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))

    assert denylist.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert denylist.json()["code"] == "store_unavailable"
    assert stateless.status_code == HTTPStatus.OK
    flush_samples()
    outcomes = dict(AuthSample.objects.values_list("lane", "outcome"))
    assert outcomes == {"denylist": "store_unavailable", "stateless": "accepted"}


def test_session_json_lane_costs_the_same_as_the_session_pages(
    session_client: Client, flush_samples
) -> None:
    flush_samples()
    AuthSample.objects.all().delete()

    response = session_client.get(reverse("api:session-me"))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["user"]["username"] == "alice"
    flush_samples()
    sample = only_sample()
    assert (sample.lane, sample.redis_round_trips, sample.db_queries) == ("session", 1, 1)


def test_the_baseline_endpoint_has_no_auth_step(client: Client, flush_samples) -> None:
    response = client.get(reverse("api:ping"))

    assert response.json() == {"ok": True}
    assert "Server-Timing" not in response
    assert flush_samples() == 0
    assert not AuthSample.objects.exists()


def test_a_token_naming_a_non_numeric_user_is_measured_without_error(
    api_client, token_pair, flush_samples
):
    token = _resigned(token_pair["access"], user_id="not-a-number")

    response = api_client.get(reverse("api:stateless-me"), **bearer(token))

    # The claim cannot name a user (accounts.tokens.check_claims): refused, and recorded so.
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    flush_samples()
    assert (only_sample().user_id, only_sample().outcome) == (None, "invalid_claims")
