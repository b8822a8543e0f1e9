"""The JWT area tells a browser when its sign-in has ended, and until when it keeps access."""

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import jwt
import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_password_changed, user_revoke_access
from accounts.timewords import moment
from comparison.models import AuthSample
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db

ACCESS = settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME
REVOKED = "An administrator ended your access."
ENDED_ELSEWHERE = "Your sign-in on this browser was ended from another device."


def jwt_browser() -> Client:
    browser = Client()
    response = browser.post(
        reverse("accounts:jwt-login"), {"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    return browser


def access_expiry(browser: Client) -> str:
    claims = jwt.decode(browser.cookies[ACCESS].value, options={"verify_signature": False})
    return moment(datetime.fromtimestamp(claims["exp"], tz=UTC))


def page(browser: Client, name: str) -> str:
    response = browser.get(reverse(name))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_my_sign_ins_marks_this_browser_and_offers_to_end_only_the_others(user) -> None:
    browser = jwt_browser()
    alone = page(browser, "accounts:jwt-list")
    jwt_browser()

    with_another = page(browser, "accounts:jwt-list")

    assert alone.count("This browser") == 1
    assert 'name="end"' not in alone
    assert "End all other sign-ins" not in alone
    assert with_another.count("This browser") == 1
    assert with_another.count('name="end"') == 1
    assert "End all other sign-ins (1)" in with_another


def test_after_a_revocation_my_sign_ins_says_why_and_until_when(user, admin_user) -> None:
    browser = jwt_browser()
    user_revoke_access(user=user, actor=admin_user)

    sign_ins = page(browser, "accounts:jwt-list")

    assert REVOKED in sign_ins
    assert "This browser keeps access until <time datetime=" in sign_ins
    assert access_expiry(browser) in sign_ins
    assert access_expiry(browser).endswith(" UTC")
    # A real empty state: no table of headers, nothing left to end.
    assert "<table" not in sign_ins
    assert "No sign-in can get new access tokens any more, not even this browser" in sign_ins
    assert "End all other sign-ins" not in sign_ins


def test_once_known_every_page_of_the_area_says_it(user, admin_user) -> None:
    browser = jwt_browser()
    before = page(browser, "accounts:jwt-home")
    user_revoke_access(user=user, actor=admin_user)
    page(browser, "accounts:jwt-list")

    home, profile = page(browser, "accounts:jwt-home"), page(browser, "accounts:jwt-profile")

    assert REVOKED not in before
    assert REVOKED in home
    assert REVOKED in profile
    assert access_expiry(browser) in home


def test_saying_it_costs_the_pages_no_lookup(user, admin_user, flush_samples) -> None:
    browser = jwt_browser()
    user_revoke_access(user=user, actor=admin_user)
    page(browser, "accounts:jwt-list")
    flush_samples()
    AuthSample.objects.all().delete()

    home = page(browser, "accounts:jwt-home")

    flush_samples()
    sample = AuthSample.objects.get()
    assert REVOKED in home
    assert (sample.lane, sample.outcome, sample.redis_round_trips, sample.db_queries) == (
        "jwt_pages",
        "accepted",
        0,
        0,
    )


def test_a_sign_in_ended_from_another_device_is_told_so(user) -> None:
    browser, other = jwt_browser(), jwt_browser()
    sign_ins = other.get(reverse("accounts:jwt-list"))
    ended = next(
        token.pk
        for token in sign_ins.context["tokens"]
        if token.jti != sign_ins.context["this_jti"]
    )

    other.post(reverse("accounts:jwt-list"), {"end": ended})

    assert ENDED_ELSEWHERE in page(browser, "accounts:jwt-list")
    assert ENDED_ELSEWHERE not in page(other, "accounts:jwt-list")


def test_the_notice_is_for_the_access_token_it_was_written_for(user, admin_user) -> None:
    browser = jwt_browser()
    user_revoke_access(user=user, actor=admin_user)
    page(browser, "accounts:jwt-list")
    later = timezone.now() + timedelta(seconds=2)

    with time_machine.travel(later):
        browser.post(reverse("accounts:jwt-login"), {"username": "alice", "password": PASSWORD})
        home = page(browser, "accounts:jwt-home")

    assert REVOKED not in home


def test_when_the_access_token_runs_out_the_login_page_says_why(user) -> None:
    browser = jwt_browser()
    user_password_changed(user=user)
    later = timezone.now() + settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] + timedelta(minutes=1)

    with time_machine.travel(later):
        response = browser.get(reverse("accounts:jwt-home"), follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("accounts:jwt-login"))
    assert "Your password was changed, which signs you out everywhere." in response.content.decode()


def test_a_sign_in_that_lasted_its_full_time_is_told_so(user) -> None:
    browser = jwt_browser()
    later = timezone.now() + settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"] + timedelta(minutes=1)

    with time_machine.travel(later):
        response = browser.get(reverse("accounts:jwt-home"), follow=True)

    assert "Your sign-in lasted its full 1 day and has ended." in response.content.decode()


def test_a_reused_refresh_token_is_told_as_a_safety_measure(user) -> None:
    browser = jwt_browser()
    copy = browser.cookies[settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME].value
    browser.get(reverse("accounts:jwt-refresh"))
    thief = Client()
    thief.cookies[settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME] = copy
    # Past the grace window in which a second use is taken for two tabs racing.
    later = timezone.now() + timedelta(seconds=settings.ACCOUNTS_REFRESH_REUSE_GRACE_SECONDS + 1)
    with time_machine.travel(later):
        thief.get(reverse("accounts:jwt-refresh"))
        sign_ins = page(browser, "accounts:jwt-list")

    assert "its refresh token was used twice" in sign_ins


def test_logging_out_says_so(user) -> None:
    browser = jwt_browser()

    response = browser.post(reverse("accounts:jwt-logout"), follow=True)

    assert "You have signed out." in response.content.decode()


def test_a_forged_refresh_cookie_learns_nothing(user, admin_user) -> None:
    browser = jwt_browser()
    user_revoke_access(user=user, actor=admin_user)
    browser.cookies[settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME] = "a.b.c"

    sign_ins = page(browser, "accounts:jwt-list")

    assert REVOKED not in sign_ins
