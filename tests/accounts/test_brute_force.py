"""
Password guessing (accounts.lockout): bounded per (username, address), per
username and per address; never reopened by a success elsewhere; never turned
against the other people behind an address.
"""

from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.helpers import PASSWORD, make_user

pytestmark = pytest.mark.django_db

HOME = "10.0.0.1"
ELSEWHERE = "10.8.8.8"


# Each way to try a password: its URL, and the status that means "admitted".
ENDPOINTS: dict[str, tuple[str, HTTPStatus]] = {
    "session_form": ("accounts:session-login", HTTPStatus.FOUND),
    "jwt_form": ("accounts:jwt-login", HTTPStatus.FOUND),
    "token_api": ("api:token-obtain", HTTPStatus.OK),
    "admin_form": ("admin:login", HTTPStatus.FOUND),
}


def post_password(
    endpoint: str, username: str, password: str, ip: str = HOME, **headers: str
) -> HttpResponse:
    """One password attempt from a fresh browser (or API client) at ``ip``."""
    url, _ = ENDPOINTS[endpoint]
    body = {"username": username, "password": password}
    if endpoint == "token_api":
        headers["content_type"] = "application/json"
    return Client().post(reverse(url), body, REMOTE_ADDR=ip, **headers)


def attempt(endpoint: str, username: str, password: str, ip: str = HOME) -> int:
    return post_password(endpoint, username, password, ip).status_code


def admitted(endpoint: str, username: str, password: str = PASSWORD, ip: str = HOME) -> bool:
    status = attempt(endpoint, username, password, ip)
    assert status != HTTPStatus.INTERNAL_SERVER_ERROR
    return status == ENDPOINTS[endpoint][1]


def guess(endpoint: str, username: str, times: int, ip: str = HOME) -> list[int]:
    return [attempt(endpoint, username, f"wrong-{n}", ip) for n in range(times)]


@pytest.fixture
def admin(db) -> User:
    return make_user("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def playground() -> Client:
    """The attacker's own browser on the playground, at the same address as the guesses."""
    return Client(REMOTE_ADDR=HOME)


# ------------------------------------------------------------------ lockout bypass
def test_lockout_bypass_audit_sequence_is_refused(admin: User, playground: Client) -> None:
    """Five rounds of 4 wrong guesses for admin, each followed by a playground login."""
    statuses = []
    for _ in range(5):
        statuses += guess("token_api", "admin", 4)
        assert playground.post(reverse("comparison:playground-session-login")).status_code == 200

    assert not admitted("token_api", "admin")
    assert statuses[:5] == [HTTPStatus.UNAUTHORIZED] * 4 + [HTTPStatus.TOO_MANY_REQUESTS]
    assert set(statuses[5:]) == {HTTPStatus.TOO_MANY_REQUESTS}


def _playground_login(column: str) -> Callable[[Client], None]:
    def log_in(playground: Client) -> None:
        response = playground.post(reverse(f"comparison:playground-{column}-login"))
        assert response.status_code == HTTPStatus.OK

    return log_in


def _success_on(endpoint: str) -> Callable[[Client], None]:
    def sign_in_to_another_account(playground: Client) -> None:
        assert admitted(endpoint, "demo")

    return sign_in_to_another_account


# Every success the audit could pair with its guesses.
FORGIVERS: dict[str, Callable[[Client], None]] = {
    "playground_session_login": _playground_login("session"),
    "playground_jwt_login": _playground_login("jwt"),
    **{f"other_account_{endpoint}": _success_on(endpoint) for endpoint in ENDPOINTS},
}


@pytest.mark.parametrize("forgiver", FORGIVERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_lockout_bypass_no_success_elsewhere_forgives_a_failure(
    admin: User, playground: Client, endpoint: str, forgiver: str
) -> None:
    make_user("demo", is_staff=True)
    for _ in range(5):
        guess(endpoint, "admin", 4)
        FORGIVERS[forgiver](playground)

    assert not admitted(endpoint, "admin")
    assert admitted(endpoint, "admin", ip=ELSEWHERE)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_lockout_bypass_failures_count_across_every_password_form(
    admin: User, endpoint: str
) -> None:
    for other in ENDPOINTS:
        if other != endpoint:
            guess(other, "admin", 1)
    guess(endpoint, "admin", settings.AXES_FAILURE_LIMIT - len(ENDPOINTS) + 1)

    assert not admitted(endpoint, "admin")


def test_lockout_bypass_guesses_spread_over_addresses_meet_the_username_limit(
    user: User,
) -> None:
    per_address = settings.AXES_FAILURE_LIMIT - 1
    addresses = [f"10.1.0.{n}" for n in range(100)]
    tried = 0
    for address in addresses:
        if tried >= settings.ACCOUNTS_LOCKOUT_USERNAME_FAILURE_LIMIT:
            break
        guess("token_api", "alice", per_address, address)
        tried += per_address

    assert not admitted("token_api", "alice", ip="10.2.0.1")
    assert not admitted("session_form", "alice", ip="10.2.0.2")


def test_lockout_bypass_one_address_trying_many_accounts_meets_the_address_limit(
    user: User,
) -> None:
    for number in range(settings.ACCOUNTS_LOCKOUT_ADDRESS_FAILURE_LIMIT):
        attempt("token_api", f"guess{number}", "wrong", "10.9.9.9")

    assert not admitted("token_api", "alice", ip="10.9.9.9")
    one_more = attempt("session_form", "one-more-guess", "x", "10.9.9.9")
    assert one_more == HTTPStatus.TOO_MANY_REQUESTS
    assert admitted("token_api", "alice", ip=ELSEWHERE)


# ------------------------------------------------------------------ lockout DoS
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_lockout_dos_another_user_behind_the_same_address_still_logs_in(
    admin: User, endpoint: str
) -> None:
    colleague = make_user("carol", is_staff=True)
    statuses = guess(endpoint, "admin", settings.AXES_FAILURE_LIMIT * 4)

    assert statuses[-1] == HTTPStatus.TOO_MANY_REQUESTS
    assert not admitted(endpoint, "admin")
    # carol has never signed in from here: only failures of her own could lock her out.
    assert admitted(endpoint, colleague.username)


def test_lockout_dos_hammering_a_locked_pair_counts_nothing_more(user: User) -> None:
    statuses = guess("token_api", "alice", settings.AXES_FAILURE_LIMIT * 6)

    assert statuses.count(HTTPStatus.UNAUTHORIZED) == settings.AXES_FAILURE_LIMIT - 1
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == (
        settings.AXES_FAILURE_LIMIT
    )
    assert admitted("token_api", "alice", ip=ELSEWHERE)


def test_lockout_dos_a_spraying_address_does_not_lock_out_people_who_sign_in_there(
    user: User,
) -> None:
    bob = make_user("bob")
    assert admitted("session_form", "alice")
    for number in range(settings.ACCOUNTS_LOCKOUT_ADDRESS_FAILURE_LIMIT + 5):
        attempt("token_api", f"guess{number}", "wrong")

    assert admitted("token_api", "alice")
    assert admitted("jwt_form", "alice")
    assert not admitted("token_api", bob.username)


def test_lockout_dos_guesses_from_many_addresses_leave_the_owner_in_at_home(user: User) -> None:
    assert admitted("token_api", "alice")
    for number in range(settings.ACCOUNTS_LOCKOUT_USERNAME_FAILURE_LIMIT * 2):
        attempt("token_api", "alice", "wrong", f"10.3.{number // 250}.{number % 250}")

    assert admitted("session_form", "alice")
    assert not admitted("session_form", "alice", ip="10.4.0.1")


def test_lockout_dos_the_owner_is_still_bounded_by_the_pair_limit_at_home(user: User) -> None:
    assert admitted("token_api", "alice")
    guess("token_api", "alice", settings.AXES_FAILURE_LIMIT)

    assert not admitted("token_api", "alice")


# ------------------------------------------------------------------ the client's address
def test_lockout_dos_forwarded_for_is_ignored_without_trusted_proxies(user: User) -> None:
    for number in range(settings.AXES_FAILURE_LIMIT):
        post_password("token_api", "alice", "wrong", HTTP_X_FORWARDED_FOR=f"10.5.0.{number}")

    assert not admitted("token_api", "alice")


def test_lockout_dos_clients_behind_a_trusted_proxy_are_counted_apart(user: User, settings) -> None:
    settings.ACCOUNTS_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.254"

    def via_proxy(forwarded_for: str, password: str) -> int:
        response = post_password(
            "token_api", "alice", password, proxy, HTTP_X_FORWARDED_FOR=forwarded_for
        )
        return response.status_code

    # The attacker forges an address in front; the proxy appends the one it saw.
    for _ in range(settings.AXES_FAILURE_LIMIT * 2):
        via_proxy("10.6.0.99, 198.51.100.7", "wrong")

    assert via_proxy("198.51.100.7", PASSWORD) == HTTPStatus.TOO_MANY_REQUESTS
    assert via_proxy("10.6.0.99", PASSWORD) == HTTPStatus.OK
    assert via_proxy("203.0.113.5", PASSWORD) == HTTPStatus.OK
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


# ------------------------------------------------------------------ what a locked-out client learns
def test_lockout_page_and_json_say_how_long_it_lasts(user: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        guess("session_form", "alice", settings.AXES_FAILURE_LIMIT)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        page = post_password("session_form", "alice", PASSWORD)
        api = post_password("token_api", "alice", PASSWORD)

    assert page.status_code == api.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert page["Retry-After"] == api["Retry-After"] == "600"
    assert b"10 minutes" in page.content
    assert b"600 seconds" in page.content
    assert api.json() == {
        "detail": "Too many failed attempts. Try again in 10 minutes.",
        "code": "too_many_attempts",
        "retry_after_seconds": 600,
        "retry_after": "10 minutes",
    }


def test_lockout_lifts_after_the_cool_off(user: User) -> None:
    guess("token_api", "alice", settings.AXES_FAILURE_LIMIT)
    later = timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=1)

    with time_machine.travel(later):
        assert admitted("token_api", "alice")


@pytest.mark.parametrize(
    ("command", "arguments"),
    [
        ("axes_reset_username", ["alice"]),
        ("axes_reset_ip", [HOME]),
        ("axes_reset_ip_username", [HOME, "alice"]),
        ("axes_reset", []),
    ],
)
def test_an_admin_lifts_a_lockout_with_the_axes_reset_commands(
    user: User, command: str, arguments: list[str]
) -> None:
    guess("token_api", "alice", settings.AXES_FAILURE_LIMIT)
    assert not admitted("token_api", "alice")

    call_command(command, *arguments, stdout=None)

    assert admitted("token_api", "alice")


def test_answers_do_not_reveal_whether_the_account_exists(user: User) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        wrong_password = post_password("token_api", "alice", "x")
        no_such_user = post_password("token_api", "nobody", "x")
        guess("token_api", "nobody", settings.AXES_FAILURE_LIMIT)
        guess("token_api", "alice", settings.AXES_FAILURE_LIMIT)
        locked_nobody = post_password("token_api", "nobody", "x")
        locked_alice = post_password("token_api", "alice", PASSWORD)

    assert wrong_password.status_code == no_such_user.status_code == HTTPStatus.UNAUTHORIZED
    assert wrong_password.json() == no_such_user.json()
    assert locked_nobody.status_code == locked_alice.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert locked_nobody.json() == locked_alice.json()
