"""A spent refresh token presented again is taken as theft: its whole family ends."""

from http import HTTPStatus

import jwt
import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import RevocationEvent, User
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


def refresh(client: APIClient, token: str):
    return client.post(reverse("api:token-refresh"), {"refresh": token})


def log_in(client: APIClient) -> dict:
    return client.post(
        reverse("api:token-obtain"), {"username": "alice", "password": PASSWORD}
    ).json()


def test_reusing_a_spent_token_ends_every_token_of_its_family(api_client, user: User) -> None:
    stolen = log_in(api_client)["refresh"]
    owner = refresh(api_client, stolen).json()["refresh"]
    owner = refresh(api_client, owner).json()["refresh"]

    thief = refresh(api_client, stolen)

    assert thief.status_code == HTTPStatus.UNAUTHORIZED
    assert refresh(api_client, owner).status_code == HTTPStatus.UNAUTHORIZED
    event = RevocationEvent.objects.get(reason="refresh_reuse")
    assert (event.user, event.refresh_tokens_blacklisted) == (user, 1)


def test_other_logins_of_the_same_user_survive(api_client, user: User) -> None:
    other_device = log_in(api_client)["refresh"]
    stolen = log_in(api_client)["refresh"]
    refresh(api_client, stolen)

    refresh(api_client, stolen)

    assert refresh(api_client, other_device).status_code == HTTPStatus.OK


def test_a_forged_token_naming_a_family_ends_nothing(api_client, user: User) -> None:
    genuine = log_in(api_client)["refresh"]
    claims = jwt.decode(genuine, options={"verify_signature": False})
    forged = jwt.encode(claims, "not-this-sites-key-but-long-enough-for-hs256!", algorithm="HS256")

    assert refresh(api_client, forged).status_code == HTTPStatus.UNAUTHORIZED
    assert not RevocationEvent.objects.exists()
    assert refresh(api_client, genuine).status_code == HTTPStatus.OK


def test_logging_out_twice_is_not_theft(api_client, user: User) -> None:
    pair = log_in(api_client)
    url = reverse("api:token-blacklist")

    api_client.post(url, {"refresh": pair["refresh"]})
    again = api_client.post(url, {"refresh": pair["refresh"]})

    assert again.status_code == HTTPStatus.UNAUTHORIZED
    assert not RevocationEvent.objects.exists()


def test_reuse_through_the_jwt_pages_ends_the_family_too(client, user: User) -> None:
    client.post(reverse("accounts:jwt-login"), {"username": "alice", "password": PASSWORD})
    stolen = client.cookies[settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME].value
    client.get(reverse("accounts:jwt-refresh"))
    client.cookies[settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME] = stolen

    response = client.get(reverse("accounts:jwt-refresh"))

    assert response.url.startswith(reverse("accounts:jwt-login"))
    assert RevocationEvent.objects.get().reason == "refresh_reuse"
