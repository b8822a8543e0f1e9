from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.lanes import RoleSource, site_lanes
from accounts.models import RevocationEvent, User
from comparison.models import AuthSample, RoleDrillRun

pytestmark = pytest.mark.django_db


def test_role_drill_measures_how_long_each_lane_honours_a_removed_role(capsys) -> None:
    call_command("role_drill", access_lifetime=1, cadence=0.25, demote_after=0.5, margin=0.5)

    drill = RoleDrillRun.objects.get()
    results = drill.results
    assert list(results) == [lane.name for lane in site_lanes()]
    for lane in ("session", "lookup"):
        assert results[lane]["role_from"] == RoleSource.USER_ROW
        assert results[lane]["honoured_after"] == 0, lane
        assert results[lane]["bound_seconds"] == 0
        assert results[lane]["first_refusal_seconds"] < 0.5, lane
        assert results[lane]["refusal"] == "Role refused (role_required)"
    for lane in ("jwt_pages", "stateless", "denylist"):
        # The token carries is_staff=true until it expires (1 s lifetime + 5 s leeway).
        assert results[lane]["role_from"] == RoleSource.TOKEN_CLAIM
        assert results[lane]["honoured_after"] >= 1, lane
        assert results[lane]["refusal"] == "Expired", lane
        assert results[lane]["first_refusal_seconds"] <= results[lane]["bound_seconds"] + 0.5
        assert results[lane]["bound_seconds"] <= 6
    assert "revokes nothing" in results["denylist"]["why"]
    # The snapshot keeps the role for as long as the session lasts: past the drill.
    assert results["snapshot"]["role_from"] == RoleSource.SESSION_SNAPSHOT
    assert results["snapshot"]["bound_seconds"] is None
    assert results["snapshot"]["first_refusal_seconds"] is None
    assert results["snapshot"]["honoured_after"] >= 1
    assert drill.access_expires_at - drill.started_at <= timedelta(seconds=2)
    output = capsys.readouterr().out
    assert "after demotion" in output
    assert "honoured after" in output


def test_role_drill_demotes_without_revoking_and_is_recorded(capsys, settings) -> None:
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "LEEWAY": timedelta(0)}

    call_command("role_drill", access_lifetime=1, cadence=0.25, demote_after=0.25, margin=0.5)

    results = RoleDrillRun.objects.get().results
    assert results["stateless"]["refusal"] == "Expired"
    # Refused for the role, not for a session that a revocation would have ended;
    # the snapshot lane's session lives on, still carrying the old role.
    assert "role_required" in results["session"]["refusal"]
    assert results["snapshot"]["honoured_after"] > 0
    assert results["snapshot"]["first_refusal_seconds"] is None
    assert not RevocationEvent.objects.exists()
    assert not User.objects.filter(username__startswith="role-drill-").exists()
    assert set(AuthSample.objects.values_list("lane", flat=True)) == {
        lane.name for lane in site_lanes()
    }


def _recorded_drill() -> RoleDrillRun:
    now = timezone.now()
    return RoleDrillRun.objects.create(
        started_at=now,
        demoted_at=now,
        access_lifetime_seconds=20,
        access_expires_at=now + timedelta(seconds=20),
        cadence_seconds=0.5,
        results={
            "session": {
                "role_from": "user_row",
                "bound_seconds": 0.0,
                "honoured_after": 0,
                "first_refusal_seconds": 0.01,
                "refusal": "Role refused (role_required)",
                "why": "reads the user row on every request",
            },
            "snapshot": {
                "role_from": "session_snapshot",
                "bound_seconds": None,
                "honoured_after": 49,
                "first_refusal_seconds": None,
                "refusal": "",
                "why": "serves the copy of the user its session took at login",
            },
        },
    )


@pytest.mark.parametrize("url", ["/comparison/", "/guide/roles/"])
def test_the_last_role_drill_is_shown_beside_what_is_usually_said(client: Client, url) -> None:
    assert b"No role drill yet" in client.get(url).content
    _recorded_drill()

    response = client.get(url)

    html = response.content.decode()
    assert "keeps the role it was issued with until it" in html
    assert "Session (Redis)" in html
    assert "the user row, on every request" in html
    assert "the session&#x27;s copy, taken at login" in html
    assert "still honoured" in html
    assert "Role refused (role_required)" in html
