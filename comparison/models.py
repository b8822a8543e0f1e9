"""
Where measurements are kept, bounded.

* ``AuthSample``: one row per authenticated request, but only the most recent
  ``COMPARISON_RAW_SAMPLES_KEPT``; the revocation analysis reads these.
* ``AuthRollup``: per minute, source, lane, outcome and whether the step
  opened a database connection: counts and sums. Kept for
  ``COMPARISON_RETENTION_DAYS``; the dashboard's last hour, minute by minute.
* ``AuthDayRollup``: the same counts and sums per day, written with the
  minute rollups; the dashboard's totals, which then read a few rows per day
  instead of one per minute (a week of traffic is ten thousand minutes).
* ``LatencyBucket``: per day and the same keys, a histogram of auth time on
  fixed log-spaced buckets; the dashboard's percentiles and distribution
  chart. Keyed by outcome, so an accepted request's percentile never mixes in
  a refusal's.
* ``RecorderDrop``: samples that could not be stored, counted, never silent.
"""

from django.db import models

from accounts.lanes import lane_choices
from accounts.outcomes import Outcome
from accounts.timewords import moment
from comparison.sources import Source

INSTANCE_HELP = "Which app instance served the request (settings.COMPARISON_INSTANCE_NAME)."
SOURCE_HELP = "What made the request: live use, the playground, the drill, the benchmark, the soak."
CONNECTED_HELP = (
    "The auth step opened the database connection, so its time includes the connection's "
    "setup: shown apart from the lane's own cost."
)


def source_field() -> models.CharField:
    return models.CharField(
        max_length=16, choices=Source.choices, default=Source.LIVE, help_text=SOURCE_HELP
    )


def connected_field() -> models.BooleanField:
    return models.BooleanField(default=False, help_text=CONNECTED_HELP)


class AuthSample(models.Model):
    # No index on the time alone: every read of raw rows names a user or a
    # credential first (the two indexes below), and the trim goes by id. An
    # index is one more B-tree the recorder writes for every request.
    at = models.DateTimeField()
    instance = models.CharField(max_length=64, default="", help_text=INSTANCE_HELP)
    source = source_field()
    lane = models.CharField(max_length=16, choices=lane_choices)
    path = models.CharField(max_length=200)
    status = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    auth_us = models.FloatField(help_text="Wall time of the authentication step, microseconds.")
    redis_round_trips = models.PositiveSmallIntegerField()
    db_queries = models.PositiveSmallIntegerField()
    credential_bytes = models.PositiveIntegerField()
    user_id = models.BigIntegerField(null=True, blank=True)
    credential_id = models.CharField(max_length=16, blank=True)
    credential_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the accepted credential expires (a token's exp claim): the longest a "
        "revocation can take on a lane that waits for expiry. Empty for sessions.",
    )
    db_connected = connected_field()

    class Meta:
        indexes = [
            models.Index(fields=["user_id", "at"]),
            models.Index(fields=["credential_id", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.lane} {self.outcome} {self.auth_us:.0f}µs at {self.at:%H:%M:%S}"


# What a rollup is keyed by, beside its minute or day, and what it adds up.
ROLLUP_KEY = ("instance", "source", "lane", "outcome", "db_connected")
ROLLUP_SUMS = (
    "requests",
    "auth_us_sum",
    "redis_round_trips_sum",
    "db_queries_sum",
    "credential_bytes_sum",
)


class Rollup(models.Model):
    """The counts and sums both rollups keep, per source, instance, lane, outcome, connection."""

    instance = models.CharField(max_length=64, default="", help_text=INSTANCE_HELP)
    source = source_field()
    lane = models.CharField(max_length=16, choices=lane_choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    db_connected = connected_field()
    requests = models.PositiveBigIntegerField(default=0)
    auth_us_sum = models.FloatField(default=0)
    redis_round_trips_sum = models.PositiveBigIntegerField(default=0)
    db_queries_sum = models.PositiveBigIntegerField(default=0)
    credential_bytes_sum = models.PositiveBigIntegerField(default=0)

    class Meta:
        abstract = True


class AuthRollup(Rollup):
    minute = models.DateTimeField()

    class Meta:
        constraints = [
            # Source first: every read of the dashboard filters by it. Its index also
            # serves the timeline's source = ? AND minute >= ?.
            models.UniqueConstraint(
                fields=["source", "minute", "instance", "lane", "outcome", "db_connected"],
                name="rollup_one_row_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.lane} {self.outcome}: {self.requests}"


class AuthDayRollup(Rollup):
    day = models.DateField(help_text="The UTC day of the requests, as the latency buckets'.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "day", "instance", "lane", "outcome", "db_connected"],
                name="day_rollup_one_row_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.lane} {self.outcome}: {self.requests}"


class LatencyBucket(models.Model):
    day = models.DateField()
    instance = models.CharField(max_length=64, default="", help_text=INSTANCE_HELP)
    source = source_field()
    lane = models.CharField(max_length=16, choices=lane_choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    db_connected = connected_field()
    bucket = models.PositiveSmallIntegerField(help_text="Index into comparison.stats.BOUNDS_US.")
    requests = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "source", "day", "instance", "lane", "outcome", "db_connected", "bucket"
                ],
                name="latency_one_row_per_key",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.day} {self.lane} {self.outcome} bucket {self.bucket}: {self.requests}"


class RecorderDrop(models.Model):
    at = models.DateTimeField(auto_now_add=True)
    samples = models.PositiveIntegerField()
    reason = models.CharField(max_length=200)

    def __str__(self) -> str:
        return f"{self.samples} samples dropped at {moment(self.at)}: {self.reason}"


class DrillRun(models.Model):
    """One run of ``manage.py revocation_drill``: the revocation table, measured."""

    started_at = models.DateTimeField()
    revoked_at = models.DateTimeField()
    access_lifetime_seconds = models.PositiveIntegerField()
    access_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the drill's access token expired: the bounds of the lanes that wait "
        "for expiry count from the revocation to this moment.",
    )
    cadence_seconds = models.FloatField()
    results = models.JSONField(help_text="Per lane: bound, accepted after revoke, time to reject.")

    class Meta:
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"Drill at {moment(self.started_at)}"


class RoleDrillRun(models.Model):
    """One run of ``manage.py role_drill``: how long each lane honoured a removed role."""

    started_at = models.DateTimeField()
    demoted_at = models.DateTimeField()
    access_lifetime_seconds = models.PositiveIntegerField()
    access_expires_at = models.DateTimeField(
        help_text="When the access tokens the drill issued (role included) expired."
    )
    cadence_seconds = models.FloatField()
    results = models.JSONField(
        help_text="Per lane: where it reads the role, its bound, requests honoured after the "
        "demotion, time to the first refusal and why."
    )

    class Meta:
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"Role drill at {moment(self.started_at)}"


class BenchmarkRun(models.Model):
    """One run of ``manage.py authbench``; the full JSON report is kept as written."""

    created_at = models.DateTimeField(auto_now_add=True)
    report = models.JSONField()

    class Meta:
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"Benchmark at {moment(self.created_at)}"
