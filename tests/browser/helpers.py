"""What browser tests import: screenshots for the README and logging in by hand."""

from __future__ import annotations

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import Page

from comparison.guide import PAGES
from tests.helpers import PASSWORD

SCREENSHOTS = settings.BASE_DIR / "reports" / "screenshots"


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Page, path: str, username: str = "alice") -> None:
    page.goto(path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


def outside_the_viewport(
    page: Page, selector: str = "table, button, input, select, svg, pre"
) -> list[str]:
    """The rendered elements matching ``selector`` whose box sticks out of the viewport's width."""
    return page.evaluate(
        """selector => {
          const width = document.documentElement.clientWidth;
          return [...document.querySelectorAll(selector)]
            .filter(element => element.getClientRects().length)
            .filter(element => {
              const box = element.getBoundingClientRect();
              return box.left < -0.5 || box.right > width + 0.5;
            })
            .map(element => element.outerHTML.slice(0, 120));
        }""",
        selector,
    )


def is_on_screen(page: Page, selector: str) -> bool:
    """Whether the first element matching ``selector`` lies inside the viewport's width."""
    return not outside_the_viewport(page, selector) and page.locator(selector).first.is_visible()


def chart_text_sizes(page: Page) -> list[float]:
    """The size in CSS pixels at which each visible chart label is drawn, scaling included."""
    return page.evaluate(
        """() => [...document.querySelectorAll('svg.chart text')]
          .filter(text => text.getClientRects().length)
          .map(text => {
            const matrix = text.getScreenCTM();
            return parseFloat(getComputedStyle(text).fontSize) * Math.hypot(matrix.a, matrix.b);
          })"""
    )


def chart_text_outside_its_chart(page: Page) -> list[str]:
    """Visible chart labels that the edge of their chart cuts off."""
    return page.evaluate(
        """() => [...document.querySelectorAll('svg.chart text')]
          .filter(text => text.getClientRects().length)
          .filter(text => {
            const box = text.getBoundingClientRect();
            const chart = text.ownerSVGElement.getBoundingClientRect();
            return box.left < chart.left - 0.5 || box.right > chart.right + 0.5
              || box.top < chart.top - 0.5 || box.bottom > chart.bottom + 0.5;
          })
          .map(text => text.textContent)"""
    )


SERIOUS_IMPACTS = {"serious", "critical"}


def serious_accessibility_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each."""
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']} {violation['help']}"
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS_IMPACTS
        for node in violation["nodes"]
    ]


# Every page a visitor can reach signed out, and those of the two areas.
PUBLIC_PAGES = [
    "/",
    "/session/login/",
    "/jwt/login/",
    "/comparison/",
    "/playground/",
    "/guide/",
    *(f"/guide/{page.slug}/" for page in PAGES),
    "/guide/source/accounts/views.py",
    "/no-such-page/",
]
AREA_PAGES = [
    "/session/",
    "/session/profile/",
    "/session/sessions/",
    "/session/staff/",
    "/jwt/",
    "/jwt/profile/",
    "/jwt/auth/sessions/",
    "/jwt/staff/",
]
