"""
Recording off the request path: a request only queues its sample; a writer
thread stores and trims; the queue is bounded, drops are counted, and what is
queued is stored when the process ends. One bad sample never stops recording.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from comparison.models import AuthRollup, AuthSample, RecorderDrop
from comparison.probe import AuthCost
from comparison.recorder import (
    QUEUE_FULL,
    REFUSED,
    UNMEASURABLE,
    clean_expiry,
    recorder,
    store_batch,
)
from config.gunicorn import worker_exit
from tests.helpers import bearer

pytestmark = pytest.mark.django_db

WAIT_SECONDS = 10


@pytest.fixture
def writer_thread(settings):
    """The writer thread of production, switched on for one test and stopped after it."""
    settings.COMPARISON_BACKGROUND_WRITER = True
    settings.COMPARISON_FLUSH_SIZE = 1
    yield
    recorder.shutdown()


@pytest.mark.parametrize("stuck", ["store_batch", "trim_old_rows"])
def test_a_request_never_waits_for_the_writer(
    writer_thread, settings, monkeypatch, api_client: APIClient, token_pair, stuck: str
) -> None:
    settings.COMPARISON_TRIM_SECONDS = 0
    entered, release = threading.Event(), threading.Event()

    def stuck_in_the_database(*args, **kwargs) -> None:
        entered.set()
        release.wait(WAIT_SECONDS)

    monkeypatch.setattr("comparison.recorder.store_batch", lambda *args, **kwargs: None)
    monkeypatch.setattr(f"comparison.recorder.{stuck}", stuck_in_the_database)
    try:
        api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))
        assert entered.wait(WAIT_SECONDS)

        response = api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))

        assert response.status_code == HTTPStatus.OK
        assert not release.is_set()
        assert recorder.pending() == 1
    finally:
        release.set()


@pytest.mark.django_db(transaction=True)
def test_the_writer_thread_stores_queued_samples_on_its_own(
    writer_thread, monkeypatch, api_client: APIClient, token_pair
) -> None:
    stored = threading.Event()

    def store_and_tell(batch, *, using):
        store_batch(batch, using=using)
        stored.set()

    monkeypatch.setattr("comparison.recorder.store_batch", store_and_tell)

    api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))

    assert stored.wait(WAIT_SECONDS)
    assert AuthSample.objects.get().lane == "stateless"
    assert recorder.pending() == 0


def test_the_queue_is_bounded_and_what_overflows_is_counted(
    settings, api_client: APIClient, token_pair, flush_samples
) -> None:
    settings.COMPARISON_BUFFER_LIMIT = 3

    for _ in range(5):
        response = api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))
        assert response.status_code == HTTPStatus.OK

    assert recorder.pending() == 3
    assert flush_samples() == 3
    assert RecorderDrop.objects.get().samples == 2
    assert RecorderDrop.objects.get().reason == QUEUE_FULL


def test_old_rows_are_trimmed_by_the_writer_not_by_a_flush(
    settings, api_client: APIClient, token_pair, flush_samples
) -> None:
    settings.COMPARISON_RAW_SAMPLES_KEPT = 2
    for _ in range(3):
        for _ in range(2):
            api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))
        flush_samples()
    assert AuthSample.objects.count() == 6

    recorder.trim()

    assert AuthSample.objects.count() == 2
    assert AuthRollup.objects.get().requests == 6


def test_a_worker_that_gunicorn_stops_stores_what_it_holds(
    api_client: APIClient, token_pair
) -> None:
    api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))
    assert recorder.pending() == 1

    worker_exit(server=None, worker=None)

    assert recorder.pending() == 0
    assert AuthSample.objects.get().lane == "stateless"


def test_a_process_that_exits_stores_what_it_holds(redis_server, tmp_path) -> None:
    database = tmp_path / "exit.sqlite3"
    script = (
        "import django; django.setup(); "
        "from django.core.management import call_command; call_command('migrate', verbosity=0); "
        "from django.test import Client; Client().get('/api/session/me/')"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": redis_server.url,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        # The writer would not have stored anything yet: only the exit does.
        "COMPARISON_FLUSH_SECONDS": "3600",
    }

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    # closing(): the connection as a context manager only ends the transaction.
    with closing(sqlite3.connect(database)) as stored:
        rows = stored.execute("SELECT lane, outcome FROM comparison_authsample").fetchall()
    assert rows == [("session", "missing")]


# ------------------------------------------------------------------ poisoned samples
def _huge_user_sample() -> None:
    """
    A stateless sample naming a user id no column can hold. The lanes now refuse
    such a token (accounts.tokens' claims check), so it comes in the way the
    second service's samples do, which the site did not measure itself.
    """
    cost = AuthCost(lane="stateless", credential_bytes=300, credential_id="", user_id=2**70)
    recorder.record_measured(
        at=timezone.now(), path="/api/jwt/stateless/me/", status=200, cost=cost
    )


def test_poisoned_sample_is_cleaned_before_it_is_stored(client: Client, flush_samples) -> None:
    client.get("/admin/%00")
    client.get("/admin/%01tab%09del%7Fnext-line%C2%85" + "x" * 400)
    _huge_user_sample()
    flush_samples()

    paths = list(AuthSample.objects.filter(lane="session").values_list("path", flat=True))
    assert paths[0] == "/admin/"
    assert paths[1].startswith("/admin/tabdelnext-linexxx")
    assert len(paths[1]) == AuthSample._meta.get_field("path").max_length
    assert AuthSample.objects.get(lane="stateless").user_id == 2**63 - 1
    assert not RecorderDrop.objects.exists()
    assert client.get("/admin/login/").status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("claim", "stored"),
    [
        (1_700_000_000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        ("1700000000", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        (10**20, datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
        (-(10**20), datetime(1970, 1, 1, tzinfo=UTC)),
        (10**400, None),
        (float("nan"), None),
        ("soon", None),
        (None, None),
    ],
)
def test_poisoned_token_expiry_is_kept_within_what_a_database_stores(claim, stored) -> None:
    # Through a request only what SimpleJWT accepts arrives here; the column takes any of these.
    assert clean_expiry(claim) == stored


def test_poisoned_row_that_still_fails_is_dropped_alone_and_counted(
    monkeypatch, api_client: APIClient, token_pair, flush_samples
) -> None:
    # A sanitiser that misses a case: the row still reaches the database unfit.
    monkeypatch.setattr("comparison.recorder.clamp_integer", lambda name, value: value)
    good = bearer(token_pair["access"])

    api_client.get(reverse("api:stateless-me"), **good)
    _huge_user_sample()
    api_client.get(reverse("api:stateless-me"), **good)
    stored = flush_samples()

    assert stored == 2
    assert AuthSample.objects.count() == 2
    drop = RecorderDrop.objects.get()
    assert (drop.samples, drop.reason) == (1, REFUSED)
    api_client.get(reverse("api:stateless-me"), **good)
    assert flush_samples() == 1
    assert AuthRollup.objects.get().requests == 3


def test_poisoned_sample_never_reaches_the_request(
    monkeypatch, api_client: APIClient, token_pair, flush_samples
) -> None:
    def unmeasurable(*args, **kwargs):
        raise ValueError("a value no column can hold")

    monkeypatch.setattr("comparison.recorder.measure", unmeasurable)

    response = api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))
    flush_samples()

    assert response.status_code == HTTPStatus.OK
    assert (RecorderDrop.objects.get().samples, RecorderDrop.objects.get().reason) == (
        1,
        UNMEASURABLE,
    )


def test_poisoned_sample_the_writer_cannot_clean_is_dropped_alone_and_counted(
    api_client: APIClient, token_pair, flush_samples
) -> None:
    # The request queues what it measured; cleaning it is the writer's work.
    good = bearer(token_pair["access"])
    api_client.get(reverse("api:stateless-me"), **good)
    recorder.record_measured(
        at=timezone.now(),
        path="/api/jwt/stateless/me/",
        status="no status",  # type: ignore[arg-type]
        cost=AuthCost(lane="stateless", credential_bytes=0, credential_id=""),
    )
    api_client.get(reverse("api:stateless-me"), **good)

    assert flush_samples() == 2
    assert AuthSample.objects.count() == 2
    assert AuthRollup.objects.get().requests == 2
    drop = RecorderDrop.objects.get()
    assert (drop.samples, drop.reason) == (1, UNMEASURABLE)


def test_samples_wait_for_a_database_that_cannot_be_reached(
    monkeypatch, api_client: APIClient, token_pair, flush_samples
) -> None:
    good = bearer(token_pair["access"])
    for _ in range(3):
        api_client.get(reverse("api:stateless-me"), **good)

    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    with monkeypatch.context() as patched:
        patched.setattr("comparison.recorder.store_batch", unreachable)
        assert recorder.flush() == 0
    assert recorder.pending() == 3
    api_client.get(reverse("api:stateless-me"), **good)

    # The batch kept (cleaned already) and the new sample (as measured) are stored together.
    assert flush_samples() == 4
    assert AuthSample.objects.count() == 4
    assert AuthRollup.objects.get().requests == 4
    # Cleaned twice, the kept samples still carry their token's expiry.
    assert not AuthSample.objects.filter(credential_expires_at__isnull=True).exists()
    assert not RecorderDrop.objects.exists()
