from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.models import User
from accounts.services import user_revoke_access
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db

ACCESS = settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME
REFRESH = settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME
JWT_PAGES = ["accounts:jwt-home", "accounts:jwt-profile", "accounts:jwt-list"]


@pytest.fixture
def jwt_client(user: User) -> Client:
    client = Client()
    response = client.post(
        reverse("accounts:jwt-login"), {"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    return client


def test_login_sets_httponly_strict_cookies_with_a_scoped_refresh_path(user: User) -> None:
    response = Client().post(
        reverse("accounts:jwt-login"), {"username": "alice", "password": PASSWORD}
    )
    access, refresh = response.cookies[ACCESS], response.cookies[REFRESH]

    assert access["httponly"]
    assert refresh["httponly"]
    assert access["samesite"] == refresh["samesite"] == "Strict"
    assert access["path"] == "/"
    assert refresh["path"] == settings.ACCOUNTS_JWT_REFRESH_COOKIE_PATH == "/jwt/auth/"
    assert reverse("accounts:jwt-refresh").startswith(refresh["path"])
    assert not reverse("accounts:jwt-home").startswith(refresh["path"])


def test_login_does_not_create_a_server_side_session(user: User) -> None:
    response = Client().post(
        reverse("accounts:jwt-login"), {"username": "alice", "password": PASSWORD}
    )

    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_wrong_password_shows_the_form_again(user: User) -> None:
    response = Client().post(reverse("accounts:jwt-login"), {"username": "alice", "password": "x"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert ACCESS not in response.cookies


@pytest.mark.parametrize("name", JWT_PAGES)
def test_logged_in_user_browses_every_jwt_page(jwt_client: Client, name: str) -> None:
    response = jwt_client.get(reverse(name))

    assert response.status_code == HTTPStatus.OK
    assert b"alice" in response.content or name == "accounts:jwt-list"


@pytest.mark.parametrize("name", JWT_PAGES)
def test_anonymous_visitor_ends_up_at_the_jwt_login(client: Client, name: str) -> None:
    response = client.get(reverse(name), follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("accounts:jwt-login"))


def test_expired_access_token_is_refreshed_silently(jwt_client: Client) -> None:
    old_refresh = jwt_client.cookies[REFRESH].value
    later = timezone.now() + settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] + timedelta(minutes=1)

    with time_machine.travel(later):
        # The browser would have dropped the expired cookie; a stale one must not pass either.
        response = jwt_client.get(reverse("accounts:jwt-profile"), follow=True)

    assert response.status_code == HTTPStatus.OK
    assert [url for url, _ in response.redirect_chain][-1] == reverse("accounts:jwt-profile")
    assert jwt_client.cookies[REFRESH].value != old_refresh
    assert b"alice" in response.content


def test_revoked_user_is_logged_out_when_the_access_token_expires(jwt_client, user) -> None:
    user_revoke_access(user=user, actor=None)
    later = timezone.now() + settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] + timedelta(minutes=1)

    still_in = jwt_client.get(reverse("accounts:jwt-home"))
    with time_machine.travel(later):
        response = jwt_client.get(reverse("accounts:jwt-home"), follow=True)

    assert still_in.status_code == HTTPStatus.OK
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:jwt-login"))


def test_logout_blacklists_the_refresh_token_and_clears_cookies(jwt_client: Client) -> None:
    response = jwt_client.post(reverse("accounts:jwt-logout"))

    assert response.status_code == HTTPStatus.FOUND
    assert BlacklistedToken.objects.count() == 1
    assert response.cookies[ACCESS].value == ""
    assert response.cookies[REFRESH].value == ""


@pytest.mark.parametrize(
    "name", ["accounts:jwt-logout", "accounts:jwt-end-others", "accounts:jwt-list"]
)
def test_unsafe_cookie_authenticated_requests_need_csrf(user: User, name: str) -> None:
    client = Client(enforce_csrf_checks=True)
    login_page = client.get(reverse("accounts:jwt-login"))
    token = login_page.context["csrf_token"]
    client.post(
        reverse("accounts:jwt-login"),
        {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )

    forged = client.post(reverse(name), {"end_others": "1"})
    genuine = client.post(reverse(name), {"csrfmiddlewaretoken": token})

    assert forged.status_code == HTTPStatus.FORBIDDEN
    assert genuine.status_code == HTTPStatus.FOUND


def test_jwt_login_form_is_csrf_protected(user: User) -> None:
    response = Client(enforce_csrf_checks=True).post(
        reverse("accounts:jwt-login"), {"username": "alice", "password": PASSWORD}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_end_other_sign_ins_keeps_this_browser(jwt_client: Client, user: User) -> None:
    other = Client()
    other.post(reverse("accounts:jwt-login"), {"username": "alice", "password": PASSWORD})

    jwt_client.post(reverse("accounts:jwt-end-others"))

    assert BlacklistedToken.objects.count() == 1
    assert jwt_client.get(reverse("accounts:jwt-refresh")).url == reverse("accounts:jwt-home")
    assert other.get(reverse("accounts:jwt-refresh")).url.startswith(reverse("accounts:jwt-login"))


def test_refresh_refuses_to_redirect_off_site(jwt_client: Client) -> None:
    response = jwt_client.get(reverse("accounts:jwt-refresh"), {"next": "https://evil.example/"})

    assert response.url == reverse("accounts:jwt-home")


@pytest.mark.parametrize("cookie", ["garbage", "a.b.c", "x" * 4000])
def test_garbage_jwt_cookies_are_treated_as_logged_out(client: Client, cookie: str) -> None:
    client.cookies[ACCESS] = cookie
    client.cookies[REFRESH] = cookie

    response = client.get(reverse("accounts:jwt-home"), follow=True)

    assert response.status_code == HTTPStatus.OK
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:jwt-login"))
