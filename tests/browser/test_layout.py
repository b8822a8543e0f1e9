"""
Every page on a phone (390 px) and on a desktop (1280 px): no table or control
sticks out of the viewport, chart text is at least 11 px, and the controls
people need are on screen. Boxes are measured in Chromium, not judged by eye.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts.services import user_revoke_access
from comparison.models import DrillRun, RoleDrillRun
from comparison.seed import seed_samples
from tests.browser.helpers import (
    AREA_PAGES,
    PUBLIC_PAGES,
    chart_text_outside_its_chart,
    chart_text_sizes,
    is_on_screen,
    log_in,
    outside_the_viewport,
    screenshot,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dashboard_data(user, admin_user) -> None:
    """An hour of requests on every lane, a revocation and a drill, as a running site has."""
    seed_samples(requests=3000, days=1)
    user_revoke_access(user=user, actor=admin_user)
    DrillRun.objects.create(
        started_at=timezone.now(),
        revoked_at=timezone.now(),
        access_lifetime_seconds=20,
        cadence_seconds=0.5,
        results={
            "session": drill_result(bound=0, accepted=0, refused_after=0.41, reason="Not found"),
            "stateless": drill_result(bound=25, accepted=48, refused_after=25.3, reason="Expired"),
        },
    )
    RoleDrillRun.objects.create(
        started_at=timezone.now(),
        demoted_at=timezone.now(),
        access_lifetime_seconds=20,
        access_expires_at=timezone.now(),
        cadence_seconds=0.5,
        results={
            "session": role_result(role_from="user_row", bound=0, honoured=0, refused_after=0.3),
            "stateless": role_result(
                role_from="token_claim", bound=25, honoured=50, refused_after=None
            ),
        },
    )


def role_result(
    *, role_from: str, bound: float, honoured: int, refused_after: float | None
) -> dict:
    return {
        "role_from": role_from,
        "bound_seconds": bound,
        "honoured_after": honoured,
        "first_refusal_seconds": refused_after,
        "refusal": "role_required" if refused_after is not None else "",
        "why": "it reads the role where it reads it",
    }


def drill_result(*, bound: float, accepted: int, refused_after: float, reason: str) -> dict:
    return {
        "bound_seconds": bound,
        "accepted_after": accepted,
        "first_rejection_seconds": refused_after,
        "reason": reason,
    }


def test_every_page_fits_the_viewport(sized_page: Page, viewport: str, user, dashboard_data):
    log_in(sized_page, "/session/login/")
    log_in(sized_page, "/jwt/login/")

    for path in [*PUBLIC_PAGES, *AREA_PAGES]:
        sized_page.goto(path)
        assert outside_the_viewport(sized_page) == [], (viewport, path)
        width = sized_page.evaluate("document.documentElement.scrollWidth")
        assert width <= sized_page.viewport_size["width"], (viewport, path, width)


def test_the_admin_pages_where_admins_revoke_fit_the_viewport(
    browser: Browser, live_server, sized_page: Page, viewport: str, user, admin_user
) -> None:
    alices_browser = browser.new_context(base_url=live_server.url)
    log_in(alices_browser.new_page(), "/session/login/")
    log_in(alices_browser.pages[0], "/jwt/login/")
    log_in(sized_page, "/admin/login/", admin_user.username)

    for path in (
        f"/admin/accounts/user/{user.pk}/revoke/",
        f"/admin/accounts/user/{user.pk}/change/",
    ):
        sized_page.goto(path)
        assert outside_the_viewport(sized_page, "table, td, input[type=submit], a.button") == [], (
            viewport,
            path,
        )
    expect(sized_page.get_by_text("127.0.0.1")).to_be_visible()
    alices_browser.close()


def test_chart_text_is_at_least_11_px(sized_page: Page, viewport: str, dashboard_data) -> None:
    sized_page.goto("/comparison/")

    sizes = chart_text_sizes(sized_page)

    assert len(sizes) > 20
    assert min(sizes) >= 11, (viewport, min(sizes))
    assert chart_text_outside_its_chart(sized_page) == []
    screenshot(sized_page, f"dashboard-{viewport}")


def test_both_chart_axes_are_titled_with_units(sized_page: Page, dashboard_data) -> None:
    sized_page.goto("/comparison/")

    titles = sized_page.locator("svg.chart:visible .axis-title").evaluate_all(
        "texts => texts.map(text => text.textContent)"
    )

    assert titles == [
        "Time to check the credential (log scale)",
        "Requests",
        "Time (UTC)",
        "Requests per minute",
    ]


def test_the_end_button_of_my_sessions_is_on_screen(
    browser: Browser, sized_page: Page, live_server, viewport: str, user
) -> None:
    other = browser.new_context(base_url=live_server.url)
    log_in(other.new_page(), "/session/login/")
    log_in(sized_page, "/session/login/")

    sized_page.goto("/session/sessions/")

    expect(sized_page.get_by_role("button", name="End", exact=False).first).to_be_visible()
    assert is_on_screen(sized_page, "button[name=end]")
    assert is_on_screen(sized_page, "button[name=end_others]")
    screenshot(sized_page, f"my-sessions-{viewport}")
    other.close()
