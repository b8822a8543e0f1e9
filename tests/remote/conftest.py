"""
The second service as it runs for real: a process of its own under gunicorn,
beside a real site process (gunicorn, a scratch SQLite database, the suite's
Redis and signing keys), or beside a tiny JWKS server of the test's own that
counts every fetch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from redis import Redis

from accounts.keys import public_jwks
from tests.helpers import INGEST_KEY, PASSWORD
from tools.processes import REPO_ROOT
from tools.remote_service import remote_env, remote_service, site_service


@dataclass
class SiteProcess:
    url: str
    database: Path
    env: dict[str, str]

    def manage(self, *args: str) -> str:
        return subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=REPO_ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout


@pytest.fixture(scope="module")
def site_process(redis_server, tmp_path_factory) -> Iterator[SiteProcess]:
    """The site under gunicorn; its users are alice, and stella who is staff."""
    folder = tmp_path_factory.mktemp("site")
    database = folder / "site.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": redis_server.url,
        # The suite's keys: tokens the tests sign are the site's own.
        "JWT_KEYS_DIR": str(settings.ACCOUNTS_JWT_KEYS_DIR),
        "COMPARISON_INGEST_KEY": INGEST_KEY,
        "COMPARISON_FLUSH_SIZE": "1",
        "DJANGO_LOG_LEVEL": "ERROR",
    }
    site = SiteProcess(url="", database=database, env=env)
    site.manage("migrate", "--no-input", "-v0")
    site.manage(
        "shell",
        "-v0",
        "-c",
        "from accounts.models import User; "
        f"User.objects.create_user('alice', password={PASSWORD!r}); "
        f"User.objects.create_user('stella', password={PASSWORD!r}, is_staff=True)",
    )
    with site_service(env=env, log=folder / "site.log") as url:
        site.url = url
        yield site


@pytest.fixture(scope="module")
def revocation_reader(redis_server) -> str:
    """
    A Redis URL whose user may GET the site's revocation markers and do
    nothing else: what SECURITY.md tells a deployment to give the service.
    """
    Redis.from_url(redis_server.url).execute_command(
        "ACL", "SETUSER", "revocation-reader", "on", ">reader-password-0123456789",
        "resetkeys", "~svj:revocation:*", "resetchannels", "-@all", "+get",
    )  # fmt: skip
    return redis_server.url.replace(
        "redis://", "redis://revocation-reader:reader-password-0123456789@"
    )


@pytest.fixture(scope="module")
def remote(site_process: SiteProcess, revocation_reader: str, tmp_path_factory) -> Iterator[str]:
    """The second service beside the site, allowed to read its revocation markers and no more."""
    env = remote_env(
        site_url=site_process.url,
        ingest_key=INGEST_KEY,
        redis_url=revocation_reader,
        extra={"REMOTE_SHIP_SECONDS": "0.2"},
    )
    log = tmp_path_factory.mktemp("remote") / "remote.log"
    with remote_service(env=env, log=log) as url:
        yield url


class CountingJWKS(ThreadingHTTPServer):
    """Serves the suite's public keys at /jwks.json, and counts every request by path."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), JWKSHandler)
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/jwks.json"

    def fetches(self) -> int:
        with self.lock:
            return self.requests["/jwks.json"]


class JWKSHandler(BaseHTTPRequestHandler):
    server: CountingJWKS

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests[self.path] += 1
        if self.path != "/jwks.json":
            self.send_error(404)
            return
        body = json.dumps(public_jwks()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        """Quiet: the counts are what the tests read."""


@pytest.fixture
def jwks_server() -> Iterator[CountingJWKS]:
    server = CountingJWKS()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def remote_on_jwks(
    jwks_server: CountingJWKS, tmp_path: Path
) -> Callable[..., AbstractContextManager[str]]:
    """Start the second service on the counting JWKS server, with the settings a test gives."""

    def start(**extra: str) -> AbstractContextManager[str]:
        env = remote_env(
            site_url="http://127.0.0.1:9",
            ingest_key="",
            extra={"REMOTE_JWKS_URL": jwks_server.url, **extra},
        )
        return remote_service(env=env, log=tmp_path / "remote.log")

    return start
