import copy

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from comparison.drill import run_drill
from comparison.models import AuthSample, DrillRun
from tools.processes import free_loopback_port

pytestmark = pytest.mark.django_db


def drill_users() -> list[str]:
    return list(
        User.objects.filter(username__startswith="drill-").values_list("username", flat=True)
    )


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


def test_drill_never_leaves_its_user_behind() -> None:
    run_drill(access_lifetime=1, cadence=0.25, revoke_after=0.25, margin=0.25)

    assert drill_users() == []


def test_a_failed_drill_never_leaves_its_user_behind() -> None:
    def interrupted(*args) -> None:
        assert drill_users(), "the drill's user exists while it runs"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_drill(access_lifetime=1, cadence=0.25, revoke_after=0.25, progress=interrupted)

    assert drill_users() == []


@pytest.mark.parametrize(
    ("command", "target"),
    [("revocation_drill", "make drill"), ("soak", "make soak"), ("authbench", "make bench")],
)
def test_a_command_without_redis_stops_with_one_line_saying_what_to_run(
    settings, command: str, target: str
) -> None:
    caches = copy.deepcopy(settings.CACHES)
    for alias in caches:
        caches[alias]["LOCATION"] = f"redis://127.0.0.1:{free_loopback_port()}/0"
    settings.CACHES = caches

    with pytest.raises(CommandError) as refused:
        call_command(command)

    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("Redis is not reachable at ")
    assert f"run `{target}`" in message
    assert drill_users() == []
