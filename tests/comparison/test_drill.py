import pytest
from django.core.management import call_command

from comparison.models import DrillRun

pytestmark = pytest.mark.django_db


def test_drill_measures_each_lane_against_its_bound(capsys) -> None:
    call_command("revocation_drill", access_lifetime=1, cadence=0.25, revoke_after=0.5, margin=0.5)

    results = DrillRun.objects.get().results
    for lane in ("session", "denylist"):
        assert results[lane]["accepted_after"] == 0, lane
        assert results[lane]["first_rejection_seconds"] < 0.5, lane
    assert results["denylist"]["reason"] == "Revoked"
    for lane in ("stateless", "lookup", "jwt_pages"):
        # Accepted until the token expires (1 s lifetime + 5 s leeway), then refused.
        assert results[lane]["accepted_after"] >= 1, lane
        assert results[lane]["reason"] == "Expired", lane
        assert results[lane]["bound_seconds"] == 6
        assert results[lane]["first_rejection_seconds"] <= 6 + 0.5, lane
    output = capsys.readouterr().out
    assert "after revoke" in output
    assert "refused after" in output
