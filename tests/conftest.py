"""
Test-wide fixtures: a real Redis-protocol server and logged-in users.

Sessions, the session index and the revocation markers live in Redis in the
app, so they do in the tests too: a private server is started for the whole
run (or REDIS_URL is used when set). Each test's keys carry a test-only
prefix and are deleted afterwards, so a shared REDIS_URL is left as it was.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.core.signals import got_request_exception
from django.http import HttpRequest
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts.models import User
from comparison.recorder import recorder
from tests.helpers import PASSWORD, make_user
from tools.redis_server import EmbeddedRedis

TEST_KEY_PREFIX = "svj-test"
MARKED_FOLDERS = ("browser", "cluster")


# tryfirst: the markers must be on before `-m` deselects by them.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark by folder: a test added to tests/browser/ or tests/cluster/ cannot miss its marker."""
    tests = Path(__file__).parent
    for item in items:
        folder = item.path.relative_to(tests).parts[0]
        if folder in MARKED_FOLDERS:
            item.add_marker(folder)


def pytest_sessionstart(session: pytest.Session) -> None:
    """
    SQLite runs in WAL mode. Django deletes an old test database file before
    it makes a new one, but not the log beside it: a run that was killed
    leaves one, and SQLite would replay it into the fresh database.
    """
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        for suffix in ("-wal", "-shm"):
            Path(database["TEST"]["NAME"] + suffix).unlink(missing_ok=True)


@dataclass
class RedisUnderTest:
    url: str
    server: EmbeddedRedis | None


@pytest.fixture(scope="session", autouse=True)
def redis_server() -> Iterator[RedisUnderTest]:
    server = None
    url = os.environ.get("REDIS_URL")
    if not url:
        server = EmbeddedRedis()
        server.start()
        url = server.url
    caches = copy.deepcopy(settings.CACHES)
    for alias in caches:
        caches[alias]["LOCATION"] = url
        # Every alias keeps its own prefix, all under the test-only one.
        caches[alias]["KEY_PREFIX"] = caches[alias]["KEY_PREFIX"].replace("svj", TEST_KEY_PREFIX, 1)
    try:
        # A fast hasher: the suite logs in hundreds of times; hashing cost is not under test.
        fast_hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        with override_settings(
            CACHES=caches,
            REDIS_URL=url,
            PASSWORD_HASHERS=fast_hashers,
            # No writer thread: a test stores the queued samples itself (flush_samples).
            COMPARISON_BACKGROUND_WRITER=False,
        ):
            yield RedisUnderTest(url=url, server=server)
    finally:
        if server is not None:
            server.stop()


@pytest.fixture(scope="session", autouse=True)
def _jwt_keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The suite's signing keys: made on first use as in a fresh checkout, never the checkout's."""
    with override_settings(ACCOUNTS_JWT_KEYS_DIR=tmp_path_factory.mktemp("jwt-keys")):
        yield


@pytest.fixture(params=["EdDSA", "HS256"])
def jwt_algorithm(request: pytest.FixtureRequest, settings) -> str:
    """The test runs twice: with the default key pair, and with JWT_ALGORITHM=HS256."""
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ALGORITHM": request.param}
    return request.param


@pytest.fixture
def keys_dir(tmp_path: Path, settings) -> Path:
    """A signing-key directory of the test's own, for tests that rotate or retire keys."""
    settings.ACCOUNTS_JWT_KEYS_DIR = tmp_path / "jwt-keys"
    return settings.ACCOUNTS_JWT_KEYS_DIR


@pytest.fixture(autouse=True)
def _clean_redis(redis_server: RedisUnderTest) -> Iterator[None]:
    yield
    redis = get_redis_connection("default")
    keys = list(redis.scan_iter(match=f"{TEST_KEY_PREFIX}:*", count=1000))
    if keys:
        redis.delete(*keys)


# Folders whose every request must end in an answer, never an unhandled error (a 500).
NO_SERVER_ERROR_FOLDERS = ("attacks", "faults")


@pytest.fixture(autouse=True)
def _no_server_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail an attack or fault test in which any request raised, whatever the test asserts."""
    folder = request.path.relative_to(Path(__file__).parent).parts[0]
    if folder not in NO_SERVER_ERROR_FOLDERS:
        yield
        return
    failed: set[str] = set()

    def record(sender: object, request: HttpRequest | None = None, **kwargs: object) -> None:
        failed.add(request.path if request is not None else "(no request)")

    got_request_exception.connect(record, dispatch_uid="tests.no_server_errors")
    try:
        yield
    finally:
        got_request_exception.disconnect(dispatch_uid="tests.no_server_errors")
    assert not failed, f"requests that answered 500: {sorted(failed)}"


@pytest.fixture(autouse=True)
def _fresh_recorder() -> Iterator[None]:
    recorder.discard()
    yield
    recorder.discard()


@pytest.fixture
def flush_samples() -> Callable[[], int]:
    """
    Store the samples requests have queued, now, on the test's thread: what the
    writer thread does on its own schedule. Returns how many were stored.
    """
    return recorder.flush


@pytest.fixture
def session_redis():
    """The Redis connection behind the session engine, to look at session keys directly."""
    return get_redis_connection(settings.SESSION_CACHE_ALIAS)


@pytest.fixture
def user(db) -> User:
    return make_user("alice")


@pytest.fixture
def admin_user(db) -> User:
    """Replaces pytest-django's own, so ``admin_client`` logs in as a user made like any other."""
    return make_user("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def session_client(user: User) -> Client:
    """A browser logged in to the session area through the real login form."""
    client = Client()
    response = client.post(
        reverse("accounts:session-login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    return client


@pytest.fixture
def api_client() -> APIClient:
    """DRF's test client: JSON bodies, like the API's real clients."""
    return APIClient()


@pytest.fixture
def token_pair(api_client: APIClient, user: User) -> dict[str, str]:
    """An access/refresh pair for ``user`` from the real token endpoint."""
    response = api_client.post(
        reverse("api:token-obtain"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.OK
    return response.json()
