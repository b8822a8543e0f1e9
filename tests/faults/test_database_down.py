"""The database refusing every query, from inside the request: 503s, no tokens issued."""

from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus

import pytest
from django.db import OperationalError, connection
from django.urls import reverse
from rest_framework.test import APIClient

from tests.helpers import PASSWORD, bearer

pytestmark = pytest.mark.django_db


@contextmanager
def database_down() -> Iterator[None]:
    def refuse(execute, sql, params, many, context):
        raise OperationalError("could not connect to server: Connection refused")

    with connection.execute_wrapper(refuse):
        yield


def test_token_endpoint_answers_503_and_issues_nothing(api_client: APIClient, user) -> None:
    with database_down():
        response = api_client.post(
            reverse("api:token-obtain"), {"username": "alice", "password": PASSWORD}
        )

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["code"] == "database_unavailable"
    assert "access" not in response.json()


def test_refresh_answers_503(api_client: APIClient, token_pair) -> None:
    with database_down():
        response = api_client.post(reverse("api:token-refresh"), {"refresh": token_pair["refresh"]})

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["code"] == "database_unavailable"


def test_lookup_lane_answers_503_while_stateless_and_denylist_serve(api_client, token_pair):
    with database_down():
        statuses = {
            lane: api_client.get(
                reverse(f"api:{lane}-me"), **bearer(token_pair["access"])
            ).status_code
            for lane in ("lookup", "stateless", "denylist")
        }

    assert statuses == {
        "lookup": HTTPStatus.SERVICE_UNAVAILABLE,
        "stateless": HTTPStatus.OK,
        "denylist": HTTPStatus.OK,
    }


def test_session_pages_answer_503_with_a_page(session_client) -> None:
    with database_down():
        response = session_client.get(reverse("accounts:session-profile"))

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"] == "5"
    assert b"A data store is not answering" in response.content
