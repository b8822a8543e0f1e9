"""
The JSON API against its own OpenAPI schema, with schemathesis generating the
requests: no 5xx, no undocumented status code, no body that breaks the schema.

Hypothesis drives each operation directly: schemathesis' own pytest plugin
does not yet run under pytest 9.
"""

from collections.abc import Iterator
from http import HTTPStatus

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.strategies import booleans
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from accounts.serializers import TokenObtainPairSerializer
from config.wsgi import application
from tests.helpers import bearer_header

SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", application)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture(autouse=True)
def _keep_the_test_database_open() -> Iterator[None]:
    """
    Django closes database connections when a request finishes; the test
    client switches that off so a test's transaction survives its requests.
    Schemathesis calls the WSGI application itself, so do the same here.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_the_schema_describes_every_api_endpoint() -> None:
    paths = {operation.path for operation in OPERATIONS}

    assert paths == {
        "/api/ping/",
        "/api/session/me/",
        "/api/session/staff/",
        "/api/session/snapshot/me/",
        "/api/session/snapshot/staff/",
        "/api/jwt/token/",
        "/api/jwt/token/refresh/",
        "/api/jwt/token/verify/",
        "/api/jwt/token/blacklist/",
        "/api/jwt/stateless/me/",
        "/api/jwt/stateless/staff/",
        "/api/jwt/lookup/me/",
        "/api/jwt/lookup/staff/",
        "/api/jwt/denylist/me/",
        "/api/jwt/denylist/staff/",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_api_answers_within_its_schema(operation, user) -> None:
    # Half the generated requests to a lane carry a genuine token, so the
    # accepted answers are checked against the schema too, not only the 401s.
    genuine = bearer_header(str(TokenObtainPairSerializer.get_token(user).access_token))

    @given(case=operation.as_strategy(), authenticated=booleans())
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def call(case, authenticated: bool) -> None:
        headers = genuine if authenticated and operation.path.startswith("/api/jwt/") else None
        response = case.call(headers=headers)
        statuses.add(response.status_code)
        case.validate_response(response, checks=CHECKS)

    statuses: set[int] = set()
    call()
    if operation.path.startswith("/api/jwt/") and operation.path.endswith("/me/"):
        assert {HTTPStatus.OK, HTTPStatus.UNAUTHORIZED} <= statuses
