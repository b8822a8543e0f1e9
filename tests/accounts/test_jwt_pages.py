from datetime import timedelta
from http import HTTPStatus
from http.cookies import SimpleCookie

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import RevocationEvent, User
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


def _as_one_browser(client: Client, response) -> None:
    """What a browser keeps after ``response``: its cookies, updated by the Set-Cookie it got."""
    client.cookies.update(response.cookies)


def test_cross_site_navigation_to_refresh_keeps_the_users_cookies(jwt_client: Client) -> None:
    # A page on another site links to the refresh URL: the browser withholds the
    # SameSite=Strict cookies from that navigation, so the request carries none.
    kept = jwt_client.cookies
    jwt_client.cookies = SimpleCookie()
    response = jwt_client.get(reverse("accounts:jwt-refresh"), {"next": "/jwt/profile/"})
    jwt_client.cookies = kept
    _as_one_browser(jwt_client, response)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("accounts:jwt-login"))
    assert ACCESS not in response.cookies
    assert REFRESH not in response.cookies
    assert jwt_client.get(reverse("accounts:jwt-profile")).status_code == HTTPStatus.OK


def test_refresh_race_between_two_tabs_keeps_the_user_signed_in(jwt_client: Client) -> None:
    old_refresh = jwt_client.cookies[REFRESH].value
    later = timezone.now() + settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] + timedelta(minutes=1)

    with time_machine.travel(later, tick=False):
        # Tab one wins the refresh; tab two's request left with the same old cookie.
        winner = jwt_client.get(reverse("accounts:jwt-refresh"), {"next": "/jwt/profile/"})
        new_cookies = jwt_client.cookies
        jwt_client.cookies = SimpleCookie({REFRESH: old_refresh})
        loser = jwt_client.get(reverse("accounts:jwt-refresh"), {"next": "/jwt/profile/"})
        jwt_client.cookies = new_cookies
        _as_one_browser(jwt_client, loser)
        landing = jwt_client.get(loser.url, follow=True)

    assert winner.url == "/jwt/profile/"
    assert loser.url.startswith(reverse("accounts:jwt-login"))
    assert ACCESS not in loser.cookies
    assert REFRESH not in loser.cookies
    assert landing.redirect_chain[-1][0] == "/jwt/profile/"
    assert b"alice" in landing.content
    assert not RevocationEvent.objects.exists()


def test_signed_in_visitor_of_the_jwt_login_page_goes_on_to_next(jwt_client: Client) -> None:
    response = jwt_client.get(reverse("accounts:jwt-login"), {"next": "/jwt/profile/"})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/jwt/profile/"


@pytest.mark.parametrize(
    "end",
    ["²", "٣", "١٢", "\uff11\uff12", "1_0", " 1", "1 ", "+1", "-1", "0x1", "1e3", "1.0", "",
     "9" * 19, "9" * 5000, "\x00", "[1]"],
)  # fmt: skip
def test_row_id_from_a_form_is_only_ascii_digits_of_bounded_length(
    jwt_client: Client, user: User, end: str
) -> None:
    response = jwt_client.post(reverse("accounts:jwt-list"), {"end": end}, follow=True)

    assert response.status_code == HTTPStatus.OK
    assert b"That sign-in had already ended." in response.content
    assert not BlacklistedToken.objects.exists()


def test_row_id_from_a_form_ends_the_sign_in_it_names(jwt_client: Client, user: User) -> None:
    token = OutstandingToken.objects.get(user=user)

    response = jwt_client.post(reverse("accounts:jwt-list"), {"end": str(token.pk)}, follow=True)

    assert b"That sign-in has ended." in response.content
    assert BlacklistedToken.objects.get().token == token
