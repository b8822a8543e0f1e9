"""
A real Redis-protocol server of the test's own, stopped, paused (SIGSTOP) and
restarted while the site is using it.
"""

import copy
import os
import signal
import time
from collections.abc import Iterator
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from comparison.models import AuthSample
from tests.helpers import PASSWORD, bearer
from tools.redis_server import EmbeddedRedis

pytestmark = pytest.mark.django_db

# A hung Redis may cost a request its connect/read timeout (0.5 s) a few times
# over; "about a second" with generous room for a slow CI machine.
HUNG_REQUEST_LIMIT_SECONDS = 3.0


@pytest.fixture
def own_redis(settings) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis()
    server.start()
    caches = copy.deepcopy(settings.CACHES)
    for alias in caches:
        caches[alias]["LOCATION"] = server.url
    settings.CACHES = caches
    yield server
    if server.process is not None:
        os.kill(server.process.pid, signal.SIGCONT)
    server.stop()


@pytest.fixture
def signed_in(own_redis, user) -> tuple[Client, APIClient, str]:
    browser = Client()
    browser.post(reverse("accounts:session-login"), {"username": "alice", "password": PASSWORD})
    api = APIClient()
    access = api.post(
        reverse("api:token-obtain"), {"username": "alice", "password": PASSWORD}
    ).json()["access"]
    return browser, api, access


def lanes(browser: Client, api: APIClient, access: str) -> dict[str, int]:
    return {
        "session": browser.get(reverse("accounts:session-home")).status_code,
        "stateless": api.get(reverse("api:stateless-me"), **bearer(access)).status_code,
        "denylist": api.get(reverse("api:denylist-me"), **bearer(access)).status_code,
    }


def test_stopped_redis_gives_503s_where_redis_is_needed_and_service_resumes(
    own_redis: EmbeddedRedis, signed_in, flush_samples
) -> None:
    browser, api, access = signed_in
    port = own_redis.port

    own_redis.stop()
    down = lanes(browser, api, access)
    login_page = browser.get(reverse("accounts:session-login"))
    restarted = EmbeddedRedis(port=port)
    restarted.start()
    try:
        # The restarted server is empty (no persistence here): the old session is gone.
        again = lanes(browser, api, access)
        relogin = browser.post(
            reverse("accounts:session-login"), {"username": "alice", "password": PASSWORD}
        )
        home = browser.get(reverse("accounts:session-home"))
    finally:
        restarted.stop()

    assert down == {
        "session": HTTPStatus.SERVICE_UNAVAILABLE,
        "stateless": HTTPStatus.OK,
        "denylist": HTTPStatus.SERVICE_UNAVAILABLE,
    }
    assert login_page.status_code in {HTTPStatus.OK, HTTPStatus.SERVICE_UNAVAILABLE}
    assert again == {
        "session": HTTPStatus.FOUND,
        "stateless": HTTPStatus.OK,
        "denylist": HTTPStatus.OK,
    }
    assert relogin.status_code == HTTPStatus.FOUND
    assert home.status_code == HTTPStatus.OK
    flush_samples()
    outcomes = list(
        AuthSample.objects.filter(status=HTTPStatus.SERVICE_UNAVAILABLE).values_list(
            "lane", "outcome"
        )
    )
    assert ("session", "store_unavailable") in outcomes
    assert ("denylist", "store_unavailable") in outcomes


def test_hung_redis_cannot_hold_a_request_for_long(own_redis: EmbeddedRedis, signed_in) -> None:
    browser, api, access = signed_in
    os.kill(own_redis.process.pid, signal.SIGSTOP)

    timings, statuses = {}, {}
    for lane, request in {
        "session": lambda: browser.get(reverse("accounts:session-home")),
        "denylist": lambda: api.get(reverse("api:denylist-me"), **bearer(access)),
        "stateless": lambda: api.get(reverse("api:stateless-me"), **bearer(access)),
    }.items():
        started = time.monotonic()
        statuses[lane] = request().status_code
        timings[lane] = time.monotonic() - started
    os.kill(own_redis.process.pid, signal.SIGCONT)
    after = lanes(browser, api, access)

    assert statuses == {
        "session": HTTPStatus.SERVICE_UNAVAILABLE,
        "denylist": HTTPStatus.SERVICE_UNAVAILABLE,
        "stateless": HTTPStatus.OK,
    }
    assert max(timings.values()) < HUNG_REQUEST_LIMIT_SECONDS, timings
    assert after == {
        "session": HTTPStatus.OK,
        "stateless": HTTPStatus.OK,
        "denylist": HTTPStatus.OK,
    }
