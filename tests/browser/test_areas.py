"""Both areas and revocation, as a person in a browser sees them."""

import re

from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.helpers import log_in, screenshot
from tests.helpers import PASSWORD


def test_log_in_to_the_session_area_and_browse(page: Page, user) -> None:
    page.goto("/session/profile/")
    expect(page).to_have_url(re.compile(r"/session/login/\?next="))

    log_in(page, page.url)

    expect(page).to_have_url(re.compile(r"/session/profile/$"))
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    page.get_by_role("link", name="My sessions").click()
    expect(page.get_by_text("This browser")).to_be_visible()
    expect(page.locator(".receipt")).to_contain_text("Lane: session, answer: accepted")
    expect(page.locator(".receipt")).to_contain_text("1 Redis round trip")
    screenshot(page, "session-area")


def test_jwt_pages_keep_the_refresh_cookie_to_its_path_and_refresh_silently(
    context: BrowserContext, page: Page, user
) -> None:
    log_in(page, "/jwt/login/")
    expect(page.get_by_role("heading", name="Hello, alice")).to_be_visible()
    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    refresh = cookies[settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME]
    assert refresh["path"] == "/jwt/auth/"
    assert refresh["httpOnly"]
    assert refresh["sameSite"] == "Strict"

    # The cookies the browser sent with the first request to a path, read once
    # that request is known to have gone (not from an event handler, which
    # may not have run yet when the navigation returns).
    def cookies_sent(path: str) -> str:
        with page.expect_request(lambda request: request.url.endswith(path)) as first:
            page.goto(path)
        return first.value.all_headers().get("cookie", "")

    assert settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME not in cookies_sent("/jwt/profile/")

    # The browser drops the access cookie when it expires; do that now.
    context.clear_cookies(name=settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME)
    sent_to_sessions = cookies_sent("/jwt/auth/sessions/")

    expect(page).to_have_url(re.compile(r"/jwt/auth/sessions/$"))
    expect(page.get_by_role("heading", name="My sign-ins")).to_be_visible()
    # Under the refresh cookie's path, My sign-ins knows which sign-in is this browser's.
    assert settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME in sent_to_sessions
    expect(page.get_by_text("This browser")).to_be_visible()
    rotated = {c["name"]: c["value"] for c in context.cookies()}[
        settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME
    ]
    assert rotated != refresh["value"]
    screenshot(page, "jwt-area")


def test_admin_revocation_logs_the_session_out_at_once_but_not_the_stateless_pages(
    browser: Browser, context: BrowserContext, page: Page, live_server, user, admin_user
) -> None:
    log_in(page, "/session/login/")
    log_in(page, "/jwt/login/")
    admin_context = browser.new_context(base_url=live_server.url)
    admin_page = admin_context.new_page()
    log_in(admin_page, "/admin/login/", admin_user.username)

    admin_page.goto("/admin/accounts/user/")
    admin_page.get_by_role("row", name=re.compile("alice")).get_by_role("checkbox").check()
    admin_page.locator("select[name=action]").select_option("revoke_access")
    # The admin action button: "Go" up to Django 5.2, relabelled in 6.x.
    admin_page.locator("button[name=index]").first.click()
    expect(admin_page.get_by_text("Ended 1 session and 1 refresh token of alice.")).to_be_visible()
    screenshot(admin_page, "admin-revoked")
    admin_context.close()

    page.goto("/session/profile/")
    expect(page).to_have_url(re.compile(r"/session/login/"))
    page.goto("/jwt/profile/")
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()

    context.clear_cookies(name=settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME)
    page.goto("/jwt/profile/")
    expect(page).to_have_url(re.compile(r"/jwt/login/"))


def test_pages_fit_a_phone_and_work_from_the_keyboard(browser: Browser, live_server, user):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto("/session/login/")
    page.keyboard.press("Tab")
    page.get_by_label("Username").focus()
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/session/$"))

    for path in ("/", "/session/", "/session/sessions/", "/comparison/", "/guide/decide/"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (path, width)
    screenshot(page, "phone-dashboard")
    context.close()
