"""
Synthetic samples, for measuring the dashboard with a large history behind it.

Used by ``authbench`` on its scratch database (and by ``seed_samples``), never
mixed into a database whose figures are meant to be real: the rows are marked
with the path ``/synthetic/``. They stand in for live traffic unless another
``source`` is given, since the dashboard shows live traffic first.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts import lanes
from accounts.outcomes import Outcome
from comparison.models import AuthRollup, AuthSample, LatencyBucket
from comparison.recorder import increment
from comparison.sources import Source
from comparison.stats import bucket_of

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


def seed_samples(
    *,
    requests: int,
    days: int = 7,
    using: str = "default",
    seed: int = 1,
    source: Source = Source.LIVE,
) -> int:
    """Add ``requests`` synthetic samples spread over the last ``days``; return the count."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    # History ends where recorded data begins, so no minute is written twice.
    earliest = AuthRollup.objects.using(using).order_by("minute").values_list("minute", flat=True)
    now = earliest.first() or timezone.now().replace(second=0, microsecond=0)
    span_minutes = days * 24 * 60
    lane_names = list(PROFILES)
    rollups: dict[tuple, list[float]] = {}
    latency: Counter = Counter()
    raw: list[AuthSample] = []
    keep_raw = settings.COMPARISON_RAW_SAMPLES_KEPT
    for i in range(requests):
        lane = lane_names[i % len(lane_names)]
        median, redis_trips, queries, size = PROFILES[lane]
        auth_us = rng.lognormvariate(0, 0.35) * median
        outcome = Outcome.ACCEPTED if rng.random() > 0.03 else rng.choice(REJECTIONS)
        at = now - timedelta(minutes=span_minutes * (requests - i) / requests)
        minute = at.replace(second=0, microsecond=0)
        totals = rollups.setdefault((minute, lane, outcome), [0, 0.0, 0, 0, 0])
        totals[0] += 1
        totals[1] += auth_us
        totals[2] += redis_trips
        totals[3] += queries
        totals[4] += size
        latency[at.date(), lane, outcome, bucket_of(auth_us)] += 1
        if i >= requests - keep_raw:
            raw.append(
                AuthSample(
                    at=at,
                    source=source,
                    lane=lane,
                    path=SYNTHETIC_PATH,
                    status=200 if outcome == Outcome.ACCEPTED else 401,
                    outcome=outcome,
                    auth_us=auth_us,
                    redis_round_trips=redis_trips,
                    db_queries=queries,
                    credential_bytes=size,
                )
            )
    AuthSample.objects.using(using).bulk_create(raw, batch_size=5000)
    AuthRollup.objects.using(using).bulk_create(
        (
            AuthRollup(
                minute=minute,
                source=source,
                lane=lane,
                outcome=outcome,
                requests=count,
                auth_us_sum=auth_sum,
                redis_round_trips_sum=redis_sum,
                db_queries_sum=db_sum,
                credential_bytes_sum=bytes_sum,
            )
            for (minute, lane, outcome), (count, auth_sum, redis_sum, db_sum, bytes_sum) in (
                rollups.items()
            )
        ),
        batch_size=5000,
    )
    # Days can overlap recorded ones: add to their buckets (a few hundred rows).
    for (day, lane, outcome, bucket), count in latency.items():
        key = {"day": day, "source": source, "lane": lane, "outcome": outcome, "bucket": bucket}
        increment(LatencyBucket, key, {"requests": count}, using=using)
    return requests
