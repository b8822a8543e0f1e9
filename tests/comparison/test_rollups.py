"""
The day rollups the dashboard's totals read: written with the minute rollups,
in the same batches, they hold exactly the sums of their minutes; the
migration that adds them fills them from the minute rollups with the same
sums the recorder writes; the trim keeps them as long as the latency buckets.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from itertools import cycle
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from comparison.models import (
    ROLLUP_KEY,
    ROLLUP_SUMS,
    AuthDayRollup,
    AuthRollup,
    LatencyBucket,
    Rollup,
)
from comparison.recorder import Sample, store_batch, trim_old_rows

pytestmark = pytest.mark.django_db

MIDNIGHT = datetime(2026, 11, 29, tzinfo=UTC)
BEFORE_DAY_ROLLUPS = ("comparison", "0005_figures_source_outcome_and_connection")
WITH_DAY_ROLLUPS = ("comparison", "0006_auth_day_rollup")
KINDS = [
    # instance, source, lane, outcome, db_connected
    ("web-1", "live", "session", "accepted", False),
    ("web-2", "live", "session", "accepted", False),
    ("web-1", "live", "session", "not_found", False),
    ("web-1", "live", "stateless", "accepted", True),
    ("web-2", "soak", "lookup", "expired", False),
]

Sums = dict[tuple[Any, ...], dict[str, float]]


def _sample(at: datetime, kind: tuple[str, str, str, str, bool], n: int) -> Sample:
    instance, source, lane, outcome, db_connected = kind
    return Sample(
        at=at,
        instance=instance,
        source=source,
        lane=lane,
        path="/api/me/",
        status=200 if outcome == "accepted" else 401,
        outcome=outcome,
        # Quarters add up exactly in binary floating point, so the sums compare exactly.
        auth_us=100 + n % 7 * 0.25,
        redis_round_trips=n % 2,
        db_queries=n % 3,
        credential_bytes=40 + n % 5,
        user_id=None,
        credential_id="",
        credential_expires_at=None,
        db_connected=db_connected,
    )


@pytest.fixture
def recorded_across_midnight() -> None:
    """Three hours of requests of every kind either side of a UTC midnight, in three batches."""
    kinds = cycle(KINDS)
    samples = [
        _sample(MIDNIGHT + timedelta(seconds=37 * n), next(kinds), n) for n in range(-150, 150)
    ]
    for batch in (samples[0::3], samples[1::3], samples[2::3]):
        store_batch(batch)


def _sums_by_day(rows: Iterable[tuple[date, Rollup]]) -> Sums:
    sums: Sums = {}
    for day, row in rows:
        key = (day, *(getattr(row, name) for name in ROLLUP_KEY))
        totals = sums.setdefault(key, dict.fromkeys(ROLLUP_SUMS, 0))
        for name in ROLLUP_SUMS:
            totals[name] += getattr(row, name)
    return sums


def _day_rollups() -> Sums:
    return _sums_by_day((row.day, row) for row in AuthDayRollup.objects.all())


def test_day_rollups_hold_exactly_the_sums_of_their_minutes(recorded_across_midnight) -> None:
    minutes = _sums_by_day((row.minute.date(), row) for row in AuthRollup.objects.all())

    days = _day_rollups()

    assert {key[0] for key in days} == {MIDNIGHT.date() - timedelta(days=1), MIDNIGHT.date()}
    assert AuthDayRollup.objects.count() == len(days) == 2 * len(KINDS)
    assert days == minutes
    assert sum(totals["requests"] for totals in days.values()) == 300


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_day_rollups_as_the_recorder_does(
    recorded_across_midnight,
) -> None:
    written = _day_rollups()
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("comparison")

    MigrationExecutor(connection).migrate([BEFORE_DAY_ROLLUPS])
    try:
        MigrationExecutor(connection).migrate([WITH_DAY_ROLLUPS])
    finally:
        MigrationExecutor(connection).migrate(latest)

    assert AuthDayRollup.objects.count() == len(written)
    assert _day_rollups() == written


def test_the_trim_keeps_day_rollups_as_long_as_latency_buckets(settings) -> None:
    settings.COMPARISON_RETENTION_DAYS = 3
    today = timezone.now().date()
    for day in (today, today - timedelta(days=3), today - timedelta(days=4)):
        key = {"day": day, "lane": "session", "outcome": "accepted"}
        AuthDayRollup.objects.create(**key, requests=1)
        LatencyBucket.objects.create(**key, bucket=0, requests=1)

    trim_old_rows()

    kept = [today - timedelta(days=3), today]
    assert sorted(AuthDayRollup.objects.values_list("day", flat=True)) == kept
    assert sorted(LatencyBucket.objects.values_list("day", flat=True)) == kept
