"""
The benchmark's statistics, kept apart so they can be tested with fixed inputs.

Two kinds of comparison, each reported as a median with a 95% interval:

* **Paired rounds** (throughput): both sides ran in the same round, so each
  round gives one ratio; the figure is the median of those ratios, and its
  interval is the distribution-free one for a median, read off the order
  statistics with binomial coverage (no assumption about the noise's shape).
* **Paired in-process rounds** (auth steps against their floors and peers):
  within one process, a lane and what it is compared with are timed back to
  back, once per round; each round gives one ratio, read off as above.

A ratio whose interval holds 1.0 is "no difference": the effect, if any, is
inside the noise.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

CONFIDENCE = 0.95

ORDER_STATISTICS = "median of per-round ratios; 95% distribution-free interval (order statistics)"
PAIRED_IN_PROCESS = (
    "per round, in one process, the lane's time per call over the sum of its floor's (or "
    "peer's), timed back to back; median of those ratios, 95% distribution-free interval"
)


@dataclass(frozen=True)
class Estimate:
    """A median with its interval; ``coverage`` is what the interval actually achieves."""

    median: float
    low: float
    high: float
    samples: int
    coverage: float

    @property
    def no_difference(self) -> bool:
        return self.low <= 1.0 <= self.high

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "no_difference": self.no_difference}


def _binomial_at_most(successes: int, trials: int) -> float:
    """P(X <= successes) for X ~ Binomial(trials, 1/2)."""
    return sum(math.comb(trials, i) for i in range(successes + 1)) / 2**trials


def median_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Estimate:
    """
    The median and the narrowest symmetric order-statistic interval
    [x(k), x(n+1-k)] that covers the true median with at least ``confidence``.
    With too few values for that, the interval is the whole range and
    ``coverage`` says how much less it covers.
    """
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    n = len(ordered)
    k, coverage = 1, 1 - 2 * _binomial_at_most(0, n)
    while k + 1 <= (n + 1) // 2:
        wider_k_coverage = 1 - 2 * _binomial_at_most(k, n)
        if wider_k_coverage < confidence:
            break
        k, coverage = k + 1, wider_k_coverage
    return Estimate(
        median=statistics.median(ordered),
        low=ordered[k - 1],
        high=ordered[n - k],
        samples=n,
        coverage=coverage,
    )


def paired_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> Estimate:
    """The median of per-round ratios (round i of one side over round i of the other)."""
    if len(numerators) != len(denominators):
        raise ValueError("paired rounds need as many numerators as denominators")
    return median_interval([a / b for a, b in zip(numerators, denominators, strict=True)])


def noise_band(aa: Estimate) -> float:
    """How far from 1.0 the A/A interval reaches, as a fraction (0.02 is +-2%)."""
    return max(1.0 - aa.low, aa.high - 1.0, 0.0)


def format_ratio(estimate: dict[str, Any] | None, digits: int = 3) -> str:
    """``0.957 [0.941-0.972]``, or ``no difference [0.98-1.02]`` when the interval holds 1.0."""
    if estimate is None:
        return "-"
    interval = f"[{estimate['low']:.{digits}f}-{estimate['high']:.{digits}f}]"
    if estimate["no_difference"]:
        return f"no difference {interval}"
    return f"{estimate['median']:.{digits}f} {interval}"
