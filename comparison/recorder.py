"""
Buffer samples in memory and write them to the database in batches.

Recording must not change what it measures, so a request only appends to a
list; every ``COMPARISON_FLUSH_SIZE`` samples or ``COMPARISON_FLUSH_SECONDS``
the request that crosses the line writes the batch: raw rows, minute rollups
and latency buckets, in one transaction. A batch that cannot be written is
kept for the next try, up to ``COMPARISON_BUFFER_LIMIT`` samples; beyond that
samples are dropped and counted, and the count is stored with the next batch
that gets through. Storage does not depend on Redis.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone

from comparison.models import AuthRollup, AuthSample, LatencyBucket, RecorderDrop
from comparison.probe import AuthCost
from comparison.stats import bucket_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sample:
    at: datetime
    path: str
    status: int
    cost: AuthCost


class SampleRecorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer: list[Sample] = []
        self._dropped = 0
        self._last_flush = time.monotonic()
        atexit.register(self.flush)

    def record(self, *, path: str, status: int, cost: AuthCost, at: datetime | None = None) -> None:
        """Buffer one sample; ``at`` is now unless it was measured elsewhere (comparison.ingest)."""
        sample = Sample(at=at or timezone.now(), path=path[:200], status=status, cost=cost)
        with self._lock:
            self._buffer.append(sample)
            due = (
                len(self._buffer) >= settings.COMPARISON_FLUSH_SIZE
                or time.monotonic() - self._last_flush >= settings.COMPARISON_FLUSH_SECONDS
            )
        if due:
            self.flush()

    def pending(self) -> int:
        with self._lock:
            return len(self._buffer)

    def discard(self) -> None:
        """Forget buffered samples (tests start from nothing)."""
        with self._lock:
            self._buffer, self._dropped = [], 0

    def flush(self) -> int:
        """Write buffered samples; return how many were written."""
        with self._lock:
            batch, self._buffer = self._buffer, []
            dropped, self._dropped = self._dropped, 0
            self._last_flush = time.monotonic()
        if not batch and not dropped:
            return 0
        try:
            with transaction.atomic():
                store_batch(batch)
                if dropped:
                    RecorderDrop.objects.create(samples=dropped, reason="buffer full")
        except DatabaseError:
            logger.exception("Could not store %d auth samples; keeping them", len(batch))
            self._requeue(batch, dropped)
            return 0
        return len(batch)

    def _requeue(self, batch: list[Sample], dropped: int) -> None:
        with self._lock:
            merged = batch + self._buffer
            limit = settings.COMPARISON_BUFFER_LIMIT
            self._dropped += dropped + max(0, len(merged) - limit)
            self._buffer = merged[-limit:]


# Raw rows are written with one executemany: building 200 model instances and
# compiling them through the ORM cost more than the requests being measured.
RAW_COLUMNS = (
    "at",
    "instance",
    "lane",
    "path",
    "status",
    "outcome",
    "auth_us",
    "redis_round_trips",
    "db_queries",
    "credential_bytes",
    "user_id",
    "credential_id",
)


def _insert_raw(batch: list[Sample]) -> None:
    ops = connection.ops
    fields = {field.name: str(field.column) for field in AuthSample._meta.concrete_fields}
    columns = ", ".join(ops.quote_name(fields[name]) for name in RAW_COLUMNS)
    table = ops.quote_name(AuthSample._meta.db_table)
    placeholders = ", ".join(["%s"] * len(RAW_COLUMNS))
    # Names come from the model; values travel as parameters.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    keep = settings.COMPARISON_RAW_SAMPLES_KEPT
    instance = settings.COMPARISON_INSTANCE_NAME
    rows = [
        (
            ops.adapt_datetimefield_value(sample.at),
            instance,
            sample.cost.lane,
            sample.path,
            sample.status,
            sample.cost.outcome,
            sample.cost.auth_us,
            sample.cost.redis_round_trips,
            sample.cost.db_queries,
            sample.cost.credential_bytes,
            sample.cost.user_id,
            sample.cost.credential_id,
        )
        # Rows the trim would delete at once are not written at all.
        for sample in batch[-keep:]
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


@transaction.atomic
def store_batch(batch: list[Sample]) -> None:
    """Write one batch: raw rows, rollups, latency buckets, then trim old rows."""
    _insert_raw(batch)
    _add_rollups(batch)
    _add_latency(batch)
    _trim()


def _add_rollups(batch: list[Sample]) -> None:
    instance = settings.COMPARISON_INSTANCE_NAME
    groups: dict[tuple[datetime, str, str], list[AuthCost]] = defaultdict(list)
    for sample in batch:
        minute = sample.at.replace(second=0, microsecond=0)
        groups[minute, sample.cost.lane, sample.cost.outcome].append(sample.cost)
    for (minute, lane, outcome), costs in groups.items():
        increments = {
            "requests": len(costs),
            "auth_us_sum": sum(cost.auth_us for cost in costs),
            "redis_round_trips_sum": sum(cost.redis_round_trips for cost in costs),
            "db_queries_sum": sum(cost.db_queries for cost in costs),
            "credential_bytes_sum": sum(cost.credential_bytes for cost in costs),
        }
        key = {"minute": minute, "instance": instance, "lane": lane, "outcome": outcome}
        increment(AuthRollup, key, increments)


def _add_latency(batch: list[Sample]) -> None:
    counts = Counter(
        (sample.at.date(), sample.cost.lane, bucket_of(sample.cost.auth_us)) for sample in batch
    )
    instance = settings.COMPARISON_INSTANCE_NAME
    for (day, lane, bucket), requests in counts.items():
        key = {"day": day, "instance": instance, "lane": lane, "bucket": bucket}
        increment(LatencyBucket, key, {"requests": requests})


def increment(
    model: type[models.Model], key: dict, increments: dict, *, using: str = "default"
) -> None:
    """Add to the counters of the row at ``key``, creating it if another writer has not."""
    rows = model._default_manager.using(using)
    updates = {field: F(field) + value for field, value in increments.items()}
    if rows.filter(**key).update(**updates):
        return
    try:
        with transaction.atomic(using=using):
            rows.create(**key, **increments)
    except IntegrityError:
        rows.filter(**key).update(**updates)


def _trim() -> None:
    newest = AuthSample.objects.order_by("-pk").values_list("pk", flat=True).first()
    if newest is not None:
        AuthSample.objects.filter(pk__lte=newest - settings.COMPARISON_RAW_SAMPLES_KEPT).delete()
    horizon = timezone.now() - timedelta(days=settings.COMPARISON_RETENTION_DAYS)
    AuthRollup.objects.filter(minute__lt=horizon).delete()
    LatencyBucket.objects.filter(day__lt=horizon.date()).delete()


recorder = SampleRecorder()
