"""
Persistent database connections, served the way a WSGI server serves them
(Django's request signals close or keep the connection between requests),
and the auth steps that still had to open one, flagged and timed apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from wsgiref.util import setup_testing_defaults

import pytest
from django.db import connection
from django.db.backends.signals import connection_created
from django.urls import reverse

from accounts.serializers import TokenObtainPairSerializer
from comparison import selectors
from comparison.models import AuthSample
from config.wsgi import application

# Real commits: the requests below run outside any test transaction, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def serve(path: str, *, access: str) -> int:
    """One GET through the WSGI application, request_started to request_finished."""
    environ: dict = {"PATH_INFO": path, "HTTP_AUTHORIZATION": f"Bearer {access}"}
    setup_testing_defaults(environ)
    statuses = []
    response = application(environ, lambda status, headers: statuses.append(status))
    try:
        b"".join(response)
    finally:
        response.close()
    return int(statuses[0].split()[0])


@contextmanager
def counting_connects() -> Iterator[list[str]]:
    """The database connections opened inside the block, by alias."""
    opened: list[str] = []

    def count(sender, connection, **kwargs) -> None:
        opened.append(connection.alias)

    connection_created.connect(count)
    try:
        yield opened
    finally:
        connection_created.disconnect(count)


@pytest.fixture
def access(user) -> str:
    return str(TokenObtainPairSerializer.get_token(user).access_token)


def test_the_second_request_on_a_warm_connection_does_not_reconnect(access, flush_samples) -> None:
    connection.close()

    with counting_connects() as connects:
        first = serve(reverse("api:lookup-me"), access=access)
        second = serve(reverse("api:lookup-me"), access=access)
    flush_samples()

    assert (first, second) == (HTTPStatus.OK, HTTPStatus.OK)
    assert connects == ["default"]
    flags = list(AuthSample.objects.order_by("pk").values_list("db_connected", flat=True))
    assert flags == [True, False]


def test_a_step_that_opened_the_connection_is_timed_apart(access, flush_samples) -> None:
    max_age = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 0
    try:
        connection.close()
        with counting_connects() as connects:
            for _ in range(3):
                assert serve(reverse("api:lookup-me"), access=access) == HTTPStatus.OK
        # Without persistent connections every request reconnects inside its auth step.
        assert connects == ["default"] * 3
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = max_age
    flush_samples()

    lookup = {lane.lane: lane for lane in selectors.lane_figures()}["lookup"]
    assert (lookup.accepted, lookup.connecting.requests, lookup.timing.requests) == (3, 3, 0)
    assert lookup.p50 is None
    assert lookup.connecting.p50 is not None
