"""Session fixation, where a session id may come from, replay, CSRF and Origin."""

from http import HTTPStatus
from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.helpers import PASSWORD, session_cache_key

pytestmark = pytest.mark.django_db


def test_a_planted_session_id_is_dead_after_login(user, session_redis) -> None:
    # An attacker gets a genuine anonymous session id and plants it in the victim's browser.
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["cart"] = "anything"
    store.create()
    planted = store.session_key
    assert session_redis.exists(session_cache_key(planted))
    victim = Client()
    victim.cookies[settings.SESSION_COOKIE_NAME] = planted

    victim.post(reverse("accounts:session-login"), {"username": "alice", "password": PASSWORD})

    assert victim.cookies[settings.SESSION_COOKIE_NAME].value != planted
    assert not session_redis.exists(session_cache_key(planted))
    fixated = Client()
    fixated.cookies[settings.SESSION_COOKIE_NAME] = planted
    assert fixated.get(reverse("accounts:session-home")).status_code == HTTPStatus.FOUND


@pytest.mark.parametrize("where", ["query", "form", "header"])
def test_the_session_id_is_only_taken_from_the_cookie(session_client: Client, where) -> None:
    key = session_client.cookies[settings.SESSION_COOKIE_NAME].value
    client = Client()
    url = reverse("api:session-me")
    if where == "query":
        response = client.get(f"{url}?{settings.SESSION_COOKIE_NAME}={key}")
    elif where == "form":
        response = client.get(url, {settings.SESSION_COOKIE_NAME: key})
    else:
        response = client.get(url, HTTP_AUTHORIZATION=f"Session {key}")

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_a_logged_out_cookie_is_worthless_when_replayed(session_client: Client) -> None:
    key = session_client.cookies[settings.SESSION_COOKIE_NAME].value
    session_client.post(reverse("accounts:session-logout"))
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key

    assert replay.get(reverse("accounts:session-home")).status_code == HTTPStatus.FOUND


def test_a_cross_origin_post_is_refused_even_with_a_valid_token(user) -> None:
    client = Client(enforce_csrf_checks=True)
    token = client.get(reverse("accounts:session-login")).context["csrf_token"]

    response = client.post(
        reverse("accounts:session-login"),
        {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://evil.example",
    )

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_an_https_post_without_a_referer_is_refused(user, settings) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client(enforce_csrf_checks=True)
    token = client.get(reverse("accounts:session-login"), secure=True).context["csrf_token"]

    response = client.post(
        reverse("accounts:session-login"),
        {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token},
        secure=True,
    )

    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize(
    "path",
    [
        "accounts:session-logout",
        "accounts:session-list",
        "accounts:jwt-logout",
        "accounts:jwt-end-others",
        "comparison:playground-session-login",
        "comparison:playground-jwt-login",
        "comparison:playground-revoke",
    ],
)
def test_every_unsafe_form_needs_csrf(path: str, user) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(reverse(path))

    assert response.status_code == HTTPStatus.FORBIDDEN
