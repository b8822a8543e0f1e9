"""
A ``next`` that leads a signed-in user back to a login page (or the refresh
endpoint) is replaced by the area's home: never a redirect loop, never a 500.
"""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db

BOUNCING_NEXT = [
    "/session/login/",
    "/session/login/?next=/session/login/",
    "/session/login/?next=%2Fsession%2Flogin%2F%3Fnext%3D%252Fsession%252Flogin%252F",
    "/session/login/?a=1",
    "/session/login/#top",
    "/session/%6Cogin/",
    "http://testserver/session/login/",
    "//testserver/session/login/",
    "/jwt/login/",
    "/jwt/login/?next=/jwt/login/",
    "/jwt/auth/refresh/",
    "/jwt/auth/refresh/?next=/jwt/auth/refresh/",
    "/jwt/auth/refresh/?next=/session/login/",
]


@pytest.fixture
def signed_in_both(user) -> Client:
    client = Client()
    for url in ("accounts:session-login", "accounts:jwt-login"):
        client.post(reverse(url), {"username": "alice", "password": PASSWORD})
    return client


@pytest.mark.parametrize("login", ["accounts:session-login", "accounts:jwt-login"])
@pytest.mark.parametrize("next_url", BOUNCING_NEXT)
def test_login_redirect_loop_is_cut_for_a_signed_in_user(
    signed_in_both: Client, login: str, next_url: str
) -> None:
    first = signed_in_both.get(reverse(login), {"next": next_url})
    # follow=True raises RedirectCycleError on a loop, and stops after 20 hops anyway.
    landing = signed_in_both.get(reverse(login), {"next": next_url}, follow=True)

    assert first.status_code == HTTPStatus.FOUND
    assert landing.status_code == HTTPStatus.OK
    assert len(landing.redirect_chain) <= 3
    assert landing.redirect_chain[-1][0] in {"/session/", "/jwt/"}


@pytest.mark.parametrize("login", ["accounts:session-login", "accounts:jwt-login"])
@pytest.mark.parametrize("next_url", BOUNCING_NEXT)
def test_login_redirect_loop_is_cut_after_a_successful_login(
    user, login: str, next_url: str
) -> None:
    response = Client().post(
        reverse(login), {"username": "alice", "password": PASSWORD, "next": next_url}, follow=True
    )

    assert response.status_code == HTTPStatus.OK
    assert response.redirect_chain[-1][0] in {"/session/", "/jwt/"}
