import base64
import json
import threading
from datetime import timedelta
from http import HTTPStatus

import jwt
import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts import selectors
from accounts.lanes import bearer_lanes
from accounts.models import User
from accounts.tokens import RefreshToken
from tests.helpers import PASSWORD, bearer

pytestmark = pytest.mark.django_db


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _sign(
    claims: dict, key: str = settings.SIMPLE_JWT["SIGNING_KEY"], algorithm: str = "HS256"
) -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


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


def test_tokens_carry_pinned_algorithm_issuer_audience_and_minimal_claims(token_pair) -> None:
    header = jwt.get_unverified_header(token_pair["access"])
    claims = _claims(token_pair["access"])

    assert header["alg"] == "HS256"
    assert claims["iss"] == settings.SIMPLE_JWT["ISSUER"]
    assert claims["aud"] == settings.SIMPLE_JWT["AUDIENCE"]
    assert set(claims) == {"token_type", "exp", "iat", "jti", "user_id", "username", "iss", "aud"}


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
    assert again.json()["code"] == "token_not_valid"


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
    # The losers reused a spent token: the family, winner's new token included, is ended.
    assert not selectors.user_refresh_token_list(user=user).exists()


def test_verify_and_blacklist_endpoints(api_client: APIClient, token_pair) -> None:
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


FORGERY_CODES = {
    "wrong_issuer": "token_invalid_claims",
    "wrong_audience": "token_invalid_claims",
    "refresh_as_access": "token_wrong_type",
    "expired": "token_expired",
    "malformed": "token_malformed",
    "two_segments": "token_malformed",
    "binary_junk": "token_malformed",
}


def _forgeries(user: User) -> dict[str, str]:
    good = str(AccessToken.for_user(user))
    header, payload, signature = good.split(".")
    claims = _claims(good)
    expired = AccessToken.for_user(user)
    expired.set_exp(from_time=timezone.now() - timedelta(hours=1))
    return {
        "alg_none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "alg_none_signed": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.{signature}",
        "tampered_payload": f"{header}.{_b64({**claims, 'user_id': '999'})}.{signature}",
        "tampered_signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "no_signature": f"{header}.{payload}.",
        "another_key": _sign(claims, key="another-key-that-is-long-enough-for-hs256!"),
        "hs512": _sign(claims, algorithm="HS512"),
        "wrong_issuer": _sign({**claims, "iss": "someone-else"}),
        "wrong_audience": _sign({**claims, "aud": "someone-else"}),
        "refresh_as_access": str(RefreshToken.for_user(user)),
        "expired": str(expired),
        "malformed": "not-a-jwt",
        "two_segments": f"{header}.{payload}",
        "binary_junk": "%%%.$$$.###",
    }


@pytest.mark.parametrize("lane", [lane.name for lane in bearer_lanes()])
def test_forged_or_wrong_tokens_get_401_with_a_code(
    api_client: APIClient, user: User, lane
) -> None:
    for name, token in _forgeries(user).items():
        response = api_client.get(reverse(f"api:{lane}-me"), **bearer(token))

        assert response.status_code == HTTPStatus.UNAUTHORIZED, name
        assert response.json()["code"] == FORGERY_CODES.get(name, "token_bad_signature"), name


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer\tx", "Token abc", "bearer abc", "Basic Zm9vOmJhcg=="],
)
def test_broken_authorization_headers_get_a_clear_answer(
    api_client: APIClient, header: str
) -> None:
    response = api_client.get(reverse("api:stateless-me"), HTTP_AUTHORIZATION=header)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "code" in response.json()


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


@pytest.mark.parametrize(
    ("method", "expected"), [("post", HTTPStatus.METHOD_NOT_ALLOWED), ("delete", 405)]
)
def test_wrong_method_on_a_lane_is_405_with_code(api_client, token_pair, method, expected) -> None:
    response = getattr(api_client, method)(reverse("api:lookup-me"), **bearer(token_pair["access"]))

    assert response.status_code == expected
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("body", ["{", "[]", '{"refresh": 5}', '{"refresh": null}', "null"])
def test_garbage_json_to_token_endpoints_is_a_4xx_with_code(
    api_client: APIClient, body: str
) -> None:
    for name in ("token-obtain", "token-refresh", "token-verify", "token-blacklist"):
        response = api_client.post(reverse(f"api:{name}"), body, content_type="application/json")

        assert HTTPStatus.BAD_REQUEST <= response.status_code < 500, (name, body)
        assert "code" in response.json(), (name, body)


def test_unknown_api_url_is_json_404(api_client: APIClient) -> None:
    response = api_client.get("/api/jwt/nowhere/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "Nothing lives here.", "code": "not_found"}


def test_login_with_password_of_a_user(api_client: APIClient, user: User) -> None:
    response = api_client.post(
        reverse("api:token-obtain"),
        {"username": "alice", "password": PASSWORD},
    )

    assert set(response.json()) == {"access", "refresh"}
