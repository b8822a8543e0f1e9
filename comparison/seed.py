"""
Synthetic samples, for measuring the dashboard with a large history behind it.

Used by ``authbench`` on its scratch database (and by ``seed_samples``), never
mixed into a database whose figures are meant to be real: the rows are marked
with the path ``/synthetic/``. They stand in for live traffic unless another
``source`` is given, since the dashboard shows live traffic first.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts import lanes
from accounts.outcomes import Outcome
from comparison.models import ROLLUP_SUMS, AuthDayRollup, AuthRollup, AuthSample, LatencyBucket
from comparison.recorder import add_counts
from comparison.sources import Source
from comparison.stats import BOUNDS_US

SYNTHETIC_PATH = "/synthetic/"

# lane -> (median auth µs, Redis round trips, SQL queries, credential bytes)
PROFILES = {
    lanes.SESSION.name: (250.0, 1, 1, 42),
    lanes.SNAPSHOT.name: (120.0, 1, 0, 42),
    lanes.JWT_PAGES.name: (45.0, 0, 0, 300),
    lanes.STATELESS.name: (45.0, 0, 0, 300),
    lanes.LOOKUP.name: (180.0, 0, 1, 300),
    lanes.DENYLIST.name: (140.0, 1, 0, 300),
}
REJECTIONS = [Outcome.EXPIRED, Outcome.MISSING, Outcome.BAD_SIGNATURE]
REJECTED_SHARE = 0.03
# Spread of auth times around each lane's median (lognormal).
SIGMA = 0.35


def _spread(total: int, parts: int, index: int) -> int:
    """How many of ``total`` items dealt round-robin into ``parts`` piles land in pile ``index``."""
    return total // parts + (1 if index < total % parts else 0)


def _lane_shares(first: int, count: int, lanes_total: int) -> list[int]:
    """Requests ``first`` .. ``first + count - 1`` go to lanes round-robin: how many each gets."""
    return [
        (first + count - 1 - lane) // lanes_total - (first - 1 - lane) // lanes_total
        for lane in range(lanes_total)
    ]


def _bucket_shares(median: float, requests: int) -> dict[int, int]:
    """``requests`` spread over the latency buckets as the lognormal(median, 0.35) spreads them."""
    cumulative = [
        0.5 * (1 + math.erf(math.log(bound / median) / (SIGMA * math.sqrt(2))))
        for bound in BOUNDS_US
    ]
    probabilities = [
        high - low for low, high in zip([0.0, *cumulative], [*cumulative, 1.0], strict=True)
    ]
    exact = [requests * p for p in probabilities]
    counts = [int(value) for value in exact]
    # Largest remainders first, so the buckets add up to exactly ``requests``.
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: requests - sum(counts)]:
        counts[i] += 1
    return {bucket: count for bucket, count in enumerate(counts) if count}


def seed_samples(
    *,
    requests: int,
    days: int = 7,
    using: str = "default",
    seed: int = 1,
    source: Source = Source.LIVE,
) -> int:
    """
    Add ``requests`` synthetic samples spread evenly over the last ``days``;
    return the count. The volume lives in the rollups (per minute and per
    day) and the latency buckets (per day), so ten million requests cost no
    more rows than one million; only the newest ``COMPARISON_RAW_SAMPLES_KEPT``
    are drawn one by one as raw rows.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    # History ends where recorded data begins, so no minute is written twice.
    earliest = AuthRollup.objects.using(using).order_by("minute").values_list("minute", flat=True)
    now = earliest.first() or timezone.now().replace(second=0, microsecond=0)
    span_minutes = days * 24 * 60
    lane_names = list(PROFILES)
    rollups: list[AuthRollup] = []
    per_day: defaultdict[tuple[date, str, str], dict[str, float]] = defaultdict(
        lambda: dict.fromkeys(ROLLUP_SUMS, 0)
    )
    first = 0
    for step in range(span_minutes):
        in_minute = _spread(requests, span_minutes, step)
        minute = now - timedelta(minutes=span_minutes - step)
        for lane, count in zip(
            lane_names, _lane_shares(first, in_minute, len(lane_names)), strict=True
        ):
            if count:
                minute_rollups = _minute_rollups(rng, minute, lane, count, source)
                for rollup in minute_rollups:
                    sums = per_day[minute.date(), lane, rollup.outcome]
                    for name in ROLLUP_SUMS:
                        sums[name] += getattr(rollup, name)
                rollups.extend(minute_rollups)
        first += in_minute
    AuthRollup.objects.using(using).bulk_create(rollups, batch_size=5000)
    AuthSample.objects.using(using).bulk_create(
        _raw_samples(rng, requests=requests, now=now, span_minutes=span_minutes, source=source),
        batch_size=5000,
    )
    # Days can overlap recorded ones: add to their day rollups and buckets (a few hundred
    # rows), keyed in full, so that a recorded instance's row or a connecting step's is
    # never added to.
    day_rows: list[tuple[dict[str, Any], dict[str, Any]]] = []
    bucket_rows: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for (day, lane, outcome), sums in per_day.items():
        key = {
            "day": day,
            "source": source,
            "instance": "",
            "lane": lane,
            "outcome": outcome,
            "db_connected": False,
        }
        day_rows.append((key, sums))
        for bucket, in_bucket in _bucket_shares(PROFILES[lane][0], int(sums["requests"])).items():
            bucket_rows.append(({**key, "bucket": bucket}, {"requests": in_bucket}))
    add_counts(AuthDayRollup, day_rows, using=using)
    add_counts(LatencyBucket, bucket_rows, using=using)
    return requests


def _minute_rollups(
    rng: random.Random, minute: datetime, lane: str, requests: int, source: Source
) -> list[AuthRollup]:
    """One minute of one lane: about 3% refused, for the reasons in REJECTIONS."""
    median, redis_trips, queries, size = PROFILES[lane]
    expected_refusals = requests * REJECTED_SHARE
    spread = math.sqrt(expected_refusals * (1 - REJECTED_SHARE))
    refused = min(requests, max(0, round(rng.gauss(expected_refusals, spread))))
    outcomes = Counter(rng.choice(REJECTIONS) for _ in range(refused))
    outcomes[Outcome.ACCEPTED] = requests - refused
    mean_us = median * math.exp(SIGMA**2 / 2)
    return [
        AuthRollup(
            minute=minute,
            source=source,
            lane=lane,
            outcome=outcome,
            requests=count,
            auth_us_sum=count * mean_us,
            redis_round_trips_sum=count * redis_trips,
            db_queries_sum=count * queries,
            credential_bytes_sum=count * size,
        )
        for outcome, count in outcomes.items()
        if count
    ]


def _raw_samples(
    rng: random.Random, *, requests: int, now: datetime, span_minutes: int, source: Source
) -> list[AuthSample]:
    """The newest requests, one row each, as the recorder keeps them."""
    lane_names = list(PROFILES)
    rows = []
    for i in range(max(0, requests - settings.COMPARISON_RAW_SAMPLES_KEPT), requests):
        lane = lane_names[i % len(lane_names)]
        median, redis_trips, queries, size = PROFILES[lane]
        accepted = rng.random() > REJECTED_SHARE
        outcome = Outcome.ACCEPTED if accepted else rng.choice(REJECTIONS)
        rows.append(
            AuthSample(
                at=now - timedelta(minutes=span_minutes * (requests - i) / requests),
                source=source,
                lane=lane,
                path=SYNTHETIC_PATH,
                status=200 if accepted else 401,
                outcome=outcome,
                auth_us=rng.lognormvariate(0, SIGMA) * median,
                redis_round_trips=redis_trips,
                db_queries=queries,
                credential_bytes=size,
            )
        )
    return rows
