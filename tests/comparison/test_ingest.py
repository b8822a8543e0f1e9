"""
The endpoint the second service sends its measurements to: who may use it,
what a batch may hold, and what the dashboard then shows.
"""

import json
import time
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from comparison.models import AuthSample, RecorderDrop

pytestmark = pytest.mark.django_db

KEY = "an-ingest-key-for-the-tests-0123456789"


@pytest.fixture(autouse=True)
def _ingest_key(settings) -> None:
    settings.COMPARISON_INGEST_KEY = KEY


def sample(**fields) -> dict:
    return {
        "at": time.time(),
        "lane": "remote_stateless",
        "path": "/api/jwt/stateless/me/",
        "status": 200,
        "code": "",
        "auth_us": 182.5,
        "redis_round_trips": 0,
        "credential_bytes": 350,
        "credential_id": "0123456789abcdef",
        "user_id": 7,
        **fields,
    }


def send(body, *, key: str | None = KEY):
    headers = {"HTTP_X_COMPARISON_INGEST_KEY": key} if key is not None else {}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Client().post(
        reverse("comparison:ingest"), raw, content_type="application/json", **headers
    )


def test_a_batch_is_stored_with_outcomes_mapped_from_the_codes(flush_samples) -> None:
    at = time.time() - 30
    response = send(
        {
            "samples": [
                sample(at=at),
                sample(
                    lane="remote_denylist",
                    path="/api/jwt/denylist/staff/",
                    code="token_revoked",
                    status=401,
                    redis_round_trips=1,
                    user_id=None,
                ),
                sample(code="token_expired", status=401, user_id=None),
                sample(code="keys_unavailable", status=503, user_id=None),
                sample(code="not_a_code_anyone_sends", status=401, user_id=None),
            ],
            "dropped": 0,
        }
    )

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"stored": 5}
    flush_samples()
    rows = list(AuthSample.objects.order_by("pk").values_list("lane", "outcome", "status"))
    assert rows == [
        ("remote_stateless", "accepted", 200),
        ("remote_denylist", "revoked", 401),
        ("remote_stateless", "expired", 401),
        ("remote_stateless", "store_unavailable", 503),
        ("remote_stateless", "malformed", 401),
    ]
    first = AuthSample.objects.order_by("pk").first()
    assert abs(first.at.timestamp() - at) < 0.001
    assert (first.user_id, first.db_queries, first.credential_bytes) == (7, 0, 350)


def test_an_accepted_tokens_expiry_is_stored_so_its_revocation_has_a_bound(
    flush_samples,
) -> None:
    expires = int(time.time()) + 300
    send(
        {
            "samples": [
                sample(credential_expires_at=expires),
                sample(credential_expires_at=expires, code="token_revoked", status=401),
                sample(),
            ]
        }
    )
    flush_samples()

    stored = [
        None if row is None else row.timestamp()
        for row in AuthSample.objects.order_by("pk").values_list("credential_expires_at", flat=True)
    ]
    # A refusal has no credential to bound; a sender that leaves it out, none known.
    assert stored == [expires, None, None]


def test_the_senders_dropped_samples_are_counted_not_lost() -> None:
    send({"samples": [], "dropped": 12})

    assert RecorderDrop.objects.get().samples == 12


@pytest.mark.parametrize("key", [None, "", "wrong", KEY[:-1], KEY + "x"])
def test_without_the_right_key_nothing_is_stored(key, flush_samples) -> None:
    response = send({"samples": [sample()]}, key=key)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "ingest_key_wrong"
    assert flush_samples() == 0
    assert not AuthSample.objects.exists()


def test_ingest_is_off_without_a_key(settings) -> None:
    settings.COMPARISON_INGEST_KEY = ""

    response = send({"samples": [sample()]}, key="")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "ingest_off"


def test_only_post_is_answered() -> None:
    response = Client().get(reverse("comparison:ingest"), HTTP_X_COMPARISON_INGEST_KEY=KEY)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_a_batch_larger_than_the_bound_is_refused_whole(settings, flush_samples) -> None:
    settings.COMPARISON_INGEST_MAX_BATCH = 3

    response = send({"samples": [sample() for _ in range(4)]})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "bad_batch"
    assert flush_samples() == 0
    assert not AuthSample.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"lane": "session"},
        {"lane": "stateless"},
        {"lane": "nope"},
        {"path": "/admin/"},
        {"path": "/api/jwt/denylist/me/"},
        {"status": 99},
        {"status": "200"},
        {"auth_us": -1},
        {"auth_us": float("inf")},
        {"auth_us": 1e12},
        {"redis_round_trips": 101},
        {"credential_bytes": 10**6},
        {"credential_id": "<script>"},
        {"credential_id": "0123456789abcdef0"},
        {"code": "Token is expired"},
        {"code": "x" * 41},
        {"user_id": "7"},
        {"user_id": True},
        {"at": time.time() - 2 * 3600},
        {"at": time.time() + 3600},
        {"at": None},
        {"credential_expires_at": "1900000000"},
        {"credential_expires_at": float("nan")},
        {"credential_expires_at": time.time() - 2 * 86400},
        {"credential_expires_at": time.time() + 400 * 86400},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_sample_out_of_bounds_refuses_the_whole_batch(change, flush_samples) -> None:
    response = send({"samples": [sample(), sample(**change)]})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "bad_batch"
    assert flush_samples() == 0
    assert not AuthSample.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"samples": {}}',
        b'{"samples": [1]}',
        b'{"samples": [], "dropped": -1}',
    ],
)
def test_a_malformed_body_is_a_clear_400(body) -> None:
    response = send(body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "bad_batch"


def test_ingested_lanes_appear_on_the_dashboard(flush_samples) -> None:
    send({"samples": [sample(), sample(lane="remote_denylist", path="/api/jwt/denylist/me/")]})
    flush_samples()

    response = Client().get(reverse("comparison:dashboard"))

    summaries = {summary.lane: summary for summary in response.context["summaries"]}
    assert summaries["remote_stateless"].requests == 1
    assert summaries["remote_denylist"].requests == 1
    assert b"Second service, stateless" in response.content
