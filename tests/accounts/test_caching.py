from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.helpers import PASSWORD, bearer

pytestmark = pytest.mark.django_db


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",")}


@pytest.mark.parametrize("name", ["accounts:session-home", "accounts:session-list"])
def test_authenticated_pages_are_not_stored_by_shared_caches(session_client, name) -> None:
    response = session_client.get(reverse(name))

    assert response.status_code == HTTPStatus.OK
    assert {"private", "no-store"} <= cache_control(response)
    assert "Cookie" in response["Vary"]


@pytest.mark.parametrize("lane", ["stateless", "lookup", "denylist"])
def test_authenticated_api_answers_are_not_stored(api_client: APIClient, token_pair, lane):
    response = api_client.get(reverse(f"api:{lane}-me"), **bearer(token_pair["access"]))

    assert {"private", "no-store"} <= cache_control(response)


def test_public_pages_stay_cacheable(client: Client) -> None:
    response = client.get(reverse("index"))

    assert "no-store" not in cache_control(response)


def _token_responses(user) -> dict[str, object]:
    api = APIClient()
    pair = api.post(reverse("api:token-obtain"), {"username": "alice", "password": PASSWORD})
    browser = Client()
    page_login = browser.post(
        reverse("accounts:jwt-login"), {"username": "alice", "password": PASSWORD}
    )
    return {
        "token_obtain": pair,
        "token_obtain_refused": api.post(
            reverse("api:token-obtain"), {"username": "alice", "password": "wrong"}
        ),
        "token_refresh": api.post(
            reverse("api:token-refresh"), {"refresh": pair.json()["refresh"]}
        ),
        "token_verify": api.post(reverse("api:token-verify"), {"token": pair.json()["access"]}),
        "token_blacklist": api.post(
            reverse("api:token-blacklist"), {"refresh": pair.json()["refresh"]}
        ),
        "jwt_page_login": page_login,
        "jwt_page_refresh": browser.get(reverse("accounts:jwt-refresh")),
        "playground_jwt_login": Client().post(reverse("comparison:playground-jwt-login")),
        "playground_session_login": Client().post(reverse("comparison:playground-session-login")),
        "session_login": Client().post(
            reverse("accounts:session-login"), {"username": "alice", "password": PASSWORD}
        ),
    }


def test_token_responses_are_never_stored(user) -> None:
    responses = _token_responses(user)

    assert {name: "no-store" in cache_control(r) for name, r in responses.items()} == dict.fromkeys(
        responses, True
    )
