"""
At phone and desktop width, as people meet them: the admin's Revoke access
button, the login page telling a revoked user why, the JWT area telling until
when it keeps access, one navigation everywhere, and the favicon.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.services import user_revoke_access
from tests.browser.helpers import VIEWPORTS, is_on_screen, log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

MAIN_NAVIGATION = ["Session area", "JWT area", "Playground", "Guide", "Measurements"]


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def sized_context(browser: Browser, live_server, viewport: str) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS[viewport])
    yield context
    context.close()


@pytest.fixture
def sized_page(sized_context: BrowserContext) -> Page:
    return sized_context.new_page()


def test_an_admin_revokes_from_the_users_page_after_confirming(
    browser: Browser, live_server, sized_page: Page, viewport: str, user, admin_user
) -> None:
    victim = browser.new_context(base_url=live_server.url)
    log_in(victim.new_page(), "/session/login/")
    log_in(sized_page, "/admin/login/", admin_user.username)
    sized_page.goto(f"/admin/accounts/user/{user.pk}/change/")
    live = sized_page.get_by_role("heading", name="Live credentials").bounding_box()
    personal = sized_page.get_by_role("heading", name="Personal info").bounding_box()
    assert live is not None
    assert personal is not None
    assert live["y"] < personal["y"]
    assert is_on_screen(sized_page, "a.revokelink")
    screenshot(sized_page, f"admin-user-{viewport}")

    sized_page.get_by_role("link", name="Revoke access").click()
    expect(sized_page).to_have_url(re.compile(rf"/admin/accounts/user/{user.pk}/revoke/$"))
    assert is_on_screen(sized_page, "input[type=submit]")
    screenshot(sized_page, f"admin-revoke-confirmation-{viewport}")
    sized_page.get_by_role("button", name="Yes, revoke access").click()

    message = sized_page.get_by_text("Ended 1 session and 0 refresh tokens of alice.")
    expect(message).to_be_visible()
    assert is_on_screen(sized_page, ".messagelist li")
    screenshot(sized_page, f"admin-revoked-{viewport}")
    victim_page = victim.pages[0]
    victim_page.goto("/session/profile/")
    expect(victim_page.get_by_text("An administrator ended your access.")).to_be_visible()
    victim.close()


def test_a_session_ended_elsewhere_is_told_on_the_login_page(
    browser: Browser, live_server, sized_page: Page, viewport: str, user
) -> None:
    other = browser.new_context(base_url=live_server.url)
    other_page = other.new_page()
    log_in(other_page, "/session/login/")
    log_in(sized_page, "/session/login/")

    other_page.goto("/session/sessions/")
    other_page.locator("button[name=end]").click()
    sized_page.goto("/session/profile/")

    expect(sized_page).to_have_url(re.compile(r"/session/login/\?next="))
    notice = sized_page.get_by_text("Your sign-in on this browser was ended from another device.")
    expect(notice).to_be_visible()
    assert is_on_screen(sized_page, ".messages li")
    screenshot(sized_page, f"login-told-why-{viewport}")
    other.close()


def test_the_jwt_area_says_until_when_it_keeps_access(
    sized_page: Page, viewport: str, user, admin_user
) -> None:
    log_in(sized_page, "/jwt/login/")
    sized_page.goto("/jwt/auth/sessions/")
    expect(sized_page.get_by_text("This browser")).to_be_visible()
    expect(sized_page.get_by_role("button", name="End all other sign-ins")).to_have_count(0)
    user_revoke_access(user=user, actor=admin_user)

    sized_page.goto("/jwt/auth/sessions/")

    notice = sized_page.locator(".notice")
    expect(notice).to_contain_text("An administrator ended your access.")
    until = re.compile(r"keeps access until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
    expect(notice).to_contain_text(until)
    expect(sized_page.get_by_text("No sign-in can get new access tokens any more")).to_be_visible()
    expect(sized_page.locator("table")).to_have_count(0)
    assert is_on_screen(sized_page, ".notice")
    screenshot(sized_page, f"jwt-sign-in-ended-{viewport}")
    sized_page.get_by_role("link", name="Home").click()
    expect(sized_page.locator(".notice")).to_contain_text("An administrator ended your access.")


def test_one_navigation_on_every_page_with_every_link_on_screen(
    sized_page: Page, viewport: str, user
) -> None:
    log_in(sized_page, "/session/login/")
    log_in(sized_page, "/jwt/login/")

    for path in ("/", "/session/sessions/", "/jwt/profile/", "/playground/", "/guide/refresh/"):
        sized_page.goto(path)
        navigation = sized_page.get_by_role("navigation", name="Main")
        expect(navigation.get_by_role("link")).to_have_text(MAIN_NAVIGATION)
        assert is_on_screen(sized_page, "nav[aria-label=Main] a"), path
        assert sized_page.evaluate(
            """() => [...document.querySelectorAll('nav[aria-label=Main] a')].every(a => {
              const box = a.getBoundingClientRect();
              return box.left >= 0 && box.right <= document.documentElement.clientWidth;
            })"""
        ), path
    screenshot(sized_page, f"guide-refresh-{viewport}")


def test_the_favicon_is_found(sized_page: Page) -> None:
    sized_page.goto("/")

    icon = sized_page.locator("link[rel=icon]").get_attribute("href")
    linked = sized_page.request.get(icon)
    asked_for = sized_page.request.get("/favicon.ico")

    assert (linked.status, linked.headers["content-type"]) == (200, "image/svg+xml")
    assert (asked_for.status, asked_for.url.endswith(icon)) == (200, True)
