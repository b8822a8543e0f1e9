from datetime import timedelta

import pytest
from django.core.management import call_command

from accounts.lanes import LANES, RoleSource
from accounts.models import RevocationEvent, User
from comparison.models import AuthSample, RoleDrillRun

pytestmark = pytest.mark.django_db


def test_role_drill_measures_how_long_each_lane_honours_a_removed_role(capsys) -> None:
    call_command("role_drill", access_lifetime=1, cadence=0.25, demote_after=0.5, margin=0.5)

    drill = RoleDrillRun.objects.get()
    results = drill.results
    assert list(results) == [lane.name for lane in LANES]
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

    assert RoleDrillRun.objects.get().results["stateless"]["refusal"] == "Expired"
    user = User.objects.get(username__startswith="role-drill-")
    assert not user.is_staff
    assert not RevocationEvent.objects.exists()
    assert set(AuthSample.objects.values_list("lane", flat=True)) == {lane.name for lane in LANES}

