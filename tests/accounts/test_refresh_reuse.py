"""
A spent refresh token presented again: theft ends its whole family at once
(tokens blacklisted, access tokens denylisted, a revocation recorded), while
two tabs refreshing at the same moment, inside the grace window, do not.
"""

from datetime import timedelta
from http import HTTPStatus

import jwt
import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import RevocationEvent, User
from tests.helpers import PASSWORD, bearer

pytestmark = pytest.mark.django_db


def refresh(client: APIClient, token: str):
    return client.post(reverse("api:token-refresh"), {"refresh": token})


def log_in(client: APIClient) -> dict:
    return client.post(
        reverse("api:token-obtain"), {"username": "alice", "password": PASSWORD}
    ).json()


GRACE = timedelta(seconds=10)
AFTER_GRACE = GRACE + timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _grace_window(settings) -> None:
    """The window pinned to the documented default, whatever the environment sets."""
    settings.ACCOUNTS_REFRESH_REUSE_GRACE_SECONDS = GRACE.total_seconds()


def test_reusing_a_spent_token_ends_every_token_of_its_family(api_client, user: User) -> None:
    stolen = log_in(api_client)["refresh"]
    owner = refresh(api_client, stolen).json()["refresh"]
    owner = refresh(api_client, owner).json()["refresh"]

    with time_machine.travel(timezone.now() + AFTER_GRACE):
        thief = refresh(api_client, stolen)
        owner_after = refresh(api_client, owner)

    assert thief.status_code == HTTPStatus.UNAUTHORIZED
    assert thief.json()["code"] == "token_blacklisted"
    assert owner_after.status_code == HTTPStatus.UNAUTHORIZED
    event = RevocationEvent.objects.get(reason="refresh_reuse")
    assert (event.user, event.refresh_tokens_blacklisted, event.access_tokens_denylisted) == (
        user,
        1,
        True,
    )


@pytest.mark.parametrize(
    ("after", "race"),
    [
        (timedelta(0), True),
        (GRACE, True),
        (AFTER_GRACE, False),
        (timedelta(minutes=5), False),
    ],
)
def test_refresh_race_inside_the_grace_window_keeps_the_family_and_theft_after_it_ends_it(
    api_client, user: User, after: timedelta, race: bool
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = log_in(api_client)
        winner = refresh(api_client, first["refresh"]).json()
    with time_machine.travel(start + after, tick=False):
        loser = refresh(api_client, first["refresh"])
        winner_goes_on = refresh(api_client, winner["refresh"])
        denylisted = api_client.get(reverse("api:denylist-me"), **bearer(winner["access"]))

    assert loser.status_code == HTTPStatus.UNAUTHORIZED
    assert loser.json()["code"] == ("token_refresh_race" if race else "token_blacklisted")
    if race:
        assert winner_goes_on.status_code == HTTPStatus.OK
        assert denylisted.status_code == HTTPStatus.OK
        assert not RevocationEvent.objects.exists()
    else:
        assert winner_goes_on.status_code == HTTPStatus.UNAUTHORIZED
        assert denylisted.status_code == HTTPStatus.UNAUTHORIZED
        assert denylisted.json()["code"] == "token_revoked"
        assert RevocationEvent.objects.get().reason == "refresh_reuse"


def test_reuse_detection_sets_the_denylist_marker_so_the_thiefs_access_token_dies(
    api_client, user: User
) -> None:
    stolen = log_in(api_client)["refresh"]
    thief = refresh(api_client, stolen).json()
    assert api_client.get(reverse("api:denylist-me"), **bearer(thief["access"])).status_code == 200

    with time_machine.travel(timezone.now() + AFTER_GRACE):
        refresh(api_client, stolen)
        response = api_client.get(reverse("api:denylist-me"), **bearer(thief["access"]))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "token_revoked"


def test_other_logins_of_the_same_user_survive(api_client, user: User) -> None:
    other_device = log_in(api_client)["refresh"]
    stolen = log_in(api_client)["refresh"]
    refresh(api_client, stolen)

    with time_machine.travel(timezone.now() + AFTER_GRACE):
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
    assert again.json()["code"] == "token_blacklisted"
    assert not RevocationEvent.objects.exists()


def test_reuse_through_the_jwt_pages_ends_the_family_too(client: Client, user: User) -> None:
    client.post(reverse("accounts:jwt-login"), {"username": "alice", "password": PASSWORD})
    stolen = client.cookies[settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME].value
    client.get(reverse("accounts:jwt-refresh"))
    client.cookies[settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME] = stolen

    with time_machine.travel(timezone.now() + AFTER_GRACE):
        response = client.get(reverse("accounts:jwt-refresh"))

    assert response.url.startswith(reverse("accounts:jwt-login"))
    assert RevocationEvent.objects.get().reason == "refresh_reuse"
