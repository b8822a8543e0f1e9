"""
One bad sample never stops recording, on PostgreSQL too: it refuses a NUL in
text and an integer beyond its column where SQLite would not, in one failing
transaction that takes its batch with it.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction
from django.test import RequestFactory
from django.utils import timezone

from comparison.models import AuthDayRollup, AuthRollup, AuthSample, LatencyBucket, RecorderDrop
from comparison.probe import AuthCost
from comparison.recorder import REFUSED, SampleRecorder, add_counts


def _cost(*, user_id: int | None = 7) -> AuthCost:
    return AuthCost(lane="session", credential_bytes=42, credential_id="ab" * 8, user_id=user_id)


@pytest.fixture
def recorder(postgresql, django_db_blocker):
    recorder = SampleRecorder(using=postgresql)
    with django_db_blocker.unblock():
        yield recorder
        for model in (AuthSample, AuthRollup, AuthDayRollup, LatencyBucket, RecorderDrop):
            model.objects.using(postgresql).all().delete()


def test_poisoned_sample_is_sanitised_and_stored_on_postgresql(recorder, postgresql) -> None:
    requests = RequestFactory()

    recorder.record(requests.get("/admin/%00%01"), status=302, cost=_cost())
    recorder.record(requests.get("/session/"), status=200, cost=_cost(user_id=2**70))

    assert recorder.flush() == 2
    stored = AuthSample.objects.using(postgresql).order_by("pk")
    assert list(stored.values_list("path", "user_id")) == [
        ("/admin/", 7),
        ("/session/", 2**63 - 1),
    ]
    assert not RecorderDrop.objects.using(postgresql).exists()


@pytest.mark.parametrize(
    ("sanitiser", "path", "user_id"),
    [("clean_text", "/admin/%00", 7), ("clamp_integer", "/session/", 2**70)],
    ids=["nul-in-text", "integer-beyond-bigint"],
)
def test_poisoned_row_that_still_fails_on_postgresql_is_dropped_alone_and_counted(
    recorder, postgresql, monkeypatch, sanitiser: str, path: str, user_id: int
) -> None:
    requests = RequestFactory()
    recorder.record(requests.get("/session/"), status=200, cost=_cost())
    recorder.record(requests.get(path), status=200, cost=_cost(user_id=user_id))
    recorder.record(requests.get("/session/"), status=200, cost=_cost())
    # A sanitiser that misses a case: one row of the batch reaches PostgreSQL unfit.
    monkeypatch.setattr(f"comparison.recorder.{sanitiser}", lambda name, value: value)

    assert recorder.flush() == 2
    monkeypatch.undo()

    assert AuthSample.objects.using(postgresql).count() == 2
    drop = RecorderDrop.objects.using(postgresql).get()
    assert (drop.samples, drop.reason) == (1, REFUSED)
    recorder.record(requests.get("/session/"), status=200, cost=_cost())
    assert recorder.flush() == 1
    assert AuthRollup.objects.using(postgresql).get().requests == 3
    assert AuthDayRollup.objects.using(postgresql).get().requests == 3


def test_two_writers_adding_to_one_new_counter_row_lose_no_count(recorder, postgresql) -> None:
    # Two processes' writers (gunicorn workers) add to the same minute's row, which
    # neither has created yet: one inserts it, the other waits and adds to it.
    key = {
        "source": "live",
        "minute": timezone.now().replace(second=0, microsecond=0),
        "instance": "web-1",
        "lane": "session",
        "outcome": "accepted",
        "db_connected": False,
    }
    counts = {
        "requests": 1,
        "auth_us_sum": 2.5,
        "redis_round_trips_sum": 1,
        "db_queries_sum": 1,
        "credential_bytes_sum": 42,
    }
    together = threading.Barrier(2)
    failures: list[BaseException] = []

    def write() -> None:
        try:
            together.wait()
            for _ in range(25):
                with transaction.atomic(using=postgresql):
                    add_counts(AuthRollup, [(key, counts)], using=postgresql)
        except BaseException as e:  # reported by the test's thread
            failures.append(e)
        finally:
            connections[postgresql].close()

    writers = [threading.Thread(target=write) for _ in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()

    assert failures == []
    row = AuthRollup.objects.using(postgresql).get()
    assert (row.requests, row.auth_us_sum, row.credential_bytes_sum) == (50, 125.0, 2100)
