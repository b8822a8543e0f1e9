"""
Real headless Chromium (Debian's package) driven by Playwright, against the
site served by pytest-django's live server, with sessions in the real Redis.

A missing browser fails the suite: `make test` installs it, and a browser
test that quietly skips would let the browser behaviour go untested.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.helpers import VIEWPORTS

# Playwright's sync API runs an event loop in this thread; Django would then
# refuse ORM calls from the test body, which are safe here (one thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path:
        pytest.fail("Chromium is not installed: run `make test`, which installs Debian's chromium.")
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser, live_server) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.url)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def sized_page(browser: Browser, live_server, viewport: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS[viewport])
    yield context.new_page()
    context.close()
