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
from django.conf import settings as django_settings
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis.strategies import booleans
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from accounts.serializers import TokenObtainPairSerializer
from accounts.services import user_revoke_access
from comparison.models import BenchmarkRun, DrillRun, RoleDrillRun
from config.wsgi import application
from tests.helpers import PASSWORD, bearer, bearer_header

SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", application)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def _leave_connections_open() -> None:
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)


@pytest.fixture(autouse=True)
def _keep_the_test_database_open() -> Iterator[None]:
    """
    Django closes database connections when a request finishes; the test
    client switches that off so a test's transaction survives its requests.
    Schemathesis calls the WSGI application itself, so do the same here.
    """
    _leave_connections_open()
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
        "/comparison/figures.json",
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


@pytest.mark.django_db
def test_figures_json_with_every_part_filled_answers_within_its_schema(
    admin_client, user, flush_samples
) -> None:
    browser = Client()
    browser.post(reverse("accounts:session-login"), {"username": "alice", "password": PASSWORD})
    browser.get(reverse("api:session-me"))
    access = TokenObtainPairSerializer.get_token(user).access_token
    APIClient().get(reverse("api:stateless-me"), **bearer(str(access)))
    user_revoke_access(user=user, actor=None)
    browser.get(reverse("api:session-me"))
    APIClient().get(reverse("api:stateless-me"), **bearer(str(access)))
    flush_samples()
    now = timezone.now()
    result = {"bound_seconds": 0.0, "accepted_after": 0, "first_rejection_seconds": 0.1}
    DrillRun.objects.create(
        started_at=now,
        revoked_at=now,
        access_lifetime_seconds=20,
        access_expires_at=now,
        cadence_seconds=0.5,
        results={"session": {**result, "reason": "No such session"}},
    )
    RoleDrillRun.objects.create(
        started_at=now,
        demoted_at=now,
        access_lifetime_seconds=20,
        access_expires_at=now,
        cadence_seconds=0.5,
        results={
            "stateless": {
                "role_from": "token_claim",
                "bound_seconds": 25.0,
                "honoured_after": 3,
                "first_refusal_seconds": None,
                "refusal": "",
                "why": "the token carries the role",
            }
        },
    )
    BenchmarkRun.objects.create(report={"lanes": [], "floors": {"redis_get_us": 100.0}})
    operation = next(op for op in OPERATIONS if op.path == "/comparison/figures.json")
    case = operation.Case(query={"source": "live"})
    staff_session = admin_client.cookies[django_settings.SESSION_COOKIE_NAME].value
    # Django's test client connected them back after each of its requests.
    _leave_connections_open()

    response = case.call(cookies={django_settings.SESSION_COOKIE_NAME: staff_session})

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["revocations"][0]["lanes"]["stateless"]["accepted_after"] == 1
    assert data["drill"]["access_lifetime_seconds"] == 20
    assert data["role_drill"]["lanes"]["stateless"]["honoured_after"] == 3
    assert data["benchmark"]["floors"] == {"redis_get_us": 100.0}
    case.validate_response(response, checks=CHECKS)
