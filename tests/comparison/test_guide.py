from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from comparison.guide import PAGES, SOURCE_FILES
from tests.helpers import bearer

pytestmark = pytest.mark.django_db


def test_guide_index_lists_every_page(client: Client) -> None:
    response = client.get(reverse("comparison:guide"))

    for page in PAGES:
        assert reverse("comparison:guide-page", args=[page.slug]).encode() in response.content


@pytest.mark.parametrize("slug", [page.slug for page in PAGES])
def test_every_guide_page_renders_and_links_its_sources(client: Client, slug: str) -> None:
    response = client.get(reverse("comparison:guide-page", args=[slug]))

    assert response.status_code == HTTPStatus.OK
    for path in response.context["page"].sources:
        assert reverse("comparison:guide-source", args=[path]).encode() in response.content


@pytest.mark.parametrize("path", SOURCE_FILES)
def test_cited_source_files_are_shown(client: Client, path: str) -> None:
    response = client.get(reverse("comparison:guide-source", args=[path]))

    assert response.status_code == HTTPStatus.OK
    assert len(response.context["lines"]) > 10


@pytest.mark.parametrize("path", [".env", "db.sqlite3", "../etc/passwd", "config/../manage.py"])
def test_only_cited_files_can_be_shown(client: Client, path: str) -> None:
    response = client.get(f"/guide/source/{path}")

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_unknown_guide_page_is_404(client: Client) -> None:
    assert client.get("/guide/nope/").status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("lane", ["stateless", "lookup", "denylist"])
def test_the_mistakes_page_tokens_open_nothing(client: Client, lane: str) -> None:
    page = client.get(reverse("comparison:guide-page", args=["mistakes"])).context
    api = APIClient()

    for shown in ("token", "alg_none", "tampered"):
        response = api.get(f"/api/jwt/{lane}/me/", **bearer(page[shown]))
        assert response.status_code == HTTPStatus.UNAUTHORIZED, shown
        # Signed with the site's key for an audience no lane accepts; the others are forged.
        expected = "token_invalid_claims" if shown == "token" else "token_bad_signature"
        assert response.json()["code"] == expected, shown


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ("instant_revocation=yes&many_services=no&non_browser=no", b"Sessions in a shared store"),
        ("instant_revocation=yes&many_services=yes&non_browser=no", b"plus a revocation check"),
        ("instant_revocation=no&many_services=no&non_browser=yes", b"revocable refresh tokens"),
    ],
)
def test_decision_guide_works_without_javascript(client: Client, answers, expected) -> None:
    response = client.get(reverse("comparison:guide-page", args=["decide"]) + "?" + answers)

    assert expected in response.content
