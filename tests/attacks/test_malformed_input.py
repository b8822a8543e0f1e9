"""Broken input on every endpoint: a clear 4xx with a message, never a 500."""

from http import HTTPStatus

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from accounts.parsers import BoundedJSONParser

pytestmark = pytest.mark.django_db

LANE_URLS = ["/api/jwt/stateless/me/", "/api/jwt/lookup/me/", "/api/jwt/denylist/me/"]
TOKEN_URLS = ["/api/jwt/token/", "/api/jwt/token/refresh/", "/api/jwt/token/verify/",
              "/api/jwt/token/blacklist/"]  # fmt: skip

BROKEN_HEADERS = [
    "Bearer",
    "Bearer ",
    "Bearer  two  spaces",
    "Bearer a b",
    "Bearer\tx",
    "Bearer a.b",
    "Bearer a.b.c.d",
    "Bearer a.b.c.d.e",
    "Bearer ....",
    "Bearer e30.e30.e30",
    "Bearer %%%.%%%.%%%",
    "Bearer " + "A" * 100_000,
    "Bearer " + "eyJ" * 3000 + "." + "e30" + ".",
    "Bearer ünïcödé.tøkën.hérè",
    "Bearer \x00\x01\x02",
    "JWT abc",
    "Token abc",
    "bearer abc",
    "Basic YWxpY2U6cGFzcw==",
]


@pytest.mark.parametrize("url", LANE_URLS)
def test_broken_authorization_headers_get_401_with_a_code(url: str) -> None:
    client = APIClient()
    for header in BROKEN_HEADERS:
        response = client.get(url, HTTP_AUTHORIZATION=header)

        assert response.status_code == HTTPStatus.UNAUTHORIZED, header[:40]
        assert "code" in response.json(), header[:40]


BROKEN_BODIES = [
    "",
    "{",
    "[]",
    "null",
    "42",
    '"string"',
    '{"refresh": 5}',
    '{"refresh": null}',
    '{"refresh": 5, "token": 5, "username": 5, "password": 5}',
    '{"refresh": null, "token": null, "username": null, "password": null}',
    '{"refresh": [], "token": {}, "username": [], "password": {}}',
    '{"refresh": "' + "x" * 200_000 + '"}',
    '{"username": "' + "u" * 200_000 + '", "password": "p"}',
    "\xff\xfe not json",
]


@pytest.mark.parametrize("url", TOKEN_URLS)
def test_garbage_bodies_to_token_endpoints_get_a_4xx_with_a_code(url: str) -> None:
    client = APIClient()
    for body in BROKEN_BODIES:
        response = client.post(url, body, content_type="application/json")
        status, case = response.status_code, (url, body[:40])

        assert HTTPStatus.BAD_REQUEST <= status < HTTPStatus.INTERNAL_SERVER_ERROR, (*case, status)
        assert "code" in response.json(), case


def test_a_body_over_the_size_limit_is_refused_not_crashed() -> None:
    body = '{"username": "' + "u" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + '"}'

    response = APIClient().post("/api/jwt/token/", body, content_type="application/json")

    assert response.status_code in {HTTPStatus.BAD_REQUEST, HTTPStatus.REQUEST_ENTITY_TOO_LARGE}


@pytest.mark.parametrize("cookie", ["", "x" * 8000, "\x00", "é" * 100, "a" * 40, "../../x"])
def test_broken_cookies_are_anonymous_everywhere(cookie: str) -> None:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    client.cookies[settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME] = cookie

    for url in ["/session/", "/jwt/", "/api/session/me/", "/session/sessions/"]:
        status = client.get(url).status_code
        assert status in {HTTPStatus.FOUND, HTTPStatus.FORBIDDEN}, (url, status)


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_wrong_methods_are_405_not_500(method: str) -> None:
    client = Client()
    for url in ["/session/profile/", "/jwt/profile/", "/comparison/", "/playground/revoke/"]:
        status = getattr(client, method)(url).status_code
        assert status in {HTTPStatus.FORBIDDEN, HTTPStatus.METHOD_NOT_ALLOWED}, (url, status)
    for url in TOKEN_URLS + LANE_URLS:
        response = getattr(APIClient(), method)(url)
        status = response.status_code
        assert status in {HTTPStatus.UNAUTHORIZED, HTTPStatus.METHOD_NOT_ALLOWED}, (url, status)
        assert "code" in response.json()


def test_unknown_urls_are_404_pages_and_json_under_api() -> None:
    client = Client()

    page = client.get("/no/such/page/")
    api = client.get("/api/jwt/no/such/thing/")

    assert page.status_code == api.status_code == HTTPStatus.NOT_FOUND
    assert b"Nothing lives here" in page.content
    assert api.json()["code"] == "not_found"


DEEP = 100_000
DEEP_BODIES = {
    "arrays": "[" * DEEP,
    "closed_arrays": "[" * DEEP + "]" * DEEP,
    "objects": '{"a":' * DEEP,
    "mixed": '[{"a":' * (DEEP // 2),
    "under_a_field": '{"refresh": ' + "[" * DEEP,
    "one_level_too_deep": "[" * (BoundedJSONParser.max_depth + 1)
    + "]" * (BoundedJSONParser.max_depth + 1),
}


@pytest.mark.parametrize("url", TOKEN_URLS)
def test_deeply_nested_json_is_a_400_with_a_code_on_every_json_endpoint(url: str) -> None:
    client = APIClient()
    answers = {
        name: client.post(url, body, content_type="application/json")
        for name, body in DEEP_BODIES.items()
    }

    assert {name: response.status_code for name, response in answers.items()} == dict.fromkeys(
        DEEP_BODIES, HTTPStatus.BAD_REQUEST
    )
    assert {response.json()["code"] for response in answers.values()} == {"json_too_deep"}


@pytest.mark.parametrize("url", TOKEN_URLS)
def test_nesting_within_the_bound_or_inside_strings_is_parsed_as_usual(url: str) -> None:
    depth = BoundedJSONParser.max_depth
    within = APIClient().post(url, "[" * depth + "]" * depth, content_type="application/json")
    in_a_string = APIClient().post(
        url, '{"refresh": "' + "[" * DEEP + '"}', content_type="application/json"
    )

    assert within.json()["code"] != "json_too_deep"
    assert HTTPStatus.BAD_REQUEST <= within.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
    assert in_a_string.json()["code"] != "json_too_deep"
    assert HTTPStatus.BAD_REQUEST <= in_a_string.status_code < HTTPStatus.INTERNAL_SERVER_ERROR


def test_deeply_nested_json_to_the_ingest_endpoint_is_a_400_with_a_code(settings) -> None:
    settings.COMPARISON_INGEST_KEY = "an-ingest-key-for-this-test"
    answers = {
        name: Client().post(
            "/comparison/ingest/",
            body,
            content_type="application/json",
            HTTP_X_COMPARISON_INGEST_KEY=settings.COMPARISON_INGEST_KEY,
        )
        for name, body in DEEP_BODIES.items()
        if name != "one_level_too_deep"
    }

    assert {
        name: (r.status_code, r.json()["code"]) for name, r in answers.items()
    } == dict.fromkeys(answers, (HTTPStatus.BAD_REQUEST, "bad_batch"))
