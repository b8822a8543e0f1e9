import os
import subprocess
import sys
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comparison.models import (
    ROLLUP_SUMS,
    AuthDayRollup,
    AuthRollup,
    AuthSample,
    LatencyBucket,
    Rollup,
)
from comparison.seed import SYNTHETIC_PATH, seed_samples
from comparison.sources import Source
from comparison.stats import BUCKET_COUNT

pytestmark = pytest.mark.django_db


def _sums_by_lane(rollup: type[Rollup]) -> dict[str, float]:
    sums = {f"{name}_total": Sum(name) for name in ROLLUP_SUMS}
    rows = rollup.objects.values("lane", "outcome").annotate(**sums).order_by()
    return {f"{row['lane']} {row['outcome']} {name}": row[name] for row in rows for name in sums}


def test_seeded_history_is_counted_everywhere_and_kept_bounded(settings, client: Client) -> None:
    settings.COMPARISON_RAW_SAMPLES_KEPT = 100

    seed_samples(requests=5_000, days=2)

    for rows in (AuthRollup, AuthDayRollup, LatencyBucket):
        assert rows.objects.aggregate(total=Sum("requests"))["total"] == 5_000, rows
    assert _sums_by_lane(AuthDayRollup) == pytest.approx(_sums_by_lane(AuthRollup))
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
    for rows in (AuthRollup, AuthDayRollup):
        total = rows.objects.aggregate(total=Sum("requests"))["total"]
        assert total == 1_000 + recorded_requests, rows


def test_seeding_adds_to_rows_of_its_own_never_to_recorded_ones() -> None:
    # A day the seeded history always covers, whatever the time of day.
    yesterday = (timezone.now() - timedelta(days=1)).date()
    for instance, db_connected in (("web-1", False), ("web-2", False), ("", True)):
        LatencyBucket.objects.bulk_create(
            LatencyBucket(
                day=yesterday,
                instance=instance,
                lane="session",
                outcome="accepted",
                db_connected=db_connected,
                bucket=bucket,
                requests=1,
            )
            for bucket in range(BUCKET_COUNT)
        )

    seed_samples(requests=6_000, days=1)

    recorded = LatencyBucket.objects.exclude(instance="", db_connected=False)
    assert set(recorded.values_list("requests", flat=True)) == {1}
    total = LatencyBucket.objects.aggregate(total=Sum("requests"))["total"]
    assert total == 6_000 + 3 * BUCKET_COUNT


def test_seeded_samples_stand_in_for_the_source_asked_for(client: Client) -> None:
    seed_samples(requests=300, days=1, source=Source.SOAK)

    live = client.get(reverse("comparison:figures")).json()
    soak = client.get(reverse("comparison:figures"), {"source": "soak"}).json()

    assert live["requests"] == 0
    assert soak["requests"] == 300
    assert set(AuthSample.objects.values_list("source", flat=True)) == {"soak"}


def test_seed_samples_adds_them_for_the_source_asked_for(settings, capsys) -> None:
    settings.DEBUG = True

    call_command("seed_samples", requests=200, days=1, source="bench")

    assert "Added 200 synthetic bench samples." in capsys.readouterr().out
    assert (
        AuthRollup.objects.filter(source="bench").aggregate(total=Sum("requests"))["total"] == 200
    )


def test_seed_samples_on_an_unmigrated_database_says_to_migrate_in_one_line(tmp_path) -> None:
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "seed_samples", "--requests=10"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "run `python manage.py migrate`" in result.stderr
