import copy
from datetime import UTC, datetime
from http import HTTPStatus

import jwt
import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import user_revoke_access
from comparison import selectors
from comparison.models import AuthSample
from comparison.seed import seed_samples
from tests.helpers import bearer
from tools.processes import free_loopback_port

pytestmark = pytest.mark.django_db


def test_dashboard_renders_without_any_data(admin_client: Client) -> None:
    response = admin_client.get(reverse("comparison:dashboard"))

    assert response.status_code == HTTPStatus.OK
    assert b"0 requests recorded so far" in response.content
    assert b"No revocations yet" in response.content
    assert b"No drill yet" in response.content


# Instance names, per-lane totals, latency buckets, the last hour, the drill, the role
# drill, the benchmark, the dropped samples: one query each, however long the history.
DASHBOARD_QUERIES = 8


@pytest.mark.parametrize("days", [0, 1, 7])
@pytest.mark.parametrize("page", ["comparison:dashboard", "comparison:figures"])
def test_the_figures_take_the_same_few_queries_however_long_the_history(
    page: str, days: int, client: Client, settings, django_assert_num_queries
) -> None:
    settings.COMPARISON_RAW_SAMPLES_KEPT = 10
    if days:
        seed_samples(requests=20_000, days=days)

    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get(reverse(page))

    assert response.status_code == HTTPStatus.OK


def test_dashboard_shows_what_browsing_recorded(
    client: Client, session_client: Client, api_client: APIClient, token_pair, flush_samples
) -> None:
    session_client.get(reverse("accounts:session-home"))
    for lane in ("stateless", "lookup", "denylist"):
        api_client.get(reverse(f"api:{lane}-me"), **bearer(token_pair["access"]))
    flush_samples()

    response = client.get(reverse("comparison:dashboard"))

    by_lane = response.context["by_lane"]
    assert by_lane["denylist"].redis_per_request == 1
    assert by_lane["lookup"].db_per_request == 1
    assert by_lane["stateless"].redis_per_request == 0
    assert by_lane["stateless"].p50 is not None
    # Each chart twice: for a desktop column and for a phone.
    assert response.content.count(b'<svg class="chart wide"') == 2
    assert response.content.count(b'<svg class="chart narrow"') == 2
    assert b"<rect" in response.content
    assert b"<polyline" in response.content


def test_revocation_table_counts_acceptances_and_first_refusal(
    session_client: Client, api_client: APIClient, token_pair, user, admin_client, flush_samples
) -> None:
    access = bearer(token_pair["access"])
    session_client.get(reverse("accounts:session-home"))
    api_client.get(reverse("api:stateless-me"), **access)
    api_client.get(reverse("api:denylist-me"), **access)

    with time_machine.travel(timezone.now(), tick=True):
        event = user_revoke_access(user=user, actor=None)
        session_client.get(reverse("accounts:session-home"))
        api_client.get(reverse("api:stateless-me"), **access)
        api_client.get(reverse("api:stateless-me"), **access)
        api_client.get(reverse("api:denylist-me"), **access)
    flush_samples()

    outcomes = {row.lane: row for row in selectors.revocation_outcomes(event=event)}
    assert outcomes["session"].accepted_after == 0
    assert outcomes["session"].first_rejection_seconds is not None
    assert outcomes["denylist"].accepted_after == 0
    assert outcomes["denylist"].first_rejection_reason == "Revoked"
    assert outcomes["stateless"].accepted_after == 2
    assert outcomes["stateless"].first_rejection_seconds is None
    # Until the token held expires, plus the leeway: not the site's default lifetime.
    expires = jwt.decode(token_pair["access"], options={"verify_signature": False})["exp"]
    held = datetime.fromtimestamp(expires, tz=UTC) - event.created_at
    assert outcomes["stateless"].bound_seconds == held.total_seconds() + 5
    assert outcomes["session"].bound_seconds == 0
    page = admin_client.get(reverse("comparison:dashboard"))
    assert str(event).encode() in page.content


def test_samples_carry_the_instance_and_the_dashboard_splits_by_it(
    client: Client, api_client: APIClient, token_pair, settings, flush_samples
) -> None:
    for name in ("app-a", "app-b", "app-b"):
        settings.COMPARISON_INSTANCE_NAME = name
        api_client.get(reverse("api:stateless-me"), **bearer(token_pair["access"]))
    flush_samples()

    everything = client.get(reverse("comparison:dashboard"))
    only_b = client.get(reverse("comparison:dashboard"), {"instance": "app-b"})
    unknown = client.get(reverse("comparison:dashboard"), {"instance": "nope"})

    assert everything.context["by_lane"]["stateless"].requests == 3
    assert only_b.context["by_lane"]["stateless"].requests == 2
    assert b"Per lane on app-b" in only_b.content
    assert unknown.context["instance"] is None
    assert set(everything.context["instances"]) == {"app-a", "app-b"}


@pytest.mark.django_db
def test_history_with_no_instance_name_counts_under_all_and_is_no_instance_to_pick(
    client: Client,
) -> None:
    seed_samples(requests=1_000, days=1)

    page = client.get(reverse("comparison:dashboard"))
    unnamed = client.get(reverse("comparison:dashboard"), {"instance": ""})

    assert page.context["instances"] == []
    assert sum(figures.requests for figures in page.context["by_lane"].values()) == 1_000
    assert unnamed.context["instance"] is None


def test_the_figures_show_while_redis_is_down_and_name_nobody(
    admin_client: Client, user, settings, flush_samples
) -> None:
    user_revoke_access(user=user, actor=None)
    caches = copy.deepcopy(settings.CACHES)
    for alias in caches:
        caches[alias]["LOCATION"] = f"redis://127.0.0.1:{free_loopback_port()}/0"
    settings.CACHES = caches

    page = admin_client.get(reverse("comparison:dashboard"))
    data = admin_client.get(reverse("comparison:figures"))
    flush_samples()

    assert page.status_code == HTTPStatus.OK
    assert b"only staff see them" in page.content
    assert data.status_code == HTTPStatus.OK
    assert data.json()["revocations"] is None
    assert selectors.lane_figures()[0].refusals["store_unavailable"].requests == 2


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["comparison:dashboard", "comparison:figures"])
def test_looking_at_the_figures_without_a_session_adds_nothing_to_them(
    client: Client, page: str, flush_samples
) -> None:
    for _ in range(3):
        assert client.get(reverse(page)).status_code == HTTPStatus.OK
    flush_samples()

    assert AuthSample.objects.count() == 0


def test_a_signed_in_look_at_the_figures_is_one_accepted_session_request(
    session_client: Client, flush_samples
) -> None:
    session_client.get(reverse("comparison:figures"))
    flush_samples()

    looked = AuthSample.objects.filter(path=reverse("comparison:figures"))
    assert list(looked.values_list("lane", "outcome")) == [("session", "accepted")]
