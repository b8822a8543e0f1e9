"""
The JWT API's normal behaviour: login, refresh, verify, blacklist, every lane
accepting a good token, and the shape of its errors. Forged and malformed
tokens live in tests/attacks/test_jwt_forgery.py, broken headers and bodies
in tests/attacks/test_malformed_input.py.
"""

import threading
from datetime import timedelta
from http import HTTPStatus

import jwt
import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts import selectors
from accounts.lanes import bearer_lanes
from accounts.models import RevocationEvent, User
from accounts.tokens import RefreshToken
from tests.helpers import PASSWORD, bearer

# Every test here runs with the default key pair and again with HS256.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("jwt_algorithm")]


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.mark.parametrize("lane", [lane.name for lane in bearer_lanes()])
def test_every_lane_accepts_a_fresh_access_token(api_client: APIClient, token_pair, lane) -> None:
    response = api_client.get(reverse(f"api:{lane}-me"), **bearer(token_pair["access"]))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["lane"] == lane
    assert response.json()["user"]["username"] == "alice"


@pytest.mark.parametrize("lane", [lane.name for lane in bearer_lanes()])
def test_every_lane_asks_for_credentials_with_a_code(api_client: APIClient, lane) -> None:
    response = api_client.get(reverse(f"api:{lane}-me"))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_tokens_carry_pinned_algorithm_issuer_audience_and_minimal_claims(
    token_pair, jwt_algorithm
) -> None:
    header = jwt.get_unverified_header(token_pair["access"])
    claims = _claims(token_pair["access"])

    assert header["alg"] == jwt_algorithm
    # A key pair is named by its kid; a shared secret has nothing to name.
    assert ("kid" in header) is (jwt_algorithm != "HS256")
    assert claims["iss"] == settings.SIMPLE_JWT["ISSUER"]
    assert claims["aud"] == settings.SIMPLE_JWT["AUDIENCE"]
    assert set(claims) == {
        "token_type", "exp", "iat", "jti", "user_id", "username", "is_staff", "iss", "aud",
    }  # fmt: skip


def test_signing_key_is_not_the_secret_key() -> None:
    assert settings.SIMPLE_JWT["SIGNING_KEY"] != settings.SECRET_KEY
    assert len(settings.SIMPLE_JWT["SIGNING_KEY"].encode()) >= 32


def test_default_lifetimes_are_five_minutes_and_one_day(token_pair) -> None:
    access, refresh = _claims(token_pair["access"]), _claims(token_pair["refresh"])

    assert access["exp"] - access["iat"] == 5 * 60
    assert refresh["exp"] - refresh["iat"] == 24 * 60 * 60


def test_wrong_password_gets_401_with_code(api_client: APIClient, user: User) -> None:
    response = api_client.post(reverse("api:token-obtain"), {"username": "alice", "password": "x"})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "no_active_account"


def test_refresh_rotates_and_the_new_refresh_token_works(api_client, token_pair) -> None:
    url = reverse("api:token-refresh")

    first = api_client.post(url, {"refresh": token_pair["refresh"]})
    second = api_client.post(url, {"refresh": first.json()["refresh"]})

    assert second.status_code == HTTPStatus.OK
    assert _claims(second.json()["refresh"])["family"] == _claims(token_pair["refresh"])["family"]
    assert "family" not in _claims(second.json()["access"])


def test_refresh_rotates_and_the_old_refresh_token_is_then_refused(api_client, token_pair) -> None:
    url = reverse("api:token-refresh")

    first = api_client.post(url, {"refresh": token_pair["refresh"]})
    again = api_client.post(url, {"refresh": token_pair["refresh"]})

    assert first.status_code == HTTPStatus.OK
    assert first.json()["refresh"] != token_pair["refresh"]
    assert again.status_code == HTTPStatus.UNAUTHORIZED
    # A second after the spend, a reuse is taken for a concurrent tab (test_refresh_reuse.py).
    assert again.json()["code"] == "token_refresh_race"


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_refreshes_of_one_token_let_exactly_one_through(user: User) -> None:
    refresh = str(RefreshToken.for_user(user))
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def use_token() -> None:
        try:
            barrier.wait()
            response = APIClient().post(reverse("api:token-refresh"), {"refresh": refresh})
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=use_token) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [HTTPStatus.OK] + [HTTPStatus.UNAUTHORIZED] * 9
    # The losers came within the grace window: a race, so the winner's new token lives on.
    assert selectors.user_refresh_token_list(user=user).count() == 1
    assert not RevocationEvent.objects.exists()


def test_verify_accepts_a_fresh_token_and_blacklisting_ends_its_refresh(api_client, token_pair):
    verify = api_client.post(reverse("api:token-verify"), {"token": token_pair["access"]})
    logout = api_client.post(reverse("api:token-blacklist"), {"refresh": token_pair["refresh"]})
    refresh = api_client.post(reverse("api:token-refresh"), {"refresh": token_pair["refresh"]})

    assert verify.status_code == HTTPStatus.OK
    assert logout.status_code == HTTPStatus.OK
    assert refresh.status_code == HTTPStatus.UNAUTHORIZED


def test_refresh_for_a_deleted_user_is_401_not_500(api_client: APIClient, token_pair, user) -> None:
    user.delete()

    response = api_client.post(reverse("api:token-refresh"), {"refresh": token_pair["refresh"]})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] in {"no_active_account", "token_not_valid"}


def test_stateless_lane_accepts_until_expiry_then_rejects(
    api_client: APIClient, token_pair
) -> None:
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] + settings.SIMPLE_JWT["LEEWAY"]
    url = reverse("api:stateless-me")

    with time_machine.travel(timezone.now() + lifetime - timedelta(seconds=2)):
        before = api_client.get(url, **bearer(token_pair["access"]))
    with time_machine.travel(timezone.now() + lifetime + timedelta(seconds=1)):
        after = api_client.get(url, **bearer(token_pair["access"]))

    assert before.status_code == HTTPStatus.OK
    assert after.status_code == HTTPStatus.UNAUTHORIZED
    assert after.json()["code"] == "token_expired"


@pytest.mark.parametrize("method", ["post", "delete"])
def test_wrong_method_on_a_lane_is_405_with_code(api_client, token_pair, method) -> None:
    response = getattr(api_client, method)(reverse("api:lookup-me"), **bearer(token_pair["access"]))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json()["code"] == "method_not_allowed"


def test_unknown_api_url_is_json_404(api_client: APIClient) -> None:
    response = api_client.get("/api/jwt/nowhere/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "Nothing lives here.", "code": "not_found"}


def test_login_answers_with_an_access_and_a_refresh_token(api_client: APIClient, user) -> None:
    response = api_client.post(
        reverse("api:token-obtain"),
        {"username": "alice", "password": PASSWORD},
    )

    assert set(response.json()) == {"access", "refresh"}


def test_user_id_field_other_than_the_primary_key_works_everywhere(
    api_client: APIClient, user: User, settings
) -> None:
    """SimpleJWT's USER_ID_FIELD names users in tokens; every lookup must follow it."""
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "USER_ID_FIELD": "username"}
    pair = api_client.post(
        reverse("api:token-obtain"), {"username": "alice", "password": PASSWORD}
    ).json()
    assert jwt.decode(pair["access"], options={"verify_signature": False})["user_id"] == "alice"
    lanes = {
        lane.name: api_client.get(reverse(f"api:{lane.name}-me"), **bearer(pair["access"]))
        for lane in bearer_lanes()
    }
    # Refreshed even when its outstanding row is gone: the spend records it, naming the user.
    OutstandingToken.objects.all().delete()
    rotated = api_client.post(reverse("api:token-refresh"), {"refresh": pair["refresh"]})
    page = Client()
    page.post(reverse("accounts:jwt-login"), {"username": "alice", "password": PASSWORD})
    sessions_page = page.get(reverse("accounts:jwt-list"))
    with time_machine.travel(timezone.now() + timedelta(seconds=60)):
        reused = api_client.post(reverse("api:token-refresh"), {"refresh": pair["refresh"]})
        denylisted = api_client.get(reverse("api:denylist-me"), **bearer(rotated.json()["access"]))

    assert {name: response.status_code for name, response in lanes.items()} == dict.fromkeys(
        lanes, HTTPStatus.OK
    )
    assert rotated.status_code == HTTPStatus.OK
    assert OutstandingToken.objects.filter(user=user).count() == 3
    assert sessions_page.status_code == HTTPStatus.OK
    assert reused.json()["code"] == "token_blacklisted"
    assert RevocationEvent.objects.get().user == user
    assert denylisted.json()["code"] == "token_revoked"
