import pytest
from django.core.management import call_command

from comparison.drill import run_drill
from comparison.models import AuthSample, DrillRun

pytestmark = pytest.mark.django_db


def test_drill_measures_each_lane_against_its_bound(capsys) -> None:
    call_command("revocation_drill", access_lifetime=1, cadence=0.25, revoke_after=0.5, margin=0.5)

    drill = DrillRun.objects.get()
    results = drill.results
    # The bound of the token actually held: from the revocation to its expiry, plus leeway.
    held = (drill.access_expires_at - drill.revoked_at).total_seconds() + 5
    for lane in ("session", "snapshot", "denylist"):
        assert results[lane]["accepted_after"] == 0, lane
        assert results[lane]["first_rejection_seconds"] < 0.5, lane
        assert results[lane]["bound_seconds"] == 0, lane
    assert results["denylist"]["reason"] == "Revoked"
    for lane in ("stateless", "lookup", "jwt_pages"):
        # Accepted until the token expires (1 s lifetime + 5 s leeway), then refused.
        assert results[lane]["accepted_after"] >= 1, lane
        assert results[lane]["reason"] == "Expired", lane
        assert results[lane]["bound_seconds"] == held, lane
        assert results[lane]["first_rejection_seconds"] <= held + 0.5, lane
    assert drill.access_lifetime_seconds == 1
    assert 0 < held <= 6
    output = capsys.readouterr().out
    assert "access tokens live 1 s" in output
    assert "after revoke" in output
    assert "refused after" in output


def test_drill_requests_are_recorded_as_the_drills_not_as_live_traffic() -> None:
    run_drill(access_lifetime=1, cadence=0.25, revoke_after=0.25, margin=0.25)

    assert set(AuthSample.objects.values_list("source", flat=True)) == {"drill"}
