"""
axe-core on every page, at phone and desktop width: no serious or critical
violation. The pages are visited as their people see them: signed in to both
areas, as an admin, after a playground scenario, after a guide demonstration.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.services import user_revoke_access
from tests.browser.helpers import AREA_PAGES, PUBLIC_PAGES, log_in, serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)


def violations_on(page: Page, paths: list[str]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        page.goto(path)
        if violations := serious_accessibility_violations(page):
            found[path] = violations
    return found


def test_public_pages(sized_page: Page) -> None:
    assert violations_on(sized_page, PUBLIC_PAGES) == {}


def test_the_pages_of_both_areas_signed_in(sized_page: Page, user) -> None:
    log_in(sized_page, "/session/login/")
    log_in(sized_page, "/jwt/login/")

    assert violations_on(sized_page, AREA_PAGES) == {}


def test_the_areas_after_a_revocation_with_their_notices(sized_page: Page, user, admin_user):
    log_in(sized_page, "/session/login/")
    log_in(sized_page, "/jwt/login/")
    user_revoke_access(user=user, actor=admin_user)

    # The login page telling why, and the JWT pages telling until when.
    assert violations_on(sized_page, ["/session/", "/jwt/auth/sessions/", "/jwt/"]) == {}
    expect(sized_page.locator(".notice")).to_contain_text("An administrator ended your access.")


def test_the_admin_pages_where_admins_revoke(sized_page: Page, user, admin_user) -> None:
    log_in(sized_page, "/admin/login/", admin_user.username)

    found = violations_on(
        sized_page,
        [
            "/admin/",
            "/admin/accounts/user/",
            f"/admin/accounts/user/{user.pk}/change/",
            f"/admin/accounts/user/{user.pk}/revoke/",
            "/admin/accounts/revocationevent/",
            "/admin/signing-keys/",
        ],
    )

    assert found == {}


def test_the_playground_after_each_scenario(sized_page: Page) -> None:
    sized_page.goto("/playground/")

    for scenario in ("Basic flow", "Revocation test", "Role change"):
        sized_page.get_by_role("button", name=scenario).click()
        expect(sized_page.locator("body")).to_have_attribute("data-busy", "no", timeout=30_000)
        assert serious_accessibility_violations(sized_page) == [], scenario


def test_the_guide_demonstrations_after_they_ran(sized_page: Page) -> None:
    sized_page.goto("/guide/mistakes/")
    sized_page.get_by_role("button", name="Send both forgeries").click()
    expect(sized_page.locator("#forgery-result")).to_contain_text("tampered")
    mistakes = serious_accessibility_violations(sized_page)
    sized_page.goto("/guide/storage/")
    sized_page.get_by_role("button", name="Run the demonstration").click()
    expect(sized_page.locator("#storage-result")).to_contain_text("localStorage")

    assert (mistakes, serious_accessibility_violations(sized_page)) == ([], [])
