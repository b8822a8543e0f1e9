"""What only a real browser shows: the CSP it enforces, and the cookies it withholds cross-site."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect

from comparison.guide import PAGES
from tests.browser.helpers import log_in
from tests.browser.test_playground import run_scenario


def test_content_security_policy_blocks_nothing_the_site_itself_does(
    page: Page, admin_user
) -> None:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if isinstance(message, ConsoleMessage) and "Content Security Policy" in message.text
            else None
        ),
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('Content Security Policy violation: ' + e.violatedDirective))"
    )
    log_in(page, "/session/login/", username="admin")
    log_in(page, "/jwt/login/", username="admin")
    for path in [
        "/",
        "/session/profile/",
        "/session/sessions/",
        "/jwt/profile/",
        "/jwt/sessions/",
        "/comparison/",
        "/guide/",
        *(f"/guide/{guide_page.slug}/" for guide_page in PAGES),
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{admin_user.pk}/change/",
        "/admin/accounts/revocationevent/",
    ]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    page.goto("/playground/")
    run_scenario(page, "Basic flow")

    assert violations == []


def test_cross_site_navigation_to_the_refresh_endpoint_does_not_log_out(
    context: BrowserContext, page: Page, live_server, user
) -> None:
    log_in(page, "/jwt/login/")
    expect(page.get_by_role("heading", name="Hello, alice")).to_be_visible()
    site = urlsplit(live_server.url)
    # The same server under another name is another site to the browser.
    other_site = f"{site.scheme}://{'127.0.0.1' if site.hostname == 'localhost' else 'localhost'}"
    page.goto(f"{other_site}:{site.port}/")

    page.evaluate(f"location.href = '{live_server.url}/jwt/auth/refresh/?next=/jwt/profile/'")
    page.wait_for_url(re.compile(r"/jwt/login/"))

    names = {cookie["name"] for cookie in context.cookies() if cookie["domain"] == site.hostname}
    assert {
        settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME,
        settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME,
    } <= names
    page.goto(f"{live_server.url}/jwt/profile/")
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
