from http import HTTPStatus

import jwt
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import RevocationEvent, User
from tests.helpers import bearer, session_cache_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor() -> Client:
    return Client()


def post(client: Client, name: str):
    return client.post(reverse(f"comparison:{name}"))


def test_playground_page_renders_for_anonymous_visitors(visitor: Client) -> None:
    response = visitor.get(reverse("comparison:playground"))

    assert response.status_code == HTTPStatus.OK
    assert b"Revoke (as admin)" in response.content


def test_first_login_makes_a_demo_account_for_this_browser(visitor: Client) -> None:
    response = post(visitor, "playground-session-login")

    demo = User.objects.get(is_demo=True)
    assert response.json()["username"] == demo.username
    assert not demo.has_usable_password()
    cookie = response.cookies[settings.COMPARISON_PLAYGROUND_DEMO_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"


def test_both_columns_share_one_demo_account_per_browser(visitor: Client) -> None:
    session_column = post(visitor, "playground-session-login").json()
    jwt_column = post(visitor, "playground-jwt-login").json()

    assert session_column["username"] == jwt_column["username"]
    assert User.objects.filter(is_demo=True).count() == 1


def test_demo_credentials_are_short_lived(visitor: Client, session_redis, settings) -> None:
    settings.COMPARISON_PLAYGROUND_CREDENTIAL_SECONDS = 30
    post(visitor, "playground-session-login")
    tokens = post(visitor, "playground-jwt-login").json()

    session_key = visitor.cookies[settings.SESSION_COOKIE_NAME].value
    assert 0 < session_redis.ttl(session_cache_key(session_key)) <= 30
    claims = jwt.decode(tokens["access"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] <= 30


def test_revoke_only_reaches_this_browsers_demo_account(visitor: Client) -> None:
    other = Client()
    post(other, "playground-session-login")
    other_tokens = post(other, "playground-jwt-login").json()
    post(visitor, "playground-session-login")

    response = post(visitor, "playground-revoke")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["sessions_ended"] == 1
    event = RevocationEvent.objects.get()
    assert event.reason == "playground"
    assert event.user.username == response.json()["username"]
    assert other.get(reverse("api:session-me")).status_code == HTTPStatus.OK
    assert (
        other.get(reverse("api:denylist-me"), **bearer(other_tokens["access"])).status_code
        == HTTPStatus.OK
    )


def test_a_forged_demo_cookie_reaches_no_one(visitor: Client) -> None:
    victim = Client()
    victim_name = post(victim, "playground-session-login").json()["username"]
    victim_id = User.objects.get(username=victim_name).pk
    visitor.cookies[settings.COMPARISON_PLAYGROUND_DEMO_COOKIE_NAME] = str(victim_id)

    revoke = post(visitor, "playground-revoke")
    login = post(visitor, "playground-session-login")

    assert revoke.status_code == HTTPStatus.NOT_FOUND
    assert login.json()["username"] != victim_name
    assert victim.get(reverse("api:session-me")).status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    "name", ["playground-revoke", "playground-role-grant", "playground-role-remove"]
)
def test_playground_posts_need_csrf(name: str) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse(f"comparison:{name}"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not User.objects.filter(is_demo=True).exists()


def test_session_column_request_reports_its_cost(visitor: Client) -> None:
    post(visitor, "playground-session-login")

    response = visitor.get(reverse("api:session-me"))

    assert "session accepted redis=1 db=1" in response["Server-Timing"]
    assert response.json()["user"]["username"].startswith("demo-")
    assert settings.SESSION_COOKIE_NAME in visitor.cookies


def test_role_change_only_reaches_this_browsers_demo_account(visitor: Client) -> None:
    other = Client()
    post(other, "playground-session-login")
    post(other, "playground-role-grant")
    post(visitor, "playground-session-login")

    granted = post(visitor, "playground-role-grant").json()
    removed = post(visitor, "playground-role-remove").json()

    assert granted["is_staff"] is True
    assert removed["is_staff"] is False
    assert granted["username"] == removed["username"]
    assert User.objects.filter(is_demo=True, is_staff=True).count() == 1
    assert User.objects.get(is_demo=True, is_staff=True).username != granted["username"]


def test_a_removed_role_is_honoured_by_the_lanes_that_do_not_read_the_user_row(
    visitor: Client,
) -> None:
    # Only a login makes the demo account; the second one carries the role.
    post(visitor, "playground-session-login")
    post(visitor, "playground-role-grant")
    post(visitor, "playground-session-login")
    access = post(visitor, "playground-jwt-login").json()["access"]
    post(visitor, "playground-role-remove")

    answers = {
        "session": visitor.get(reverse("api:session-staff")).status_code,
        "snapshot": visitor.get(reverse("api:snapshot-staff")).status_code,
        **{
            lane: Client().get(reverse(f"api:{lane}-staff"), **bearer(access)).status_code
            for lane in ("stateless", "lookup", "denylist")
        },
    }

    assert answers == {
        "session": HTTPStatus.FORBIDDEN,
        "snapshot": HTTPStatus.OK,
        "stateless": HTTPStatus.OK,
        "lookup": HTTPStatus.FORBIDDEN,
        "denylist": HTTPStatus.OK,
    }


def test_a_demo_account_made_staff_is_kept_out_of_the_admin(visitor: Client) -> None:
    post(visitor, "playground-session-login")
    post(visitor, "playground-role-grant")
    post(visitor, "playground-session-login")

    response = visitor.get(reverse("admin:index"))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("admin:login"))
    assert visitor.get(reverse("accounts:session-staff")).status_code == HTTPStatus.OK


def test_the_role_table_lists_every_lane_a_browser_can_reach(visitor: Client) -> None:
    response = visitor.get(reverse("comparison:playground"))

    lanes = [lane.name for lane, _ in response.context["role_lanes"]]
    assert lanes == ["session", "snapshot", "stateless", "lookup", "denylist"]


def test_a_refresh_keeps_the_playground_lifetime_for_both_tokens(visitor: Client, settings) -> None:
    settings.COMPARISON_PLAYGROUND_CREDENTIAL_SECONDS = 30
    tokens = post(visitor, "playground-jwt-login").json()

    refreshed = visitor.post(
        reverse("api:token-refresh"),
        {"refresh": tokens["refresh"]},
        content_type="application/json",
    ).json()
    again = visitor.post(
        reverse("api:token-refresh"),
        {"refresh": refreshed["refresh"]},
        content_type="application/json",
    ).json()

    for token in (tokens["refresh"], refreshed["access"], refreshed["refresh"], again["access"]):
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] <= 30, claims["token_type"]


def test_the_short_refresh_token_is_recorded_with_its_short_expiry(visitor: Client, settings):
    settings.COMPARISON_PLAYGROUND_CREDENTIAL_SECONDS = 30
    tokens = post(visitor, "playground-jwt-login").json()

    claims = jwt.decode(tokens["refresh"], options={"verify_signature": False})
    row = OutstandingToken.objects.get(jti=claims["jti"])
    assert row.expires_at.timestamp() == claims["exp"]
