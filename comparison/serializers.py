"""
``figures.json``: everything the dashboard shows, as data, read from the same
``comparison.selectors.Figures``. Lanes are keyed by their registry name,
refusals by their outcome; times are microseconds.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.outcomes import Outcome
from comparison.sources import Source
from comparison.stats import BOUNDS_US


class TimingSerializer(serializers.Serializer):
    requests = serializers.IntegerField()
    mean_us = serializers.FloatField(allow_null=True)
    p50_us = serializers.FloatField(source="p50", allow_null=True)
    p95_us = serializers.FloatField(source="p95", allow_null=True)
    p99_us = serializers.FloatField(source="p99", allow_null=True)
    histogram = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Requests per bucket of latency_bucket_bounds_us; the last, above them all.",
    )


# DRF collects declared fields through its metaclass; the stubs mistake a field
# named like a Field attribute (label, source) for that attribute.
class RefusalSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]
    requests = serializers.IntegerField()
    auth_us = TimingSerializer(
        source="timing", help_text="Steps that found the DB connection open."
    )


class LaneSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]
    colour = serializers.CharField()
    consults = serializers.CharField()
    requests = serializers.IntegerField()
    accepted = serializers.IntegerField()
    refused = serializers.IntegerField()
    credential_bytes = serializers.FloatField(
        allow_null=True, help_text="Mean over accepted requests."
    )
    redis_per_request = serializers.FloatField(
        allow_null=True, help_text="Mean over accepted requests."
    )
    db_per_request = serializers.FloatField(
        allow_null=True, help_text="Mean over accepted requests."
    )
    auth_us = TimingSerializer(
        source="timing",
        help_text="Accepted requests whose auth step found the database connection open.",
    )
    connecting_auth_us = TimingSerializer(
        source="connecting",
        help_text="Auth steps (accepted or not) that opened the database connection themselves: "
        "mostly the connection's setup, shown apart.",
    )
    refusals = serializers.DictField(
        child=RefusalSerializer(), help_text="Keyed by outcome: " + ", ".join(Outcome.values)
    )


class MinutesSerializer(serializers.Serializer):
    minutes = serializers.ListField(child=serializers.DateTimeField())
    lanes = serializers.DictField(
        source="per_minute",
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="Keyed by lane name: requests in each of the minutes.",
    )


class ClaimSerializer(serializers.Serializer):
    topic = serializers.CharField()
    commonly_said = serializers.CharField()
    measured = serializers.CharField()


class DrillLaneSerializer(serializers.Serializer):
    bound_seconds = serializers.FloatField(allow_null=True)
    accepted_after = serializers.IntegerField()
    first_rejection_seconds = serializers.FloatField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)


class DrillSerializer(serializers.Serializer):
    started_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField()
    access_lifetime_seconds = serializers.IntegerField(
        help_text="The drill's own access-token lifetime, not the site's."
    )
    access_expires_at = serializers.DateTimeField(allow_null=True)
    cadence_seconds = serializers.FloatField()
    results = serializers.DictField(child=DrillLaneSerializer())


class RoleDrillLaneSerializer(serializers.Serializer):
    role_from = serializers.CharField(help_text="Where the lane reads the role from.")
    bound_seconds = serializers.FloatField(
        allow_null=True, help_text="null: until the session ends."
    )
    honoured_after = serializers.IntegerField()
    first_refusal_seconds = serializers.FloatField(allow_null=True)
    refusal = serializers.CharField(allow_blank=True)
    why = serializers.CharField()


class RoleDrillLanesField(serializers.DictField):
    """A role drill's lanes, keyed by lane name."""

    child = RoleDrillLaneSerializer()

    def to_representation(self, value: Any) -> dict[str, Any]:
        return {row.lane: self.child.to_representation(row) for row in value}


class RoleDrillSerializer(serializers.Serializer):
    started_at = serializers.DateTimeField(source="run.started_at")
    demoted_at = serializers.DateTimeField(source="run.demoted_at")
    access_lifetime_seconds = serializers.IntegerField(
        source="run.access_lifetime_seconds",
        help_text="The drill's own access-token lifetime, not the site's.",
    )
    access_expires_at = serializers.DateTimeField(source="run.access_expires_at")
    cadence_seconds = serializers.FloatField(source="run.cadence_seconds")
    lanes = RoleDrillLanesField()


class LaneRevocationSerializer(serializers.Serializer):
    bound_seconds = serializers.FloatField(allow_null=True)
    accepted_after = serializers.IntegerField()
    first_rejection_seconds = serializers.FloatField(allow_null=True)
    first_rejection_reason = serializers.CharField(allow_blank=True)


class LaneRevocationsField(serializers.DictField):
    """A revocation's per-lane outcomes, keyed by lane name."""

    child = LaneRevocationSerializer()

    def to_representation(self, value: Any) -> dict[str, Any]:
        return {outcome.lane: self.child.to_representation(outcome) for outcome in value}


class RevocationSerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="event.created_at")
    reason = serializers.CharField(source="event.reason")
    reason_label = serializers.CharField(source="event.get_reason_display")
    username = serializers.CharField(source="event.user.username")
    actor = serializers.CharField(source="event.actor.username", allow_null=True, default=None)
    lanes = LaneRevocationsField()


class FiguresSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=Source.choices)  # type: ignore[assignment]
    sources = serializers.ListField(
        child=serializers.CharField(), help_text="The values source can take."
    )
    instance = serializers.CharField(allow_null=True, help_text="null: every instance.")
    instances = serializers.ListField(child=serializers.CharField())
    requests = serializers.IntegerField()
    pending_samples = serializers.SerializerMethodField(
        help_text="Samples the process that answered has queued and not yet written."
    )
    dropped_samples = serializers.IntegerField()
    latency_bucket_bounds_us = serializers.SerializerMethodField()
    lanes = serializers.DictField(child=LaneSerializer(), help_text="Keyed by lane name.")
    requests_per_minute = MinutesSerializer(source="*")
    claims = ClaimSerializer(many=True)
    revocations = RevocationSerializer(
        many=True, allow_null=True, help_text="Staff only: null for everyone else."
    )
    drill = DrillSerializer(allow_null=True)
    role_drill = RoleDrillSerializer(allow_null=True)
    benchmark = serializers.JSONField(
        source="benchmark.report", allow_null=True, default=None, help_text="As authbench wrote it."
    )

    def get_pending_samples(self, figures: object) -> int:
        return self.context["pending_samples"]

    def get_latency_bucket_bounds_us(self, figures: object) -> list[float]:
        return list(BOUNDS_US)
