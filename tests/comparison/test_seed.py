from http import HTTPStatus

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from comparison.models import AuthRollup, AuthSample, LatencyBucket
from comparison.seed import SYNTHETIC_PATH, seed_samples
from comparison.sources import Source

pytestmark = pytest.mark.django_db


def test_seeded_history_is_counted_everywhere_and_kept_bounded(settings, client: Client) -> None:
    settings.COMPARISON_RAW_SAMPLES_KEPT = 100

    seed_samples(requests=5_000, days=2)

    assert AuthRollup.objects.aggregate(total=Sum("requests"))["total"] == 5_000
    assert LatencyBucket.objects.aggregate(total=Sum("requests"))["total"] == 5_000
    assert AuthSample.objects.count() == 100
    assert set(AuthSample.objects.values_list("path", flat=True)) == {SYNTHETIC_PATH}
    response = client.get(reverse("comparison:dashboard"))
    assert response.status_code == HTTPStatus.OK
    assert b"5000 requests recorded" in response.content


def test_seeding_ends_where_recorded_history_begins(session_client: Client, flush_samples) -> None:
    session_client.get(reverse("accounts:session-home"))
    flush_samples()
    recorded_rows = AuthRollup.objects.count()
    recorded_requests = AuthRollup.objects.aggregate(total=Sum("requests"))["total"]
    earliest = AuthRollup.objects.order_by("minute").first().minute

    seed_samples(requests=1_000, days=1)

    assert AuthRollup.objects.filter(minute__gte=earliest).count() == recorded_rows
    assert AuthRollup.objects.aggregate(total=Sum("requests"))["total"] == 1_000 + recorded_requests


def test_seeded_samples_stand_in_for_the_source_asked_for(client: Client) -> None:
    seed_samples(requests=300, days=1, source=Source.SOAK)

    live = client.get(reverse("comparison:figures")).json()
    soak = client.get(reverse("comparison:figures"), {"source": "soak"}).json()

    assert live["requests"] == 0
    assert soak["requests"] == 300
    assert set(AuthSample.objects.values_list("source", flat=True)) == {"soak"}
