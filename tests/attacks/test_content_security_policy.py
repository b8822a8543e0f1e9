"""
A Content-Security-Policy on every answer, and nothing on any page that it
would have to allow: no inline script, no inline style, no event handler
attribute. The browser's view of the same pages is in tests/browser/test_csp.py.
"""

import re
from http import HTTPStatus

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from comparison.guide import PAGES, SOURCE_FILES
from tests.helpers import PASSWORD, make_user

pytestmark = pytest.mark.django_db

INLINE = {
    "inline_script": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE),
    "style_element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "style_attribute": re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE),
    "event_handler": re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE),
    "javascript_url": re.compile(r"javascript:", re.IGNORECASE),
}


def policy(response) -> dict[str, set[str]]:
    directives = [part.split() for part in response["Content-Security-Policy"].split(";")]
    return {parts[0]: set(parts[1:]) for parts in directives if parts}


def _pages() -> list[str]:
    return [
        "/",
        reverse("accounts:session-login"),
        reverse("accounts:session-home"),
        reverse("accounts:session-profile"),
        reverse("accounts:session-list"),
        reverse("accounts:jwt-login"),
        reverse("accounts:jwt-home"),
        reverse("accounts:jwt-profile"),
        reverse("accounts:jwt-list"),
        reverse("comparison:dashboard"),
        reverse("comparison:playground"),
        reverse("comparison:guide"),
        *(reverse("comparison:guide-page", args=[page.slug]) for page in PAGES),
        reverse("comparison:guide-source", args=[SOURCE_FILES[0]]),
        reverse("admin:index"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_revocationevent_changelist"),
        "/no/such/page/",
        "/api/ping/",
    ]


@pytest.fixture
def signed_in_everywhere(admin_user) -> Client:
    client = Client()
    credentials = {"username": "admin", "password": PASSWORD}
    client.post(reverse("accounts:session-login"), credentials)
    client.post(reverse("accounts:jwt-login"), credentials)
    return client


def test_content_security_policy_is_on_every_page(signed_in_everywhere: Client, admin_user) -> None:
    answers = {url: signed_in_everywhere.get(url) for url in _pages()}
    admin = signed_in_everywhere.get(reverse("admin:accounts_user_change", args=[admin_user.pk]))

    for url, response in {**answers, "user change": admin}.items():
        directives = policy(response)
        assert directives["default-src"] == {"'self'"}, url
        assert directives["frame-ancestors"] == {"'none'"}, url
        unsafe = [
            source for sources in directives.values() for source in sources if "unsafe" in source
        ]
        assert not unsafe, url


def test_content_security_policy_needs_nothing_inline_on_any_page(
    signed_in_everywhere: Client, admin_user
) -> None:
    make_user("alice")
    urls = [*_pages(), reverse("admin:accounts_user_change", args=[admin_user.pk])]
    found = {}
    for url in urls:
        response = signed_in_everywhere.get(url)
        assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, url
        html = response.content.decode()
        found[url] = sorted(name for name, pattern in INLINE.items() if pattern.search(html))

    assert {url: names for url, names in found.items() if names} == {}


def test_content_security_policy_templates_hold_nothing_inline() -> None:
    templates = sorted((settings.BASE_DIR / "templates").rglob("*.html"))
    found = {
        str(path.relative_to(settings.BASE_DIR)): sorted(
            name for name, pattern in INLINE.items() if pattern.search(path.read_text())
        )
        for path in templates
    }

    assert len(found) > 20
    assert {path: names for path, names in found.items() if names} == {}
