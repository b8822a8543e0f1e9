"""
The staff role on every lane: who may open the staff-only page or endpoint,
and what each lane still believes after the role is removed (the role drill
measures the same thing over time: tests/comparison/test_role_drill.py).
"""

from collections.abc import Callable
from http import HTTPStatus

import jwt
import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import lanes
from accounts.lanes import RoleSource, bearer_lanes, site_lanes
from accounts.models import User
from accounts.services import user_set_staff
from tests.helpers import PASSWORD, bearer, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db) -> User:
    return make_user("stella", is_staff=True)


def _tokens(username: str) -> dict[str, str]:
    response = APIClient().post(
        reverse("api:token-obtain"), {"username": username, "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.OK
    return response.json()


def _session(username: str) -> Client:
    client = Client()
    response = client.post(
        reverse("accounts:session-login"), {"username": username, "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    return client


def _jwt_pages(username: str) -> Client:
    client = Client()
    response = client.post(
        reverse("accounts:jwt-login"), {"username": username, "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    return client


def _staff_answers(username: str) -> dict[str, Callable[[], HttpResponse]]:
    """Per lane, a request to its staff-only path, signed in as ``username`` on that lane."""
    session, jwt_pages, access = _session(username), _jwt_pages(username), _tokens(username)
    calls = {}
    for lane in site_lanes():
        if lane.credential is lanes.Credential.SESSION_COOKIE:
            calls[lane.name] = lambda lane=lane: session.get(lane.role_path)
        elif lane.credential is lanes.Credential.ACCESS_COOKIE:
            calls[lane.name] = lambda lane=lane: jwt_pages.get(lane.role_path)
        else:
            calls[lane.name] = lambda lane=lane: Client().get(
                lane.role_path, **bearer(access["access"])
            )
    return calls


def test_every_lane_has_a_staff_only_sibling_of_its_own_path() -> None:
    names = {lane.name: f"api:{lane.name}-staff" for lane in site_lanes()}
    names[lanes.JWT_PAGES.name] = "accounts:jwt-staff"

    assert {lane.name: reverse(names[lane.name]) for lane in site_lanes()} == {
        lane.name: lane.role_path for lane in site_lanes()
    }
    assert lanes.STATELESS.role_path == "/api/jwt/stateless/staff/"
    assert lanes.JWT_PAGES.role_path == "/jwt/staff/"


def test_tokens_carry_the_role_as_a_boolean_claim(user: User, staff: User) -> None:
    for username, expected in (("alice", False), ("stella", True)):
        pair = _tokens(username)
        for token in pair.values():
            claims = jwt.decode(token, options={"verify_signature": False})
            assert claims["is_staff"] is expected


def test_staff_are_let_in_on_every_lane(staff: User) -> None:
    calls = _staff_answers("stella")

    statuses = {lane: call().status_code for lane, call in calls.items()}

    assert statuses == {lane.name: HTTPStatus.OK for lane in site_lanes()}


@pytest.mark.parametrize("lane", [lane.name for lane in site_lanes()])
def test_a_user_without_the_role_is_refused_with_a_code(user: User, lane: str) -> None:
    response = _staff_answers("alice")[lane]()

    assert response.status_code == HTTPStatus.FORBIDDEN
    if lane == lanes.JWT_PAGES.name:
        assert b"role_required" in response.content
    else:
        assert response.json()["code"] == "role_required"


def test_the_session_area_has_a_staff_page_that_reads_the_user_row(staff: User) -> None:
    client = _session("stella")
    assert client.get(reverse("accounts:session-staff")).status_code == HTTPStatus.OK

    user_set_staff(user=staff, is_staff=False, actor=None)
    response = client.get(reverse("accounts:session-staff"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert b"role_required" in response.content


@pytest.mark.parametrize("lane", [lane.name for lane in bearer_lanes()])
def test_staff_endpoints_still_ask_for_credentials_first(lane: str) -> None:
    response = APIClient().get(reverse(f"api:{lane}-staff"))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "not_authenticated"


def test_after_demotion_each_lane_answers_from_what_it_consults(staff: User) -> None:
    calls = _staff_answers("stella")

    user_set_staff(user=staff, is_staff=False, actor=None)
    statuses = {lane: call().status_code for lane, call in calls.items()}

    honoured = {lane.name for lane in site_lanes() if lane.role_from is not RoleSource.USER_ROW}
    assert honoured == {"snapshot", "jwt_pages", "stateless", "denylist"}
    assert statuses == {
        lane.name: HTTPStatus.OK if lane.name in honoured else HTTPStatus.FORBIDDEN
        for lane in site_lanes()
    }


def test_demotion_ends_no_credential(staff: User) -> None:
    client = _session("stella")
    pair = _tokens("stella")

    user_set_staff(user=staff, is_staff=False, actor=None)

    assert client.get(reverse("api:session-me")).status_code == HTTPStatus.OK
    assert (
        Client().get(reverse("api:denylist-me"), **bearer(pair["access"])).status_code
        == HTTPStatus.OK
    )


def test_a_refresh_after_demotion_carries_the_new_role(staff: User) -> None:
    pair = _tokens("stella")
    user_set_staff(user=staff, is_staff=False, actor=None)

    refreshed = APIClient().post(reverse("api:token-refresh"), {"refresh": pair["refresh"]}).json()

    for token in refreshed.values():
        assert jwt.decode(token, options={"verify_signature": False})["is_staff"] is False
    response = Client().get(reverse("api:stateless-staff"), **bearer(refreshed["access"]))
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_the_jwt_pages_learn_the_new_role_at_their_silent_refresh(staff: User) -> None:
    client = _jwt_pages("stella")
    user_set_staff(user=staff, is_staff=False, actor=None)
    assert client.get(reverse("accounts:jwt-staff")).status_code == HTTPStatus.OK

    # What the browser does once the access cookie has expired and gone.
    del client.cookies[settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME]
    response = client.get(reverse("accounts:jwt-staff"), follow=True)

    assert response.status_code == HTTPStatus.FORBIDDEN
