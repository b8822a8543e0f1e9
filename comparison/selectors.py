"""
Reads for the dashboard and ``figures.json``: per-lane figures, refusals,
timelines, revocations.

Every figure is for one source (``comparison.sources``: live traffic unless
asked otherwise) and, optionally, one app instance. A lane's credential size,
lookups per request and auth-step times are over its accepted requests only;
refusals have their own table, with their own times. A step that had to open
a database connection is timed apart from the others: its time is mostly the
connection's setup, not the lane's cost.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings

from accounts import lanes
from accounts.lanes import Lane
from accounts.models import RevocationEvent
from accounts.outcomes import Outcome
from accounts.timewords import duration_words
from comparison.models import (
    AuthDayRollup,
    AuthRollup,
    AuthSample,
    BenchmarkRun,
    DrillRun,
    LatencyBucket,
    RecorderDrop,
    RoleDrillRun,
)
from comparison.sources import Source
from comparison.stats import BUCKET_COUNT, percentile

ACCEPTED = Outcome.ACCEPTED


@dataclass
class Timing:
    """Auth-step times of a set of requests; percentiles come from the fixed buckets."""

    requests: int = 0
    auth_us_sum: float = 0.0
    histogram: list[int] = field(default_factory=lambda: [0] * BUCKET_COUNT)

    @property
    def mean_us(self) -> float | None:
        return self.auth_us_sum / self.requests if self.requests else None

    @property
    def p50(self) -> float | None:
        return percentile(self.histogram, 0.50)

    @property
    def p95(self) -> float | None:
        return percentile(self.histogram, 0.95)

    @property
    def p99(self) -> float | None:
        return percentile(self.histogram, 0.99)


@dataclass
class Refusal:
    """One reason a lane turned requests away: how many, and how long deciding took."""

    outcome: str
    label: str
    requests: int = 0
    timing: Timing = field(default_factory=Timing)


@dataclass
class LaneFigures:
    lane: str
    label: str
    colour: str
    consults: str
    accepted: int = 0
    redis_sum: int = 0
    db_sum: int = 0
    bytes_sum: int = 0
    # Accepted requests whose step found the database connection open.
    timing: Timing = field(default_factory=Timing)
    # Steps (accepted or not) that opened the database connection themselves.
    connecting: Timing = field(default_factory=Timing)
    refusals: dict[str, Refusal] = field(default_factory=dict)

    @property
    def refused(self) -> int:
        return sum(refusal.requests for refusal in self.refusals.values())

    @property
    def requests(self) -> int:
        return self.accepted + self.refused

    def _per_accepted(self, total: float) -> float | None:
        return total / self.accepted if self.accepted else None

    @property
    def redis_per_request(self) -> float | None:
        return self._per_accepted(self.redis_sum)

    @property
    def db_per_request(self) -> float | None:
        return self._per_accepted(self.db_sum)

    @property
    def credential_bytes(self) -> float | None:
        return self._per_accepted(self.bytes_sum)

    @property
    def mean_us(self) -> float | None:
        return self.timing.mean_us

    @property
    def p50(self) -> float | None:
        return self.timing.p50

    @property
    def p95(self) -> float | None:
        return self.timing.p95

    @property
    def p99(self) -> float | None:
        return self.timing.p99

    @property
    def histogram(self) -> list[int]:
        return self.timing.histogram

    def timing_of(self, *, outcome: str, db_connected: bool) -> Timing:
        """Where the times of requests with this outcome and connection state are counted."""
        if db_connected:
            return self.connecting
        if outcome == ACCEPTED:
            return self.timing
        return self.refusal(outcome).timing

    def refusal(self, outcome: str) -> Refusal:
        if outcome not in self.refusals:
            label = Outcome(outcome).label if outcome in Outcome.values else outcome
            self.refusals[outcome] = Refusal(outcome=outcome, label=label)
        return self.refusals[outcome]


def instance_names() -> list[str]:
    """
    The named app instances that have recorded samples, for splitting the
    figures. Rows with no name (seeded history, say) count under "all" only.
    """
    return list(
        AuthDayRollup.objects.exclude(instance="")
        .values_list("instance", flat=True)
        .distinct()
        .order_by()
    )


def _where(*, source: str, instance: str | None) -> Q:
    return Q(source=source) if instance is None else Q(source=source, instance=instance)


def lane_figures(*, source: str = Source.LIVE, instance: str | None = None) -> list[LaneFigures]:
    """Every lane of the registry, in its order: accepted figures, refusals, latency histograms."""
    figures = {
        lane.name: LaneFigures(
            lane=lane.name, label=lane.label, colour=lane.colour, consults=lane.consults
        )
        for lane in lanes.LANES
    }
    where = _where(source=source, instance=instance)
    # Per day, not per minute: a few rows a day however long the history.
    rollups = (
        AuthDayRollup.objects.filter(where)
        .values("lane", "outcome", "db_connected")
        .annotate(
            requests_total=Sum("requests"),
            auth_us_total=Sum("auth_us_sum"),
            redis_total=Sum("redis_round_trips_sum"),
            db_total=Sum("db_queries_sum"),
            bytes_total=Sum("credential_bytes_sum"),
        )
    )
    for row in rollups:
        lane = figures.get(row["lane"])
        if lane is None:
            continue
        if row["outcome"] == ACCEPTED:
            lane.accepted += row["requests_total"]
            lane.redis_sum += row["redis_total"]
            lane.db_sum += row["db_total"]
            lane.bytes_sum += row["bytes_total"]
        else:
            lane.refusal(row["outcome"]).requests += row["requests_total"]
        timing = lane.timing_of(outcome=row["outcome"], db_connected=row["db_connected"])
        timing.requests += row["requests_total"]
        timing.auth_us_sum += row["auth_us_total"]
    buckets = (
        LatencyBucket.objects.filter(where)
        .values("lane", "outcome", "db_connected", "bucket")
        .annotate(total=Sum("requests"))
    )
    for bucket in buckets:
        lane = figures.get(bucket["lane"])
        if lane is not None and bucket["bucket"] < BUCKET_COUNT:
            timing = lane.timing_of(outcome=bucket["outcome"], db_connected=bucket["db_connected"])
            timing.histogram[bucket["bucket"]] += bucket["total"]
    return list(figures.values())


def requests_per_minute(
    *, minutes: int = 60, source: str = Source.LIVE, instance: str | None = None
) -> tuple[list[datetime], dict[str, list[int]]]:
    """Requests per lane for each of the last ``minutes`` minutes, oldest first."""
    end = timezone.now().replace(second=0, microsecond=0)
    start = end - timedelta(minutes=minutes - 1)
    axis = [start + timedelta(minutes=i) for i in range(minutes)]
    index = {minute: i for i, minute in enumerate(axis)}
    series: dict[str, list[int]] = {lane.name: [0] * minutes for lane in lanes.LANES}
    rows = (
        AuthRollup.objects.filter(_where(source=source, instance=instance), minute__gte=start)
        .values("minute", "lane")
        .annotate(total=Sum("requests"))
    )
    for row in rows:
        if (i := index.get(row["minute"])) is not None and row["lane"] in series:
            series[row["lane"]][i] += row["total"]
    return axis, series


# ------------------------------------------------------------------ revocations
def promised_bound(
    *, lane: Lane, expires_at: datetime | None, revoked_at: datetime
) -> float | None:
    """
    The longest ``lane`` may go on accepting a credential revoked at
    ``revoked_at``, in seconds: none for a lane that checks revocation, else
    until that credential expires, plus the leeway tokens are checked with.
    None when the credential's expiry is not known. The revocation panel and
    the drill both take their bounds from here, from the credential held.
    """
    if lane.revoked_at_once:
        return 0.0
    if expires_at is None:
        return None
    leeway = api_settings.LEEWAY.total_seconds()
    return max(0.0, (expires_at - revoked_at).total_seconds() + leeway)


@dataclass
class LaneRevocation:
    lane: str
    bound_seconds: float | None
    accepted_after: int
    first_rejection_seconds: float | None
    first_rejection_reason: str


def revocation_outcomes(*, event: RevocationEvent) -> list[LaneRevocation]:
    """
    Per lane: requests made with credentials the user held before ``event``
    that were still accepted after it, how long until the first refusal, and
    the bound the lane promised for those very credentials. Read from the raw
    samples, whatever their source, so only as far back as they are kept.
    """
    credentials = set(
        AuthSample.objects.filter(
            user_id=event.user_id, at__lt=event.created_at, outcome=ACCEPTED
        ).values_list("credential_id", flat=True)
    )
    credentials.discard("")
    expiry = dict(
        AuthSample.objects.filter(credential_id__in=credentials)
        .values("credential_id")
        .annotate(latest=Max("credential_expires_at"))
        .values_list("credential_id", "latest")
    )
    after = AuthSample.objects.filter(credential_id__in=credentials, at__gte=event.created_at)
    seen: dict[str, set[str]] = defaultdict(set)
    for lane_name, credential_id in after.values_list("lane", "credential_id").distinct():
        seen[lane_name].add(credential_id)
    accepted = dict(
        after.filter(outcome=ACCEPTED)
        .values("lane")
        .annotate(n=Count("id"))
        .values_list("lane", "n")
    )
    first_rejections = {
        row["lane"]: row["first"]
        for row in after.exclude(outcome=ACCEPTED).values("lane").annotate(first=Min("at"))
    }
    outcomes = []
    for lane in lanes.LANES:
        if lane.name not in seen:
            continue
        first = first_rejections.get(lane.name)
        reason = (
            after.filter(lane=lane.name, at=first).values_list("outcome", flat=True).first()
            if first
            else ""
        )
        expiries = [expiry[c] for c in seen[lane.name] if expiry.get(c) is not None]
        outcomes.append(
            LaneRevocation(
                lane=lane.name,
                bound_seconds=promised_bound(
                    lane=lane,
                    expires_at=max(expiries) if expiries else None,
                    revoked_at=event.created_at,
                ),
                accepted_after=accepted.get(lane.name, 0),
                first_rejection_seconds=(first - event.created_at).total_seconds()
                if first
                else None,
                first_rejection_reason=Outcome(reason).label if reason else "",
            )
        )
    return outcomes


@dataclass
class Revocation:
    event: RevocationEvent
    lanes: list[LaneRevocation]


def recent_revocations(*, limit: int = 5) -> list[Revocation]:
    """The latest revocations of real accounts; the playground's demo accounts never appear."""
    events = RevocationEvent.objects.filter(user__is_demo=False).select_related("user", "actor")
    return [Revocation(event, revocation_outcomes(event=event)) for event in events[:limit]]


def latest_drill() -> DrillRun | None:
    return DrillRun.objects.order_by("-started_at").first()


ROLE_SOURCE_LABELS = {
    lanes.RoleSource.USER_ROW: "the user row, on every request",
    lanes.RoleSource.SESSION_SNAPSHOT: "the session's copy, taken at login",
    lanes.RoleSource.TOKEN_CLAIM: "the token's claim",
}


@dataclass(frozen=True)
class RoleDrillLane:
    lane: str
    label: str
    colour: str
    role_from: str
    bound_seconds: float | None
    honoured_after: int
    first_refusal_seconds: float | None
    refusal: str
    why: str


class RoleDrill(NamedTuple):
    run: RoleDrillRun
    lanes: list[RoleDrillLane]


def latest_role_drill() -> RoleDrill | None:
    """The last role drill and its lanes, labelled from the registry; None before the first."""
    drill = RoleDrillRun.objects.order_by("-started_at").first()
    if drill is None:
        return None
    rows = []
    for name, result in drill.results.items():
        lane = lanes.BY_NAME.get(name)
        rows.append(
            RoleDrillLane(
                lane=name,
                label=lane.label if lane else name,
                colour=lane.colour if lane else "#999999",
                role_from=ROLE_SOURCE_LABELS.get(result["role_from"], result["role_from"]),
                bound_seconds=result["bound_seconds"],
                honoured_after=result["honoured_after"],
                first_refusal_seconds=result["first_refusal_seconds"],
                refusal=result["refusal"],
                why=result["why"],
            )
        )
    return RoleDrill(drill, rows)


def latest_benchmark() -> BenchmarkRun | None:
    return BenchmarkRun.objects.order_by("-created_at").first()


def dropped_samples() -> int:
    return RecorderDrop.objects.aggregate(total=Sum("samples"))["total"] or 0


# ------------------------------------------------------------------ claims
@dataclass(frozen=True)
class Claim:
    topic: str
    commonly_said: str
    measured: str


def _fmt(value: float | None, unit: str, digits: int = 0) -> str:
    return "not measured yet" if value is None else f"{value:,.{digits}f} {unit}"


def _revocation_claim(drill: DrillRun | None) -> str:
    lifetime = api_settings.ACCESS_TOKEN_LIFETIME.total_seconds()
    leeway = api_settings.LEEWAY.total_seconds()
    waiting = [lane.name for lane in lanes.LANES if not lane.revoked_at_once]
    promise = (
        f"This site's access tokens live {duration_words(lifetime)}, so {', '.join(waiting)} "
        f"accept a revoked user's token for up to {duration_words(lifetime + leeway)}; "
        "the others refuse it at once."
    )
    if drill is None:
        return f"{promise} Run `make drill` to measure it."
    refusals = "; ".join(
        f"{lane}: "
        + (
            "still accepted when the drill ended"
            if result["first_rejection_seconds"] is None
            else f"refused after {duration_words(round(result['first_rejection_seconds'], 1))}"
        )
        for lane, result in drill.results.items()
    )
    return (
        f"{promise} The last drill, with access tokens of "
        f"{duration_words(drill.access_lifetime_seconds)}: {refusals}."
    )


def claims(
    *, by_lane: dict[str, LaneFigures], drill: DrillRun | None, benchmark: BenchmarkRun | None
) -> list[Claim]:
    """The usual arguments of the debate, each next to what this site measured."""
    session, snapshot = by_lane[lanes.SESSION.name], by_lane[lanes.SNAPSHOT.name]
    stateless = by_lane[lanes.STATELESS.name]
    floors = (benchmark.report.get("floors", {}) if benchmark else {}) or {}
    redis_floor = floors.get("redis_get_us")
    lookups = "; ".join(
        f"{figures.label}: {_fmt(figures.redis_per_request, 'Redis', 2)}, "
        f"{_fmt(figures.db_per_request, 'SQL', 2)}"
        for figures in by_lane.values()
        if figures.accepted
    )
    return [
        Claim(
            topic="Credential size",
            commonly_said="A session id is a few dozen bytes; a JWT is hundreds to "
            "over a thousand, sent with every request.",
            measured=f"session cookie {_fmt(session.credential_bytes, 'bytes')}, "
            f"JWT Authorization header {_fmt(stateless.credential_bytes, 'bytes')} "
            "(means over accepted requests)",
        ),
        Claim(
            topic="Cost of a Redis session lookup",
            commonly_said="Looking a session up in Redis takes around half a millisecond.",
            measured=f"whole session auth step, median {_fmt(session.p50, 'µs')} "
            f"(one Redis read and one user query); snapshot lane (one Redis read, no query) "
            f"{_fmt(snapshot.p50, 'µs')}; one bare Redis GET "
            f"{_fmt(redis_floor, 'µs', 1)} in the last benchmark",
        ),
        Claim(
            topic="Lookups per request",
            commonly_said="Sessions pay a store lookup on every request; a JWT pays none.",
            measured=lookups or "no accepted requests recorded yet",
        ),
        Claim(
            topic="Time to effective revocation",
            commonly_said="Deleting a session works at once; a JWT stays valid until it expires.",
            measured=_revocation_claim(drill),
        ),
    ]


# ------------------------------------------------------------------ everything the dashboard shows
@dataclass
class Figures:
    source: str
    instance: str | None
    instances: list[str]
    lanes: dict[str, LaneFigures]
    minutes: list[datetime]
    per_minute: dict[str, list[int]]
    claims: list[Claim]
    drill: DrillRun | None
    role_drill: RoleDrill | None
    benchmark: BenchmarkRun | None
    dropped_samples: int
    # None when the viewer may not see who was revoked (only staff may).
    revocations: list[Revocation] | None

    @property
    def requests(self) -> int:
        return sum(figures.requests for figures in self.lanes.values())

    @property
    def refused(self) -> int:
        return sum(figures.refused for figures in self.lanes.values())

    @property
    def connecting(self) -> int:
        return sum(figures.connecting.requests for figures in self.lanes.values())

    @property
    def sources(self) -> list[str]:
        return list(Source.values)

    @property
    def source_label(self) -> str:
        return Source(self.source).label


def dashboard_figures(
    *, source: str = Source.LIVE, instance: str | None = None, staff: bool = False
) -> Figures:
    """
    Everything the dashboard shows, for one source and optionally one instance
    (an instance that recorded nothing means all of them). Revocations name
    people and security events: they are read for staff only.
    """
    instances = instance_names()
    if instance not in instances:
        instance = None
    by_lane = {figures.lane: figures for figures in lane_figures(source=source, instance=instance)}
    minutes, per_minute = requests_per_minute(minutes=60, source=source, instance=instance)
    drill, benchmark = latest_drill(), latest_benchmark()
    return Figures(
        source=source,
        instance=instance,
        instances=instances,
        lanes=by_lane,
        minutes=minutes,
        per_minute=per_minute,
        claims=claims(by_lane=by_lane, drill=drill, benchmark=benchmark),
        drill=drill,
        role_drill=latest_role_drill(),
        benchmark=benchmark,
        dropped_samples=dropped_samples(),
        revocations=recent_revocations(limit=5) if staff else None,
    )
