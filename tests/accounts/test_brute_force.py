from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


def session_login(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        reverse("accounts:session-login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def token_login(client: APIClient, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        reverse("api:token-obtain"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def fail(times: int, attempt, *args) -> None:
    for _ in range(times):
        attempt(*args)


def test_session_form_locks_an_account_out_even_for_the_right_password(
    client: Client, user: User
) -> None:
    fail(settings.AXES_FAILURE_LIMIT, session_login, client, "alice", "wrong")

    response = session_login(client, "alice", PASSWORD)

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert b"Too many attempts" in response.content
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_token_endpoint_locks_an_account_out_with_a_json_code(
    api_client: APIClient, user: User
) -> None:
    fail(settings.AXES_FAILURE_LIMIT, token_login, api_client, "alice", "wrong")

    response = token_login(api_client, "alice", PASSWORD)

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.json()["code"] == "too_many_attempts"
    assert "access" not in response.json()


def test_failures_count_across_the_form_and_the_token_endpoint(
    client: Client, api_client: APIClient, user: User
) -> None:
    fail(settings.AXES_FAILURE_LIMIT - 1, session_login, client, "alice", "wrong")
    token_login(api_client, "alice", "wrong", "10.0.0.2")

    response = session_login(client, "alice", PASSWORD, "10.0.0.3")

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_one_address_trying_many_accounts_is_locked_out(client: Client, user: User) -> None:
    for number in range(settings.AXES_FAILURE_LIMIT):
        session_login(client, f"guess{number}", "wrong", "10.9.9.9")

    locked = session_login(client, "alice", PASSWORD, "10.9.9.9")
    elsewhere = session_login(Client(), "alice", PASSWORD, "10.1.1.1")

    assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert elsewhere.status_code == HTTPStatus.FOUND


def test_lockout_lifts_after_the_cool_off(api_client: APIClient, user: User) -> None:
    fail(settings.AXES_FAILURE_LIMIT, token_login, api_client, "alice", "wrong")
    later = timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=1)

    with time_machine.travel(later):
        response = token_login(api_client, "alice", PASSWORD)

    assert response.status_code == HTTPStatus.OK


def test_answers_do_not_reveal_whether_the_account_exists(api_client, user: User) -> None:
    wrong_password = token_login(api_client, "alice", "wrong", "10.0.0.5")
    no_such_user = token_login(api_client, "nobody", "wrong", "10.0.0.6")

    assert wrong_password.status_code == no_such_user.status_code == HTTPStatus.UNAUTHORIZED
    assert wrong_password.json() == no_such_user.json()
    fail(settings.AXES_FAILURE_LIMIT, token_login, api_client, "nobody", "wrong", "10.0.0.7")
    fail(settings.AXES_FAILURE_LIMIT, token_login, api_client, "alice", "wrong", "10.0.0.8")
    assert (
        token_login(api_client, "nobody", "x", "10.0.0.9").json()
        == token_login(api_client, "alice", PASSWORD, "10.0.0.9").json()
    )
