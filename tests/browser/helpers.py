"""What browser tests import: screenshots for the README and logging in by hand."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from playwright.sync_api import Page

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
