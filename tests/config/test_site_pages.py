"""What every page shares: one navigation, a favicon, durations and times in words."""

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_revoke_access
from accounts.timewords import duration_words
from comparison.guide import PAGES
from comparison.models import DrillRun, RoleDrillRun
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db

MAIN_NAVIGATION = [
    reverse("accounts:session-home"),
    reverse("accounts:jwt-home"),
    reverse("comparison:playground"),
    reverse("comparison:guide"),
    reverse("comparison:dashboard"),
]
PUBLIC_PAGES = [
    reverse("index"),
    reverse("accounts:session-login"),
    reverse("accounts:jwt-login"),
    reverse("comparison:dashboard"),
    reverse("comparison:playground"),
    reverse("comparison:guide"),
    *(reverse("comparison:guide-page", args=[page.slug]) for page in PAGES),
]
AREA_PAGE_NAMES = ("home", "profile", "list", "staff")
SESSION_PAGES = [reverse(f"accounts:session-{name}") for name in AREA_PAGE_NAMES]
JWT_PAGES = [reverse(f"accounts:jwt-{name}") for name in AREA_PAGE_NAMES]
# A timedelta's str(), a clock time without its zone, or seconds with a bare "s" unit.
RAW_DURATION_OR_ZONELESS_TIME = re.compile(r"\b\d+:\d\d:\d\d(?![\d.+]| UTC)|\bday, |\b\d+ s\b")


@pytest.fixture
def everywhere(user, admin_user) -> Client:
    """A browser signed in to both areas, on a site with a revocation and both drills recorded."""
    user_revoke_access(user=user, actor=admin_user)
    now = timezone.now()
    lane = {"bound_seconds": 305, "first_rejection_seconds": 0.52, "reason": "Expired"}
    DrillRun.objects.create(
        started_at=now,
        revoked_at=now,
        access_lifetime_seconds=300,
        cadence_seconds=1800,
        results={"stateless": {**lane, "accepted_after": 3}},
    )
    RoleDrillRun.objects.create(
        started_at=now,
        demoted_at=now,
        access_lifetime_seconds=300,
        access_expires_at=now,
        cadence_seconds=1,
        results={
            "stateless": {
                "role_from": "token_claim",
                "bound_seconds": 305,
                "honoured_after": 2,
                "first_refusal_seconds": 300.5,
                "refusal": "role_required",
                "why": "the claim",
            }
        },
    )
    browser = Client()
    login = {"username": "alice", "password": PASSWORD}
    browser.post(reverse("accounts:session-login"), login)
    browser.post(reverse("accounts:jwt-login"), login)
    return browser


def every_page() -> list[str]:
    return [*PUBLIC_PAGES, *SESSION_PAGES, *JWT_PAGES]


@pytest.mark.parametrize("path", every_page())
def test_every_page_has_the_one_navigation_and_a_favicon(everywhere: Client, path: str) -> None:
    content = everywhere.get(path, follow=True).content.decode()
    main = content.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]

    assert re.findall(r'href="([^"]+)"', main) == MAIN_NAVIGATION
    assert '<link rel="icon" href="/static/favicon.svg"' in content


@pytest.mark.parametrize("path", every_page())
def test_no_page_shows_a_raw_duration_or_a_time_without_its_zone(everywhere, path) -> None:
    content = everywhere.get(path, follow=True).content.decode()

    assert not RAW_DURATION_OR_ZONELESS_TIME.findall(content)


@pytest.mark.parametrize(
    ("path", "section"),
    [(SESSION_PAGES[2], "Session area"), (JWT_PAGES[1], "JWT area"), (PUBLIC_PAGES[5], "Guide")],
)
def test_the_navigation_marks_the_section_a_page_is_in(everywhere: Client, path, section) -> None:
    content = everywhere.get(path).content.decode()

    assert re.findall(r'aria-current="true">([^<]+)<', content) == [section]


def test_favicon_ico_leads_to_the_icon(client: Client) -> None:
    response = client.get("/favicon.ico")

    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"] == "/static/favicon.svg"


def test_the_jwt_login_names_the_area_as_it_is_spelled(client: Client) -> None:
    content = client.get(reverse("accounts:jwt-login")).content.decode()

    assert "<h1>Log in to the JWT area</h1>" in content
    assert "5 minutes" in content


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (300, "5 minutes"),
        (timedelta(days=1), "1 day"),
        (1800, "30 minutes"),
        (12 * 3600, "12 hours"),
        (90, "1 minute 30 seconds"),
        (timedelta(days=1, hours=2, seconds=5), "1 day 2 hours"),
        (1, "1 second"),
        (0, "0 seconds"),
        (0.52, "0.52 seconds"),
    ],
)
def test_durations_read_as_words(value, words: str) -> None:
    assert duration_words(value) == words
