"""Reads for the dashboard: per-lane figures, timelines, revocation outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Min, Sum
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings

from accounts import lanes
from accounts.models import RevocationEvent
from accounts.outcomes import Outcome
from comparison.models import (
    AuthRollup,
    AuthSample,
    BenchmarkRun,
    DrillRun,
    LatencyBucket,
    RecorderDrop,
    RoleDrillRun,
)
from comparison.stats import BUCKET_COUNT, percentile

ACCEPTED = Outcome.ACCEPTED


@dataclass
class LaneSummary:
    lane: str
    label: str
    colour: str
    requests: int = 0
    accepted: int = 0
    auth_us_sum: float = 0.0
    redis_sum: int = 0
    db_sum: int = 0
    bytes_sum: int = 0
    rejections: dict[str, int] = field(default_factory=dict)
    histogram: list[int] = field(default_factory=lambda: [0] * BUCKET_COUNT)

    def _per_request(self, total: float) -> float | None:
        return total / self.requests if self.requests else None

    @property
    def redis_per_request(self) -> float | None:
        return self._per_request(self.redis_sum)

    @property
    def db_per_request(self) -> float | None:
        return self._per_request(self.db_sum)

    @property
    def credential_bytes(self) -> float | None:
        return self._per_request(self.bytes_sum)

    @property
    def mean_us(self) -> float | None:
        return self._per_request(self.auth_us_sum)

    @property
    def p50(self) -> float | None:
        return percentile(self.histogram, 0.50)

    @property
    def p95(self) -> float | None:
        return percentile(self.histogram, 0.95)

    @property
    def p99(self) -> float | None:
        return percentile(self.histogram, 0.99)


def instance_names() -> list[str]:
    """The app instances that have recorded samples, for splitting the figures."""
    return list(AuthRollup.objects.values_list("instance", flat=True).distinct().order_by())


def lane_summaries(*, instance: str | None = None) -> list[LaneSummary]:
    """Every lane's totals, lookups per request, rejections and latency histogram."""
    where = {} if instance is None else {"instance": instance}
    summaries = {
        lane.name: LaneSummary(lane=lane.name, label=lane.label, colour=lane.colour)
        for lane in lanes.LANES
    }
    rollups = (
        AuthRollup.objects.filter(**where)
        .values("lane", "outcome")
        .annotate(
            requests_total=Sum("requests"),
            auth_us_total=Sum("auth_us_sum"),
            redis_total=Sum("redis_round_trips_sum"),
            db_total=Sum("db_queries_sum"),
            bytes_total=Sum("credential_bytes_sum"),
        )
    )
    for row in rollups:
        summary = summaries.get(row["lane"])
        if summary is None:
            continue
        summary.requests += row["requests_total"]
        summary.auth_us_sum += row["auth_us_total"]
        summary.redis_sum += row["redis_total"]
        summary.db_sum += row["db_total"]
        summary.bytes_sum += row["bytes_total"]
        if row["outcome"] == ACCEPTED:
            summary.accepted += row["requests_total"]
        else:
            summary.rejections[row["outcome"]] = row["requests_total"]
    buckets = (
        LatencyBucket.objects.filter(**where)
        .values("lane", "bucket")
        .annotate(total=Sum("requests"))
    )
    for bucket_row in buckets:
        summary = summaries.get(bucket_row["lane"])
        if summary is not None and bucket_row["bucket"] < BUCKET_COUNT:
            summary.histogram[bucket_row["bucket"]] += bucket_row["total"]
    return list(summaries.values())


def requests_per_minute(
    *, minutes: int = 60, instance: str | None = None
) -> tuple[list[datetime], dict[str, list[int]]]:
    """Requests per lane for each of the last ``minutes`` minutes, oldest first."""
    end = timezone.now().replace(second=0, microsecond=0)
    start = end - timedelta(minutes=minutes - 1)
    axis = [start + timedelta(minutes=i) for i in range(minutes)]
    index = {minute: i for i, minute in enumerate(axis)}
    series: dict[str, list[int]] = {lane.name: [0] * minutes for lane in lanes.LANES}
    where = {} if instance is None else {"instance": instance}
    rows = (
        AuthRollup.objects.filter(minute__gte=start, **where)
        .values("minute", "lane")
        .annotate(total=Sum("requests"))
    )
    for row in rows:
        if (i := index.get(row["minute"])) is not None and row["lane"] in series:
            series[row["lane"]][i] += row["total"]
    return axis, series


def revocation_bounds(*, access_lifetime: float | None = None) -> dict[str, float]:
    """
    The longest each lane may keep accepting a revoked user's credentials, in
    seconds. The lookup lane notices deactivation at once, but a revocation
    alone only when the access token expires, like the stateless lanes.
    """
    if access_lifetime is None:
        access_lifetime = api_settings.ACCESS_TOKEN_LIFETIME.total_seconds()
    expiry = access_lifetime + api_settings.LEEWAY.total_seconds()
    return {lane.name: 0.0 if lane.revoked_at_once else expiry for lane in lanes.LANES}


@dataclass
class LaneRevocation:
    lane: str
    bound_seconds: float
    accepted_after: int
    first_rejection_seconds: float | None
    first_rejection_reason: str


def revocation_outcomes(*, event: RevocationEvent) -> list[LaneRevocation]:
    """
    Per lane: requests made with credentials the user held before ``event``
    that were still accepted after it, and how long until the first refusal.
    Read from the raw samples, so only as far back as they are kept.
    """
    credentials = set(
        AuthSample.objects.filter(
            user_id=event.user_id, at__lt=event.created_at, outcome=ACCEPTED
        ).values_list("credential_id", flat=True)
    )
    credentials.discard("")
    after = AuthSample.objects.filter(credential_id__in=credentials, at__gte=event.created_at)
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
    bounds = revocation_bounds()
    outcomes = []
    for lane in lanes.LANES:
        first = first_rejections.get(lane.name)
        if lane.name not in accepted and first is None:
            continue
        reason = (
            after.filter(lane=lane.name, at=first).values_list("outcome", flat=True).first()
            if first
            else ""
        )
        outcomes.append(
            LaneRevocation(
                lane=lane.name,
                bound_seconds=bounds[lane.name],
                accepted_after=accepted.get(lane.name, 0),
                first_rejection_seconds=(first - event.created_at).total_seconds()
                if first
                else None,
                first_rejection_reason=Outcome(reason).label if reason else "",
            )
        )
    return outcomes


def recent_revocations(*, limit: int = 5) -> list[tuple[RevocationEvent, list[LaneRevocation]]]:
    events = RevocationEvent.objects.select_related("user", "actor")[:limit]
    return [(event, revocation_outcomes(event=event)) for event in events]


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


def latest_role_drill() -> tuple[RoleDrillRun, list[RoleDrillLane]] | None:
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
    return drill, rows


def latest_benchmark() -> BenchmarkRun | None:
    return BenchmarkRun.objects.order_by("-created_at").first()


def dropped_samples() -> int:
    return RecorderDrop.objects.aggregate(total=Sum("samples"))["total"] or 0


@dataclass(frozen=True)
class Claim:
    topic: str
    commonly_said: str
    measured: str


def _fmt(value: float | None, unit: str, digits: int = 0) -> str:
    return "not measured yet" if value is None else f"{value:,.{digits}f} {unit}"


def claims(
    *, by_lane: dict[str, LaneSummary], drill: DrillRun | None, benchmark: BenchmarkRun | None
) -> list[Claim]:
    """The usual arguments of the debate, each next to what this site measured."""
    session, stateless = by_lane[lanes.SESSION.name], by_lane[lanes.STATELESS.name]
    floors = (benchmark.report.get("floors", {}) if benchmark else {}) or {}
    redis_floor = floors.get("redis_get_us")
    lookups = "; ".join(
        f"{summary.label}: {_fmt(summary.redis_per_request, 'Redis', 2)}, "
        f"{_fmt(summary.db_per_request, 'SQL', 2)}"
        for summary in by_lane.values()
        if summary.requests
    )
    if drill is not None:
        revocation = "; ".join(
            f"{lane}: "
            + (
                "still accepted when the drill ended"
                if result["first_rejection_seconds"] is None
                else f"refused after {result['first_rejection_seconds']:.1f} s"
            )
            for lane, result in drill.results.items()
        )
    else:
        revocation = "run `python manage.py revocation_drill` to measure it"
    return [
        Claim(
            topic="Credential size",
            commonly_said="A session id is a few dozen bytes; a JWT is hundreds to "
            "over a thousand, sent with every request.",
            measured=f"session cookie {_fmt(session.credential_bytes, 'bytes')}, "
            f"JWT Authorization header {_fmt(stateless.credential_bytes, 'bytes')}",
        ),
        Claim(
            topic="Cost of a Redis session lookup",
            commonly_said="Looking a session up in Redis takes around half a millisecond.",
            measured=f"whole session auth step, median {_fmt(session.p50, 'µs')} "
            f"(one Redis read and one user query); one bare Redis GET "
            f"{_fmt(redis_floor, 'µs', 1)} in the last benchmark",
        ),
        Claim(
            topic="Lookups per request",
            commonly_said="Sessions pay a store lookup on every request; a JWT pays none.",
            measured=lookups or "no requests recorded yet",
        ),
        Claim(
            topic="Time to effective revocation",
            commonly_said="Deleting a session works at once; a JWT stays valid until it expires.",
            measured=revocation,
        ),
    ]
