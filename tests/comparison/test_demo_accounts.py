"""
The playground's demo accounts: made only by its login actions, bounded per
address and in total, and gone, with everything they left, soon after their
credentials expire.
"""

from datetime import timedelta
from http import HTTPStatus

import jwt
import pytest
import time_machine
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import RevocationEvent, User
from accounts.selectors import denylist_marker_key
from accounts.session_index import SessionIndex
from tests.helpers import make_user

pytestmark = pytest.mark.django_db

# The playground's credentials live 30 s, accepted 5 s of leeway past that.
IDLE = timedelta(seconds=35)


@pytest.fixture(autouse=True)
def _credential_lifetime(settings) -> None:
    settings.COMPARISON_PLAYGROUND_CREDENTIAL_SECONDS = 30


LOGINS = ["playground-session-login", "playground-jwt-login"]
NOT_LOGINS = [
    "playground-session-logout",
    "playground-revoke",
    "playground-role-grant",
    "playground-role-remove",
]


def visit(name: str, ip: str = "10.0.0.1", client: Client | None = None):
    return (client or Client()).post(reverse(f"comparison:{name}"), REMOTE_ADDR=ip)


def refresh(client: Client, token: str):
    return client.post(reverse("api:token-refresh"), {"refresh": token}, "application/json")


@pytest.mark.parametrize("name", NOT_LOGINS)
def test_unbounded_account_creation_only_the_login_actions_make_accounts(name: str) -> None:
    for number in range(10):
        response = visit(name, f"10.0.1.{number}")
        assert response.status_code in {HTTPStatus.OK, HTTPStatus.NOT_FOUND}
    assert refresh(Client(), "x").status_code == HTTPStatus.UNAUTHORIZED
    assert not User.objects.filter(is_demo=True).exists()


@pytest.mark.parametrize(
    "name", ["playground-revoke", "playground-role-grant", "playground-role-remove"]
)
def test_unbounded_account_creation_acting_without_an_account_says_so(name: str) -> None:
    response = visit(name)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "no_demo_account"


@pytest.mark.parametrize("name", LOGINS)
def test_unbounded_account_creation_is_limited_per_address(name: str, settings) -> None:
    settings.ACCOUNTS_DEMO_ACCOUNTS_PER_ADDRESS_PER_HOUR = 3
    made = [visit(name, "10.0.2.1").status_code for _ in range(3)]

    refused = visit(name, "10.0.2.1")
    elsewhere = visit(name, "10.0.2.2")

    assert made == [HTTPStatus.OK] * 3
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    body = refused.json()
    assert body["code"] == "demo_accounts_rate"
    assert 0 < int(refused["Retry-After"]) == body["retry_after_seconds"] <= 3600
    assert body["retry_after"]
    assert elsewhere.status_code == HTTPStatus.OK
    assert User.objects.filter(is_demo=True).count() == 4


def test_unbounded_account_creation_counts_an_ipv6_host_by_its_slash_64(settings) -> None:
    settings.ACCOUNTS_DEMO_ACCOUNTS_PER_ADDRESS_PER_HOUR = 3
    statuses = [
        visit("playground-jwt-login", f"2001:db8:1:2::{number:x}").status_code
        for number in range(1, 5)
    ]

    assert statuses == [HTTPStatus.OK] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]
    assert visit("playground-jwt-login", "2001:db8:1:3::1").status_code == HTTPStatus.OK


def test_unbounded_account_creation_a_browser_keeps_its_one_account(settings) -> None:
    settings.ACCOUNTS_DEMO_ACCOUNTS_PER_ADDRESS_PER_HOUR = 1
    browser = Client()
    statuses = [visit(name, client=browser).status_code for name in LOGINS * 5]

    assert set(statuses) == {HTTPStatus.OK}
    assert User.objects.filter(is_demo=True).count() == 1


def test_unbounded_account_creation_stops_at_the_live_limit_until_some_expire(settings) -> None:
    settings.ACCOUNTS_DEMO_ACCOUNTS_LIVE_LIMIT = 3
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        made = [visit("playground-jwt-login", f"10.0.3.{n}").status_code for n in range(3)]
        full = visit("playground-jwt-login", "10.0.3.9")
    with time_machine.travel(start + IDLE + timedelta(seconds=1), tick=False):
        later = visit("playground-jwt-login", "10.0.3.9")

    assert made == [HTTPStatus.OK] * 3
    assert full.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert full.json()["code"] == "demo_accounts_full"
    assert int(full["Retry-After"]) == IDLE.total_seconds()
    assert later.status_code == HTTPStatus.OK
    assert User.objects.filter(is_demo=True).count() == 1


def _demo_with_everything(client: Client) -> User:
    """A demo account that has used every credential, refreshed, been revoked, and come back."""
    visit("playground-session-login", client=client)
    tokens = visit("playground-jwt-login", client=client).json()
    assert refresh(client, tokens["refresh"]).status_code == HTTPStatus.OK
    assert visit("playground-revoke", client=client).status_code == HTTPStatus.OK
    visit("playground-session-login", client=client)
    return User.objects.get(username=tokens["username"])


def _leftovers(user_id: int) -> dict[str, int]:
    index = SessionIndex(user_id)
    return {
        "user": User.objects.filter(pk=user_id).count(),
        "outstanding_tokens": OutstandingToken.objects.filter(user_id=user_id).count()
        + OutstandingToken.objects.filter(user__isnull=True).count(),
        "blacklisted_tokens": BlacklistedToken.objects.count(),
        "revocations": RevocationEvent.objects.filter(user_id=user_id).count(),
        "session_index": index.redis.exists(index.key),
        "denylist_marker": int(
            caches["revocation"].get(denylist_marker_key(user_id=user_id)) is not None
        ),
    }


@pytest.mark.parametrize("cleaner", ["command", "another_visitors_login"])
def test_unbounded_account_creation_expired_accounts_leave_nothing_behind(cleaner: str) -> None:
    real = make_user("alice")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        demo = _demo_with_everything(Client())
        assert _leftovers(demo.pk) == {
            "user": 1,
            "outstanding_tokens": 2,
            "blacklisted_tokens": 2,
            "revocations": 1,
            "session_index": 1,
            "denylist_marker": 1,
        }

    with time_machine.travel(start + IDLE + timedelta(seconds=1), tick=False):
        if cleaner == "command":
            call_command("playground_cleanup", stdout=None)
        else:
            visit("playground-jwt-login", "10.0.4.1")

    assert set(_leftovers(demo.pk).values()) == {0}
    assert User.objects.filter(pk=real.pk).exists()


def test_unbounded_account_creation_an_account_with_a_live_token_is_kept() -> None:
    browser = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        tokens = visit("playground-jwt-login", client=browser).json()
    # Rotated just before expiry: the new refresh token lives on past the login's idle time.
    almost = start + IDLE - timedelta(seconds=10)
    with time_machine.travel(almost, tick=False):
        assert refresh(browser, tokens["refresh"]).status_code == HTTPStatus.OK
    with time_machine.travel(start + IDLE + timedelta(seconds=1), tick=False):
        call_command("playground_cleanup", stdout=None)

    assert User.objects.filter(username=tokens["username"]).exists()


def test_unbounded_account_creation_demo_accounts_stay_out_of_the_admins_user_list(
    admin_client: Client,
) -> None:
    make_user("alice")
    demo_name = visit("playground-jwt-login").json()["username"]
    url = reverse("admin:accounts_user_changelist")

    default = admin_client.get(url).content.decode()
    demo_only = admin_client.get(url, {"kind": "demo"}).content.decode()
    everyone = admin_client.get(url, {"kind": "all"}).content.decode()

    assert "alice" in default
    assert demo_name not in default
    assert demo_name in demo_only
    assert "alice" not in demo_only
    assert "alice" in everyone
    assert demo_name in everyone


def test_playground_token_lifetime_refresh_tokens_live_as_long_as_the_playground_says(
    settings,
) -> None:
    settings.COMPARISON_PLAYGROUND_CREDENTIAL_SECONDS = 30
    browser = Client()
    tokens = visit("playground-jwt-login", client=browser).json()
    rotated = refresh(browser, tokens["refresh"]).json()

    lifetimes = {
        name: claims["exp"] - claims["iat"]
        for name, token in [
            ("access", tokens["access"]),
            ("refresh", tokens["refresh"]),
            ("rotated_access", rotated["access"]),
            ("rotated_refresh", rotated["refresh"]),
        ]
        if (claims := jwt.decode(token, options={"verify_signature": False}))
    }
    assert lifetimes == dict.fromkeys(lifetimes, 30)
    rows = OutstandingToken.objects.values_list("created_at", "expires_at")
    assert len(rows) == 2
    assert all(29 < (expires - created).total_seconds() <= 30 for created, expires in rows)
