"""The login page says why a session ended, to the browser that held it and to nobody else."""

import secrets
import time
from http import HTTPStatus

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts import selectors
from accounts.models import User
from accounts.services import user_password_changed, user_revoke_access
from comparison.models import AuthSample
from tests.helpers import PASSWORD, session_cache_key

pytestmark = pytest.mark.django_db

ENDED_ELSEWHERE = "Your sign-in on this browser was ended from another device."
REVOKED = "An administrator ended your access."
PASSWORD_CHANGED = "Your password was changed, which signs you out everywhere."
IDLE = "You were signed out after 30 minutes without activity."
ABSOLUTE = "You were signed out because a sign-in lasts at most 12 hours."
SIGNED_OUT = "You have signed out."
EVERY_REASON = (ENDED_ELSEWHERE, REVOKED, PASSWORD_CHANGED, IDLE, ABSOLUTE, SIGNED_OUT)


def logged_in_browser() -> Client:
    browser = Client()
    browser.post(reverse("accounts:session-login"), {"username": "alice", "password": PASSWORD})
    return browser


def next_page(browser: Client) -> str:
    """What the browser reads after asking for a page of the area: the login page, here."""
    response = browser.get(reverse("accounts:session-profile"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:session-login"))
    return response.content.decode()


def test_a_session_ended_from_another_device_is_told_so(session_client: Client, user) -> None:
    other = logged_in_browser()
    victim_key = other.cookies[settings.SESSION_COOKIE_NAME].value
    victim = next(
        s.public_id for s in selectors.user_session_list(user=user) if s.session_key == victim_key
    )

    session_client.post(reverse("accounts:session-list"), {"end": victim})

    assert ENDED_ELSEWHERE in next_page(other)


def test_ending_all_other_sessions_tells_each_of_them(session_client: Client, user) -> None:
    others = [logged_in_browser(), logged_in_browser()]

    session_client.post(reverse("accounts:session-list"), {"end_others": "1"})

    assert [ENDED_ELSEWHERE in next_page(other) for other in others] == [True, True]
    assert session_client.get(reverse("accounts:session-profile")).status_code == HTTPStatus.OK


def test_an_admin_revocation_is_told_as_such(session_client: Client, user, admin_user) -> None:
    user_revoke_access(user=user, actor=admin_user)

    assert REVOKED in next_page(session_client)


def test_a_password_change_is_told_as_such(session_client: Client, user) -> None:
    user_password_changed(user=user)

    assert PASSWORD_CHANGED in next_page(session_client)


def test_a_session_that_ran_out_of_idle_time_is_told_so(session_client: Client, session_redis):
    session_key = session_client.cookies[settings.SESSION_COOKIE_NAME].value
    # What the idle timeout is: Redis lets the session's key expire.
    session_redis.delete(session_cache_key(session_key))

    assert IDLE in next_page(session_client)


def test_a_session_past_the_absolute_timeout_is_told_so(session_client: Client) -> None:
    with time_machine.travel(time.time() + settings.ACCOUNTS_SESSION_ABSOLUTE_TIMEOUT + 1):
        page = next_page(session_client)

    assert ABSOLUTE in page


def test_logging_out_says_so_on_the_login_page(session_client: Client) -> None:
    response = session_client.post(reverse("accounts:session-logout"), follow=True)

    assert SIGNED_OUT in response.content.decode()


def test_the_login_page_tells_a_browser_that_comes_straight_to_it(
    session_client: Client, user, admin_user
) -> None:
    user_revoke_access(user=user, actor=admin_user)

    page = session_client.get(reverse("accounts:session-login")).content.decode()

    assert REVOKED in page


def test_the_reason_is_told_once(session_client: Client, user, admin_user) -> None:
    user_revoke_access(user=user, actor=admin_user)
    next_page(session_client)

    again = session_client.get(reverse("accounts:session-login")).content.decode()

    assert REVOKED not in again


@pytest.mark.parametrize("cookie", ["made-up", secrets.token_hex(16)])
def test_a_strangers_cookie_learns_nothing(client: Client, user, admin_user, cookie) -> None:
    logged_in_browser()
    user_revoke_access(user=user, actor=admin_user)
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie

    page = next_page(client)

    assert not [reason for reason in EVERY_REASON if reason in page]


def test_a_live_session_of_a_deactivated_user_is_not_called_idle(session_client, user) -> None:
    # Deactivated outside the admin: the session lives on, refused for its user.
    User.objects.filter(pk=user.pk).update(is_active=False)

    page = next_page(session_client)

    assert IDLE not in page


def test_the_session_cookie_lasts_until_the_browser_closes(user) -> None:
    response = Client().post(
        reverse("accounts:session-login"), {"username": "alice", "password": PASSWORD}
    )
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]

    assert (cookie["max-age"], cookie["expires"]) == ("", "")


def test_recording_the_idle_reason_costs_no_extra_round_trip(session_client, flush_samples):
    flush_samples()
    AuthSample.objects.all().delete()

    with time_machine.travel(time.time() + settings.ACCOUNTS_SESSION_ACTIVITY_RESOLUTION + 1):
        session_client.get(reverse("accounts:session-profile"))

    flush_samples()
    sample = AuthSample.objects.get()
    # One read of the session, one pipeline for the index entry and the reason.
    assert (sample.outcome, sample.redis_round_trips, sample.db_queries) == ("accepted", 2, 1)
