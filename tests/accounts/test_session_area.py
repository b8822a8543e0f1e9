import time
from http import HTTPStatus

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.helpers import PASSWORD, session_cache_key

pytestmark = pytest.mark.django_db

SESSION_PAGES = ["accounts:session-home", "accounts:session-profile", "accounts:session-list"]


@pytest.mark.parametrize("name", SESSION_PAGES)
def test_anonymous_visitor_is_redirected_to_login(client: Client, name: str) -> None:
    response = client.get(reverse(name))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("accounts:session-login"))


@pytest.mark.parametrize("name", SESSION_PAGES)
def test_logged_in_user_can_browse_every_page(session_client: Client, name: str) -> None:
    response = session_client.get(reverse(name))

    assert response.status_code == HTTPStatus.OK
    assert b"alice" in response.content or name == "accounts:session-list"


def test_session_lives_in_redis_under_the_cookie_key(session_client: Client, session_redis) -> None:
    session_key = session_client.cookies[settings.SESSION_COOKIE_NAME].value

    assert session_redis.exists(session_cache_key(session_key))


def test_session_cookie_is_httponly_and_lax(user: User) -> None:
    client = Client()
    response = client.post(
        reverse("accounts:session-login"), {"username": "alice", "password": PASSWORD}
    )
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]

    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_session_key_is_rotated_on_login(user: User) -> None:
    client = Client()
    client.get(reverse("accounts:session-login"))
    client.session.save()
    planted = client.session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = planted

    client.post(reverse("accounts:session-login"), {"username": "alice", "password": PASSWORD})

    assert client.cookies[settings.SESSION_COOKIE_NAME].value != planted


def test_wrong_password_is_refused_without_a_session(client: Client, user: User) -> None:
    response = client.post(
        reverse("accounts:session-login"), {"username": "alice", "password": "nope"}
    )

    assert response.status_code == HTTPStatus.OK
    assert b"Please enter a correct username and password" in response.content
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_logout_is_post_only(session_client: Client) -> None:
    response = session_client.get(reverse("accounts:session-logout"))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_logout_deletes_the_session_from_redis(session_client: Client, session_redis) -> None:
    session_key = session_client.cookies[settings.SESSION_COOKIE_NAME].value

    session_client.post(reverse("accounts:session-logout"))

    assert not session_redis.exists(session_cache_key(session_key))
    response = session_client.get(reverse("accounts:session-home"))
    assert response.status_code == HTTPStatus.FOUND


@pytest.mark.parametrize(
    "cookie", ["garbage", "x" * 4000, "../../etc/passwd", "0" * 32, "ünïcode", "a;b=c"]
)
def test_garbage_session_cookie_is_treated_as_anonymous(client: Client, cookie: str) -> None:
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie

    response = client.get(reverse("accounts:session-home"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("accounts:session-login"))


def test_login_form_is_csrf_protected(user: User) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        reverse("accounts:session-login"), {"username": "alice", "password": PASSWORD}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert b"did not come from this site" in response.content


def test_logout_form_is_csrf_protected(user: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(reverse("accounts:session-logout"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert client.get(reverse("accounts:session-home")).status_code == HTTPStatus.OK


def test_idle_session_expires_with_its_redis_ttl(session_client: Client, session_redis) -> None:
    session_key = session_client.cookies[settings.SESSION_COOKIE_NAME].value

    ttl = session_redis.ttl(session_cache_key(session_key))

    assert settings.SESSION_COOKIE_AGE - 5 <= ttl <= settings.SESSION_COOKIE_AGE


def test_activity_pushes_the_idle_timeout_forward(session_client: Client, session_redis) -> None:
    cache_key = session_cache_key(session_client.cookies[settings.SESSION_COOKIE_NAME].value)
    session_redis.expire(cache_key, 100)

    with time_machine.travel(time.time() + settings.ACCOUNTS_SESSION_ACTIVITY_RESOLUTION + 1):
        session_client.get(reverse("accounts:session-home"))

    assert session_redis.ttl(cache_key) > settings.SESSION_COOKIE_AGE - 5


def test_absolute_timeout_logs_out_however_active(session_client: Client) -> None:
    session_client.get(reverse("accounts:session-home"))
    later = time_machine.travel(time.time() + settings.ACCOUNTS_SESSION_ABSOLUTE_TIMEOUT + 1)

    with later:
        response = session_client.get(reverse("accounts:session-home"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("accounts:session-login"))
