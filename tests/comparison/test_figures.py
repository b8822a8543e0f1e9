"""
The dashboard's maths, checked against the raw rows: a realistic mix of
accepted and refused requests on every lane goes through the real stack, then
the expected figures are computed from the stored AuthSample rows with plain
Python and compared with the selectors, the page and figures.json.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from http import HTTPStatus

import jwt
import pytest
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import lanes
from accounts.keys import token_sign
from comparison import selectors
from comparison.models import AuthSample
from comparison.stats import BUCKET_COUNT, bucket_of, percentile
from tests.helpers import PASSWORD, bearer

pytestmark = pytest.mark.django_db

PERCENTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}


@dataclass
class Expected:
    """One lane's figures, computed from its raw rows."""

    rows: list[AuthSample] = field(default_factory=list)

    @property
    def accepted(self) -> list[AuthSample]:
        return [row for row in self.rows if row.outcome == "accepted"]

    @property
    def timed(self) -> list[float]:
        return sorted(row.auth_us for row in self.accepted if not row.db_connected)

    def mean(self, values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    @property
    def credential_bytes(self) -> float | None:
        return self.mean([row.credential_bytes for row in self.accepted])

    @property
    def redis_per_request(self) -> float | None:
        return self.mean([row.redis_round_trips for row in self.accepted])

    @property
    def db_per_request(self) -> float | None:
        return self.mean([row.db_queries for row in self.accepted])

    @property
    def histogram(self) -> list[int]:
        counts = [0] * BUCKET_COUNT
        for auth_us in self.timed:
            counts[bucket_of(auth_us)] += 1
        return counts

    def _refused(self) -> dict[str, list[AuthSample]]:
        by_outcome = defaultdict(list)
        for row in self.rows:
            if row.outcome != "accepted":
                by_outcome[row.outcome].append(row)
        return by_outcome

    def refusals(self) -> dict[str, int]:
        return {outcome: len(rows) for outcome, rows in self._refused().items()}

    def refusal_means(self) -> dict[str, float | None]:
        return {
            outcome: self.mean([row.auth_us for row in rows if not row.db_connected])
            for outcome, rows in self._refused().items()
        }


def _resigned(token: str, **claims) -> str:
    """The token's claims with ``claims`` changed, signed as the site signs."""
    return token_sign({**jwt.decode(token, options={"verify_signature": False}), **claims})


@pytest.fixture
def realistic_mix(user, token_pair, flush_samples) -> dict[str, Expected]:
    """Accepted and refused requests on every lane, through the real stack; rows by lane."""
    browser = Client()
    browser.post(reverse("accounts:session-login"), {"username": "alice", "password": PASSWORD})
    for _ in range(3):
        assert browser.get(reverse("api:session-me")).status_code == HTTPStatus.OK
    for _ in range(2):
        assert browser.get(reverse("api:snapshot-me")).status_code == HTTPStatus.OK
    assert browser.get(reverse("accounts:session-profile")).status_code == HTTPStatus.OK
    nobody = Client()
    for _ in range(2):
        nobody.get(reverse("api:session-me"))
    nobody.get(reverse("api:snapshot-me"))
    stale = Client()
    stale.cookies[settings.SESSION_COOKIE_NAME] = "k" * 32
    stale.get(reverse("api:session-me"))
    api, access = APIClient(), bearer(token_pair["access"])
    for _ in range(4):
        assert api.get(reverse("api:stateless-me"), **access).status_code == HTTPStatus.OK
    for lane in ("lookup", "denylist"):
        for _ in range(2):
            assert api.get(reverse(f"api:{lane}-me"), **access).status_code == HTTPStatus.OK
    for _ in range(2):
        api.get(reverse("api:stateless-me"), HTTP_AUTHORIZATION="Bearer not-a-jwt")
    api.get(reverse("api:stateless-me"), **bearer(_resigned(token_pair["access"], exp=10**9)))
    api.get(reverse("api:lookup-me"))
    pages = Client()
    pages.cookies[settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME] = token_pair["access"]
    assert pages.get(reverse("accounts:jwt-profile")).status_code == HTTPStatus.OK
    flush_samples()
    expected = {lane.name: Expected() for lane in lanes.LANES}
    for row in AuthSample.objects.filter(source="live"):
        expected[row.lane].rows.append(row)
    return expected


def test_every_lane_of_the_mix_has_accepted_and_refused_rows_to_check(realistic_mix) -> None:
    with_refusals = {lane for lane, rows in realistic_mix.items() if rows.refusals()}
    with_accepted = {lane for lane, rows in realistic_mix.items() if rows.accepted}

    assert with_accepted == {lane.name for lane in lanes.site_lanes()}
    assert with_refusals == {"session", "snapshot", "stateless", "lookup"}


def test_selectors_match_the_raw_rows(realistic_mix) -> None:
    figures = {lane.lane: lane for lane in selectors.lane_figures()}

    for name, expected in realistic_mix.items():
        lane = figures[name]
        assert lane.requests == len(expected.rows), name
        assert lane.accepted == len(expected.accepted), name
        assert lane.refused == len(expected.rows) - len(expected.accepted), name
        assert lane.credential_bytes == pytest.approx(expected.credential_bytes), name
        assert lane.redis_per_request == pytest.approx(expected.redis_per_request), name
        assert lane.db_per_request == pytest.approx(expected.db_per_request), name
        assert lane.mean_us == pytest.approx(expected.mean(expected.timed)), name
        assert lane.histogram == expected.histogram, name
        assert lane.connecting.requests == sum(row.db_connected for row in expected.rows)
        refusals = {outcome: refusal.requests for outcome, refusal in lane.refusals.items()}
        assert refusals == expected.refusals(), name
        means = {outcome: refusal.timing.mean_us for outcome, refusal in lane.refusals.items()}
        assert means == pytest.approx(expected.refusal_means()), name


def test_percentiles_fall_in_the_bucket_of_the_raw_percentile(realistic_mix) -> None:
    figures = {lane.lane: lane for lane in selectors.lane_figures()}

    for name, expected in realistic_mix.items():
        timed = expected.timed
        if not timed:
            # The second service's lanes: nothing of theirs in this mix.
            assert [getattr(figures[name], attribute) for attribute in PERCENTILES] == [None] * 3
            continue
        for attribute, fraction in PERCENTILES.items():
            figure = getattr(figures[name], attribute)
            assert figure == percentile(expected.histogram, fraction), (name, attribute)
            raw = timed[math.ceil(fraction * len(timed)) - 1]
            assert bucket_of(figure) == bucket_of(raw), (name, attribute, figure, raw)


def test_session_figures_leave_out_the_refusals_that_sent_no_cookie(realistic_mix) -> None:
    session = {lane.lane: lane for lane in selectors.lane_figures()}["session"]

    # Refusals without a cookie cost no Redis read and sent 0 bytes; they must not dilute.
    assert any(row.credential_bytes == 0 for row in realistic_mix["session"].rows)
    assert session.redis_per_request == 1
    assert session.db_per_request == 1
    assert session.credential_bytes == len(f"{settings.SESSION_COOKIE_NAME}=") + 32


def _lanes_table(content: str) -> dict[str, list[str]]:
    section = content.split('id="lanes-heading"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", section, flags=re.DOTALL):
        label = re.search(r"</svg> (.*?)</th>", row, flags=re.DOTALL)
        if label:
            rows[label.group(1)] = re.findall(r'<td class="num"[^>]*>(.*?)</td>', row)
    return rows


def test_the_page_shows_the_figures_of_the_raw_rows(realistic_mix, client: Client) -> None:
    response = client.get(reverse("comparison:dashboard"))

    table = _lanes_table(response.content.decode())
    for lane in lanes.LANES:
        expected = realistic_mix[lane.name]
        percentiles = [percentile(expected.histogram, f) for f in PERCENTILES.values()]
        assert table[lane.label] == [
            str(len(expected.rows)),
            str(len(expected.accepted)),
            str(len(expected.rows) - len(expected.accepted)),
            *(
                floatformat(value, 0) or "—"
                for value in (expected.mean(expected.timed), *percentiles)
            ),
            floatformat(expected.redis_per_request, 2) or "—",
            floatformat(expected.db_per_request, 2) or "—",
            floatformat(expected.credential_bytes, 0) or "—",
        ], lane.name


def test_figures_json_serves_the_figures_of_the_raw_rows(realistic_mix, client: Client) -> None:
    response = client.get(reverse("comparison:figures"))

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["source"] == "live"
    assert list(data["lanes"]) == [lane.name for lane in lanes.LANES]
    for name, expected in realistic_mix.items():
        lane = data["lanes"][name]
        assert (lane["requests"], lane["accepted"]) == (len(expected.rows), len(expected.accepted))
        assert lane["credential_bytes"] == pytest.approx(expected.credential_bytes)
        assert lane["redis_per_request"] == pytest.approx(expected.redis_per_request)
        assert lane["db_per_request"] == pytest.approx(expected.db_per_request)
        assert lane["auth_us"]["mean_us"] == pytest.approx(expected.mean(expected.timed))
        assert lane["auth_us"]["histogram"] == expected.histogram
        for attribute, fraction in PERCENTILES.items():
            expected_value = percentile(expected.histogram, fraction)
            assert lane["auth_us"][f"{attribute}_us"] == pytest.approx(expected_value)
        refusals = lane["refusals"]
        assert {outcome: refusal["requests"] for outcome, refusal in refusals.items()} == (
            expected.refusals()
        )
        assert {
            outcome: refusal["auth_us"]["mean_us"] for outcome, refusal in refusals.items()
        } == pytest.approx(expected.refusal_means())
    assert data["requests"] == sum(len(expected.rows) for expected in realistic_mix.values())
