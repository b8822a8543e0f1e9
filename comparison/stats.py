"""Fixed latency buckets and percentiles read from bucket counts."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

# Upper bounds in microseconds, roughly 1-1.5-2-3-5-7 per decade, then overflow.
BOUNDS_US: tuple[float, ...] = (
    1, 1.5, 2, 3, 5, 7,
    10, 15, 20, 30, 50, 70,
    100, 150, 200, 300, 500, 700,
    1_000, 1_500, 2_000, 3_000, 5_000, 7_000,
    10_000, 20_000, 50_000, 100_000, 300_000, 1_000_000,
)  # fmt: skip
OVERFLOW = len(BOUNDS_US)
BUCKET_COUNT = len(BOUNDS_US) + 1


def bucket_of(auth_us: float) -> int:
    return bisect.bisect_left(BOUNDS_US, auth_us)


def bucket_range(bucket: int) -> tuple[float, float]:
    low = BOUNDS_US[bucket - 1] if bucket > 0 else 0.0
    high = BOUNDS_US[bucket] if bucket < OVERFLOW else BOUNDS_US[-1] * 2
    return low, high


def percentile(counts: Sequence[int], fraction: float) -> float | None:
    """
    The value below which ``fraction`` of the samples fall, interpolated
    linearly inside its bucket; None when there are no samples.
    """
    total = sum(counts)
    if total == 0:
        return None
    rank = fraction * total
    seen = 0
    for bucket, count in enumerate(counts):
        if count and seen + count >= rank:
            low, high = bucket_range(bucket)
            return low + (high - low) * (rank - seen) / count
        seen += count
    return bucket_range(OVERFLOW)[1]
