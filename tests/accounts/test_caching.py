from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.helpers import bearer

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
