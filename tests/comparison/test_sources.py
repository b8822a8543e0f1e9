"""Every sample says where it came from; the figures show live traffic unless asked."""

from datetime import timedelta
from http import HTTPStatus

import jwt
import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.serializers import TokenObtainPairSerializer
from comparison.models import AuthRollup, AuthSample, LatencyBucket
from comparison.role_drill import run_role_drill
from comparison.sources import Source, sampled_as
from tests.helpers import bearer

pytestmark = pytest.mark.django_db


def sources_by_lane() -> set[tuple[str, str, str]]:
    return set(AuthSample.objects.values_list("lane", "outcome", "source"))


def test_playground_requests_are_the_playgrounds_without_a_query(flush_samples) -> None:
    visitor = Client()
    visitor.post(reverse("comparison:playground-session-login"))
    access = visitor.post(reverse("comparison:playground-jwt-login")).json()["access"]
    flush_samples()
    AuthSample.objects.all().delete()

    visitor.get(reverse("api:session-me"))
    visitor.get(reverse("api:snapshot-me"))
    for lane in ("stateless", "lookup", "denylist"):
        visitor.get(reverse(f"api:{lane}-me"), **bearer(access))
    # A refusal names no user: the playground's cookie tells.
    visitor.get(reverse("api:stateless-me"), HTTP_AUTHORIZATION="Bearer expired-or-garbage")
    flush_samples()

    assert sources_by_lane() == {
        ("session", "accepted", "playground"),
        ("snapshot", "accepted", "playground"),
        ("stateless", "accepted", "playground"),
        ("lookup", "accepted", "playground"),
        ("denylist", "accepted", "playground"),
        ("stateless", "malformed", "playground"),
    }


def test_only_the_playgrounds_tokens_carry_the_demo_claim(user) -> None:
    visitor = Client()
    demo_access = visitor.post(reverse("comparison:playground-jwt-login")).json()["access"]
    user_access = str(TokenObtainPairSerializer.get_token(user).access_token)

    assert jwt.decode(demo_access, options={"verify_signature": False})["is_demo"] is True
    assert "is_demo" not in jwt.decode(user_access, options={"verify_signature": False})


def test_ordinary_use_is_live(session_client, api_client, token_pair, flush_samples) -> None:
    session_client.get(reverse("api:session-me"))
    api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))
    Client().get(reverse("api:session-me"))
    flush_samples()

    assert {source for _, _, source in sources_by_lane()} == {"live"}


def test_requests_inside_sampled_as_are_marked_with_that_source(
    api_client, token_pair, flush_samples
) -> None:
    with sampled_as(Source.DRILL):
        api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))
    api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))
    flush_samples()

    assert list(AuthSample.objects.order_by("pk").values_list("source", flat=True)) == [
        "drill",
        "live",
    ]


def test_a_process_started_by_a_harness_marks_every_sample_even_a_demo_users(
    settings, flush_samples
) -> None:
    settings.COMPARISON_SAMPLE_SOURCE = "soak"
    visitor = Client()
    visitor.post(reverse("comparison:playground-session-login"))

    visitor.get(reverse("api:session-me"))
    flush_samples()

    assert {source for _, _, source in sources_by_lane()} == {"soak"}
    assert set(AuthRollup.objects.values_list("source", flat=True)) == {"soak"}
    assert set(LatencyBucket.objects.values_list("source", flat=True)) == {"soak"}


def test_the_figures_show_live_traffic_unless_another_source_is_asked_for(
    client, token_pair, flush_samples
) -> None:
    api = APIClient()
    api.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))
    with sampled_as(Source.DRILL):
        for _ in range(3):
            api.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))
    flush_samples()

    live_page = client.get(reverse("comparison:dashboard"))
    drill_page = client.get(reverse("comparison:dashboard"), {"source": "drill"})
    live_json = client.get(reverse("comparison:figures")).json()
    drill_json = client.get(reverse("comparison:figures"), {"source": "drill"}).json()

    assert live_page.context["by_lane"]["stateless"].requests == 1
    assert drill_page.context["by_lane"]["stateless"].requests == 3
    assert b'aria-current="page">drill</a>' in drill_page.content
    assert (live_json["source"], live_json["lanes"]["stateless"]["requests"]) == ("live", 1)
    assert (drill_json["source"], drill_json["lanes"]["stateless"]["requests"]) == ("drill", 3)


def test_an_unknown_source_is_a_clear_400_on_the_page_and_in_json(client) -> None:
    page = client.get(reverse("comparison:dashboard"), {"source": "everything"})
    data = client.get(reverse("comparison:figures"), {"source": "everything"})

    assert page.status_code == HTTPStatus.BAD_REQUEST
    assert b"There is no source" in page.content
    assert data.status_code == HTTPStatus.BAD_REQUEST
    assert data.json()["code"] == "invalid_filter"
    assert "live, playground, drill, bench, soak" in data.json()["detail"]


def test_a_sample_source_setting_that_names_no_source_fails_the_checks(settings) -> None:
    settings.COMPARISON_SAMPLE_SOURCE = "benchmark"

    with pytest.raises(SystemCheckError, match=r"comparison\.E001"):
        call_command("check")


def test_the_role_drills_requests_are_the_drills_too(settings) -> None:
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "LEEWAY": timedelta(0)}

    run_role_drill(access_lifetime=1, cadence=0.25, demote_after=0.25, margin=0.25)

    assert set(AuthSample.objects.values_list("source", flat=True)) == {"drill"}
