"""
Samples are queued in memory and stored by a writer thread, off the request path.

A request only appends its sample, as measured, to a bounded queue
(``COMPARISON_BUFFER_LIMIT``; past it samples are dropped and counted). One
daemon thread per process, started by the first sample, stores the queue
every ``COMPARISON_FLUSH_SECONDS``, or as soon as ``COMPARISON_FLUSH_SIZE``
samples wait: raw rows, minute and day rollups and latency buckets, in one
transaction. It trims old rows on its own schedule
(``COMPARISON_TRIM_SECONDS``). What is still queued when the process ends is
stored then (``atexit``, and gunicorn's ``worker_exit`` in ``config/gunicorn.py``).

One bad sample never stops recording. The writer cleans each sample before
it stores it: text loses control characters and is cut to its column,
numbers are clamped to their column's range; a sample that cannot be
cleaned is dropped and counted. A batch the database still refuses is
retried row by row, so a row that fails is dropped and counted alone, and
drops are written in a transaction of their own. Only when the database
cannot be reached is a batch kept for the next try, within the bound.
Nothing recording raises ever reaches a request. Storage does not depend on Redis.
"""

from __future__ import annotations

import atexit
import functools
import logging
import math
import os
import re
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
    models,
    transaction,
)
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations
from django.http import HttpRequest
from django.utils import timezone

from comparison.models import (
    ROLLUP_KEY,
    ROLLUP_SUMS,
    AuthDayRollup,
    AuthRollup,
    AuthSample,
    LatencyBucket,
    RecorderDrop,
)
from comparison.probe import AuthCost
from comparison.sources import Source, credential_expiry, source_of
from comparison.stats import bucket_of

logger = logging.getLogger(__name__)

# The database cannot be reached or is busy: keep the samples for the next try.
UNAVAILABLE = (OperationalError, InterfaceError)

QUEUE_FULL = "queue full"
REFUSED = "refused by the database"
UNMEASURABLE = "could not be turned into a sample"


# ------------------------------------------------------------------ sanitising
# The limits of each column, read from the model once: text lengths, and
# integer ranges as Django states them for every backend.
_FIELDS = {field.name: field for field in AuthSample._meta.concrete_fields}
TEXT_LIMITS = {
    name: field.max_length
    for name, field in _FIELDS.items()
    if isinstance(field, models.CharField) and field.max_length
}
INTEGER_RANGES = {
    name: BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]
    for name, field in _FIELDS.items()
    if field.get_internal_type() in BaseDatabaseOperations.integer_field_ranges
}
# C0 and C1 controls (NUL among them) and lone surrogates: PostgreSQL refuses
# NUL in text, and none of them belongs in a figure's label.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
LATEST_EXPIRY = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()


def clean_text(name: str, value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    limit = TEXT_LIMITS[name]
    if len(text) <= limit and text.isprintable():
        return text
    return _UNPRINTABLE.sub("", text)[:limit]


def clamp_integer(name: str, value: int) -> int:
    low, high = INTEGER_RANGES[name]
    if type(value) is int and low <= value <= high:
        return value
    return min(max(int(value), low), high)


def clean_expiry(claim: object) -> datetime | None:
    """A token's ``exp`` as a datetime every database can store, or None if it is no number."""
    if isinstance(claim, datetime) and claim.tzinfo is UTC:
        # Cleaned already: a batch the database could not take is cleaned again.
        return claim
    try:
        seconds = float(claim)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(seconds):
        return None
    return _expiry_at(min(max(seconds, 0.0), LATEST_EXPIRY))


@functools.lru_cache(maxsize=1024)
def _expiry_at(seconds: float) -> datetime:
    # Every request made with one token carries the same exp.
    return datetime.fromtimestamp(seconds, tz=UTC)


class Sample(NamedTuple):
    """One request's measurement, every value fit for its column."""

    at: datetime
    instance: str
    source: str
    lane: str
    path: str
    status: int
    outcome: str
    auth_us: float
    redis_round_trips: int
    db_queries: int
    credential_bytes: int
    user_id: int | None
    credential_id: str
    credential_expires_at: datetime | None
    db_connected: bool

    @classmethod
    def cleaned(cls, measured: Measured) -> Sample:
        """A sample as measured, made fit; cleaning a cleaned sample changes nothing."""
        raw = cls._make(measured)
        return cls(
            at=raw.at,
            instance=clean_text("instance", raw.instance),
            source=clean_text("source", raw.source),
            lane=clean_text("lane", raw.lane),
            path=clean_text("path", raw.path),
            status=clamp_integer("status", raw.status),
            outcome=clean_text("outcome", raw.outcome),
            auth_us=raw.auth_us if math.isfinite(raw.auth_us) else 0.0,
            redis_round_trips=clamp_integer("redis_round_trips", raw.redis_round_trips),
            db_queries=clamp_integer("db_queries", raw.db_queries),
            credential_bytes=clamp_integer("credential_bytes", raw.credential_bytes),
            user_id=None if raw.user_id is None else clamp_integer("user_id", raw.user_id),
            credential_id=clean_text("credential_id", raw.credential_id),
            # As measured, the token's exp claim as it came.
            credential_expires_at=clean_expiry(raw.credential_expires_at),
            db_connected=raw.db_connected,
        )


# A sample as a request measured it: Sample's fields, in its order, the
# token's exp claim as it came, in a plain tuple. The request pays for
# nothing the writer can do (cleaning costs it more than queueing), and
# thousands wait in the queue between flushes: the garbage collector stops
# tracking a plain tuple of plain values, but never a named tuple.
Measured = tuple[Any, ...]


def measure(request: HttpRequest, *, status: int, cost: AuthCost) -> Measured:
    """The sample of a request this process served."""
    user = cost.user
    return measured(
        at=timezone.now(),
        source=source_of(request, user=user),
        path=request.path,
        status=status,
        cost=cost,
        expiry=credential_expiry(request, user=user),
    )


def measured(
    *,
    at: datetime,
    source: str,
    path: str,
    status: int,
    cost: AuthCost,
    expiry: object = None,
) -> Measured:
    # The source and the outcome may be enum members; a tuple that holds one stays
    # tracked. str.__str__ gives the plain string of either.
    return (
        at,
        settings.COMPARISON_INSTANCE_NAME,
        str.__str__(source),
        cost.lane,
        path,
        status,
        str.__str__(cost.outcome),
        cost.auth_us,
        cost.redis_round_trips,
        cost.db_queries,
        cost.credential_bytes,
        cost.user_id,
        cost.credential_id,
        expiry,
        cost.db_connected,
    )


# ------------------------------------------------------------------ the queue and its writer
class SampleRecorder:
    def __init__(self, *, using: str = "default") -> None:
        self.using = using
        self._lock = threading.Lock()
        # Held while a batch is written, so that two writers never split one queue.
        self._flush_lock = threading.Lock()
        # Samples as measured; a batch kept for the next try waits here cleaned.
        self._queue: list[Measured] = []
        self._dropped: Counter[str] = Counter()
        self._wake = threading.Event()
        self._stopping = False
        self._writer: threading.Thread | None = None
        self._last_trim = time.monotonic()
        atexit.register(self.shutdown)
        # A forked worker starts with an empty queue and no writer of its own yet.
        os.register_at_fork(after_in_child=self._forget)

    # -------------------------------------------------------------- the request path
    def record(self, request: HttpRequest, *, status: int, cost: AuthCost) -> None:
        """
        Queue one request's sample as measured. Never cleans, writes or waits
        on a write, never raises.
        """
        try:
            sample = measure(request, status=status, cost=cost)
        except Exception:
            logger.exception("Could not make a sample of %s", cost.lane)
            self._drop(UNMEASURABLE)
            return
        self._queue_sample(sample)

    def record_measured(
        self,
        *,
        at: datetime,
        path: str,
        status: int,
        cost: AuthCost,
        source: str = Source.LIVE,
        expiry: object = None,
    ) -> None:
        """Queue a sample another process measured (``comparison.ingest``), dated when it was."""
        try:
            sample = measured(
                at=at, source=source, path=path, status=status, cost=cost, expiry=expiry
            )
        except Exception:
            logger.exception("Could not make a sample of %s", cost.lane)
            self._drop(UNMEASURABLE)
            return
        self._queue_sample(sample)

    def _queue_sample(self, sample: Measured) -> None:
        with self._lock:
            if len(self._queue) >= settings.COMPARISON_BUFFER_LIMIT:
                self._dropped[QUEUE_FULL] += 1
                return
            self._queue.append(sample)
            due = len(self._queue) >= settings.COMPARISON_FLUSH_SIZE
        # Set once until the writer wakes: setting it again costs the request a lock.
        if due and not self._wake.is_set():
            self._wake.set()
        if self._writer is None and settings.COMPARISON_BACKGROUND_WRITER:
            self._start_writer()

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def nudge(self) -> None:
        """Ask the writer to store the queue now rather than at its next turn."""
        self._wake.set()

    # -------------------------------------------------------------- the writer
    def _start_writer(self) -> None:
        with self._lock:
            if self._writer is not None:
                return
            self._stopping = False
            self._writer = threading.Thread(
                target=self._write_until_stopped, name="comparison-sample-writer", daemon=True
            )
            self._writer.start()

    def _write_until_stopped(self) -> None:
        while not self._stopping:
            self._wake.wait(settings.COMPARISON_FLUSH_SECONDS)
            self._wake.clear()
            # The writer's own connection: drop it if the server closed it or it is too old.
            close_old_connections()
            self.flush()
            if time.monotonic() - self._last_trim >= settings.COMPARISON_TRIM_SECONDS:
                self.trim()
        connections.close_all()

    def shutdown(self) -> None:
        """Stop the writer and store what is queued: at process exit."""
        writer = self._writer
        if writer is not None:
            self._stopping = True
            self._wake.set()
            writer.join(timeout=settings.COMPARISON_FLUSH_SECONDS + 30)
            self._writer = None
        self.flush()

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._queue, self._dropped = [], Counter()
        self._writer, self._stopping = None, False

    def discard(self) -> None:
        """Forget queued samples and drops (tests start from nothing)."""
        with self._lock:
            self._queue, self._dropped = [], Counter()

    # -------------------------------------------------------------- storing
    def flush(self) -> int:
        """
        Store what is queued, now, on the calling thread; return how many
        samples were stored. The writer calls this; so do tests, the drill
        and process exit. Never raises.
        """
        with self._flush_lock:
            with self._lock:
                queued, self._queue = self._queue, []
            batch = self._cleaned(queued)
            stored = self._store(batch) if batch else 0
            self._store_drops()
        return stored

    def _cleaned(self, queued: list[Measured]) -> list[Sample]:
        batch = []
        for sample in queued:
            try:
                batch.append(Sample.cleaned(sample))
            except Exception:
                logger.exception("Could not make a sample of %r", sample)
                self._drop(UNMEASURABLE)
        return batch

    def _store(self, batch: list[Sample]) -> int:
        try:
            store_batch(batch, using=self.using)
        except UNAVAILABLE:
            logger.warning("Database unavailable: %d samples kept for the next try", len(batch))
            self._requeue(batch)
            return 0
        except Exception:
            logger.warning("A batch of %d samples was refused; storing them one by one", len(batch))
        else:
            return len(batch)
        stored = 0
        for position, sample in enumerate(batch):
            try:
                store_batch([sample], using=self.using)
            except UNAVAILABLE:
                self._requeue(batch[position:])
                break
            except Exception:
                logger.exception("Dropped one sample the database refused: %r", sample)
                self._drop(REFUSED)
            else:
                stored += 1
        return stored

    def _requeue(self, batch: list[Sample]) -> None:
        # A cleaned sample is one as measured too: the next flush cleans it again, unchanged.
        with self._lock:
            queue = batch + self._queue
            limit = settings.COMPARISON_BUFFER_LIMIT
            if len(queue) > limit:
                self._dropped[QUEUE_FULL] += len(queue) - limit
                queue = queue[-limit:]
            self._queue = queue

    def _drop(self, reason: str) -> None:
        with self._lock:
            self._dropped[reason] += 1

    def _store_drops(self) -> None:
        """Write drop counts in a transaction of their own: a failed batch cannot undo them."""
        with self._lock:
            drops, self._dropped = self._dropped, Counter()
        if not drops:
            return
        try:
            with transaction.atomic(using=self.using):
                RecorderDrop.objects.using(self.using).bulk_create(
                    RecorderDrop(samples=count, reason=reason) for reason, count in drops.items()
                )
        except Exception:
            logger.exception("Could not store the count of %d dropped samples", drops.total())
            with self._lock:
                self._dropped.update(drops)

    def trim(self) -> None:
        """Delete rows past their keeping; the writer does it every ``COMPARISON_TRIM_SECONDS``."""
        self._last_trim = time.monotonic()
        try:
            trim_old_rows(using=self.using)
        except Exception:
            logger.exception("Could not trim old samples")


# Raw rows are written as multi-row INSERTs in raw SQL, as many rows a
# statement as bulk_create puts in one, without building a model instance
# per row: that cost more than the requests being measured. Timed against
# one executemany of the same rows (a statement per row), paired in one
# process over 30 flushes of 1000, the multi-row statements took 0.811
# [0.794-0.832] of its CPU time. The columns are Sample's fields, in order.
RAW_COLUMNS = Sample._fields
_RAW_FIELDS = [_FIELDS[name] for name in RAW_COLUMNS]
# Rows a statement takes at most: SQLite's variables limit sets fewer, and
# PostgreSQL has none of its own short of 65,535 parameters.
MAX_ROWS_PER_STATEMENT = 500


def _insert_raw(batch: list[Sample], *, using: str) -> None:
    connection = connections[using]
    ops = connection.ops
    adapt = ops.adapt_datetimefield_value
    # A token's requests share its expiry: each one is adapted once per batch.
    expiries: dict[datetime | None, Any] = {None: None}
    rows = []
    # Rows the trim would delete at once are not written at all.
    for sample in batch[-settings.COMPARISON_RAW_SAMPLES_KEPT :]:
        expiry = sample.credential_expires_at
        if expiry not in expiries:
            expiries[expiry] = adapt(expiry)
        rows.append((adapt(sample.at), *sample[1:-2], expiries[expiry], sample.db_connected))
    _insert_rows(connection, AuthSample, _RAW_FIELDS, rows)


def _insert_rows(
    connection: BaseDatabaseWrapper,
    model: type[models.Model],
    fields: list[models.Field[Any, Any]],
    rows: list[tuple[Any, ...]],
    *,
    then: str = "",
) -> None:
    """
    ``INSERT`` ``rows`` (values in the order of ``fields``) into ``model``'s
    table, as many rows per statement as the backend takes a batch of
    ``bulk_create``; ``then`` ends each statement (an ``ON CONFLICT`` clause).
    """
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    columns = ", ".join(ops.quote_name(str(field.column)) for field in fields)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(min(ops.bulk_batch_size(fields, rows), MAX_ROWS_PER_STATEMENT), 1)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            values = ", ".join([placeholders] * len(chunk))
            # Names come from the model; values travel as parameters.
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {values}{then}",  # noqa: S608
                [value for row in chunk for value in row],
            )


def store_batch(batch: list[Sample], *, using: str = "default") -> None:
    """Write one batch in one transaction: raw rows, minute and day rollups, latency buckets."""
    with transaction.atomic(using=using):
        _insert_raw(batch, using=using)
        _add_counts(batch, using=using)


# What a rollup is keyed by past its minute or day, in ROLLUP_KEY's order.
Key = tuple[str, str, str, str, bool]


def _add_counts(batch: list[Sample], *, using: str) -> None:
    """
    The batch's sums per minute (the dashboard's last hour) and per day (its
    totals), and its latency histogram per day, in the batch's transaction,
    so that their counts always agree. One pass over the samples; the days
    are added up from the minutes.
    """
    minutes: dict[tuple[datetime, Key], list[Any]] = defaultdict(_no_sums)
    latency: Counter[tuple[datetime, Key, int]] = Counter()
    for sample in batch:
        minute = sample.at.replace(second=0, microsecond=0)
        key = (sample.instance, sample.source, sample.lane, sample.outcome, sample.db_connected)
        sums = minutes[minute, key]
        sums[0] += 1
        sums[1] += sample.auth_us
        sums[2] += sample.redis_round_trips
        sums[3] += sample.db_queries
        sums[4] += sample.credential_bytes
        latency[minute, key, bucket_of(sample.auth_us)] += 1

    days: dict[tuple[date, Key], list[Any]] = defaultdict(_no_sums)
    for (minute, key), sums in minutes.items():
        day_sums = days[minute.date(), key]
        for position, value in enumerate(sums):
            day_sums[position] += value
    buckets: Counter[tuple[date, Key, int]] = Counter()
    for (minute, key, bucket), requests in latency.items():
        buckets[minute.date(), key, bucket] += requests

    add_counts(
        AuthRollup,
        [
            ({"minute": minute, **_named(key)}, _summed(sums))
            for (minute, key), sums in minutes.items()
        ],
        using=using,
    )
    add_counts(
        AuthDayRollup,
        [({"day": day, **_named(key)}, _summed(sums)) for (day, key), sums in days.items()],
        using=using,
    )
    add_counts(
        LatencyBucket,
        [
            ({"day": day, **_named(key), "bucket": bucket}, {"requests": requests})
            for (day, key, bucket), requests in buckets.items()
        ],
        using=using,
    )


def _no_sums() -> list[Any]:
    """A minute's or a day's sums before its first sample, in ROLLUP_SUMS' order."""
    return [0, 0.0, 0, 0, 0]


def _named(key: Key) -> dict[str, Any]:
    return dict(zip(ROLLUP_KEY, key, strict=True))


def _summed(sums: list[Any]) -> dict[str, Any]:
    return dict(zip(ROLLUP_SUMS, sums, strict=True))


def add_counts(
    model: type[models.Model],
    rows: list[tuple[dict[str, Any], dict[str, Any]]],
    *,
    using: str,
) -> None:
    """
    Add each row's counts to the row of ``model`` at its key, creating the
    rows that are missing: ``INSERT ... ON CONFLICT DO UPDATE``, as SQLite
    and PostgreSQL both write it, one statement per batch of rows. A key
    names the fields of one of the model's unique constraints. Atomic per
    row, so two writers adding to the same row never lose a count; rows go
    in key order, so that two writers lock the rows they share in the same
    order. The ORM's update of an F() expression cost about a millisecond
    of CPU a row on the development machine, several times per flush.
    """
    if not rows:
        return
    connection = connections[using]
    ops = connection.ops
    meta = model._meta
    fields = {field.name: field for field in meta.concrete_fields}
    keys = [fields[name] for name in rows[0][0]]
    counted = [fields[name] for name in rows[0][1]]
    table = ops.quote_name(meta.db_table)
    key_columns = ", ".join(ops.quote_name(str(field.column)) for field in keys)
    additions = ", ".join(
        f"{column} = {table}.{column} + excluded.{column}"
        for column in (ops.quote_name(str(field.column)) for field in counted)
    )
    values = sorted(
        (
            *(field.get_db_prep_value(key[field.name], connection) for field in keys),
            *(counts[field.name] for field in counted),
        )
        for key, counts in rows
    )
    _insert_rows(
        connection,
        model,
        [*keys, *counted],
        values,
        then=f" ON CONFLICT ({key_columns}) DO UPDATE SET {additions}",
    )


def trim_old_rows(*, using: str = "default") -> None:
    samples = AuthSample.objects.using(using)
    newest = samples.order_by("-pk").values_list("pk", flat=True).first()
    if newest is not None:
        samples.filter(pk__lte=newest - settings.COMPARISON_RAW_SAMPLES_KEPT).delete()
    horizon = timezone.now() - timedelta(days=settings.COMPARISON_RETENTION_DAYS)
    AuthRollup.objects.using(using).filter(minute__lt=horizon).delete()
    AuthDayRollup.objects.using(using).filter(day__lt=horizon.date()).delete()
    LatencyBucket.objects.using(using).filter(day__lt=horizon.date()).delete()


recorder = SampleRecorder()
