"""
The role drill: how long each lane keeps honouring a role that was removed.

The article's sharpest cost of JWTs is stale data: a token keeps the role it
was issued with until it expires, while a session "sees the change at once".
Here a fresh staff user signs in on every lane; each lane's staff-only path
(``Lane.role_path``) is asked at a steady cadence; the role is removed through
``user_set_staff``, the way an admin would; requests go on until every lane
has refused or the drill's horizon (the access token's expiry) has passed.

The demotion revokes nothing on purpose: the point is each lane's default.
What a lane honours follows from where it reads the role (``RoleSource``):
the user row, the session's snapshot, or the token's claim. The site's lanes
are asked in-process through the whole middleware stack; the second
service's, when its address is given (``--remote-url``, ``REMOTE_URL``),
over HTTP, as any client would. All are recorded like any other request.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt import settings as simplejwt_settings

from accounts.lanes import LANES, Credential, Lane, RoleSource, Service
from accounts.models import User
from accounts.outcomes import OUTCOME_BY_CODE, Outcome
from accounts.serializers import TokenObtainPairSerializer
from accounts.services import user_set_staff
from comparison.drill import site_client
from comparison.models import RoleDrillRun
from comparison.recorder import recorder
from comparison.sources import Source, sampled_as

ROLE_REFUSED = "Role refused (role_required)"


@dataclass(frozen=True)
class Answer:
    honoured: bool
    refusal: str = ""


@dataclass
class LaneRole:
    lane: str
    role_from: str
    # None: longer than the drill waits (a session's snapshot lasts as long as the session).
    bound_seconds: float | None
    why: str
    honoured_after: int = 0
    first_refusal_seconds: float | None = None
    refusal: str = ""
    last_honoured: bool = True

    def settled(self, since_demotion: float, margin: float) -> bool:
        if self.first_refusal_seconds is not None:
            return True
        return self.bound_seconds is not None and since_demotion > self.bound_seconds + margin

    def as_result(self) -> dict:
        return {
            "role_from": self.role_from,
            "bound_seconds": self.bound_seconds,
            "honoured_after": self.honoured_after,
            "first_refusal_seconds": self.first_refusal_seconds,
            "refusal": self.refusal,
            "why": self.why,
        }


def _leeway() -> timedelta:
    # SimpleJWT rebinds its api_settings when SIMPLE_JWT changes: read the module's current one.
    return simplejwt_settings.api_settings.LEEWAY


def role_bound(lane: Lane, *, token_left: float) -> float | None:
    """
    The longest ``lane`` may honour a role removed now, in seconds, when the
    token it holds is refused ``token_left`` seconds from now; None for longer
    than any drill waits.
    """
    if lane.role_from is RoleSource.USER_ROW:
        return 0.0
    if lane.role_from is RoleSource.TOKEN_CLAIM:
        return max(0.0, token_left)
    return None


def why(lane: Lane, *, access_expires_at: datetime) -> str:
    """Why ``lane`` honours a removed role as long as it does, from where it reads the role."""
    if lane.role_from is RoleSource.USER_ROW:
        return "reads the user row on every request: refused on the next request"
    if lane.role_from is RoleSource.SESSION_SNAPSHOT:
        return (
            "serves the copy of the user its session took at login: the role stays until the "
            f"session ends (idle {settings.SESSION_COOKIE_AGE} s, at most "
            f"{settings.ACCOUNTS_SESSION_ABSOLUTE_TIMEOUT} s after login) or the user signs in "
            "again"
        )
    leeway = _leeway().total_seconds()
    reason = (
        "trusts the is_staff claim signed into the access token: the role stays until it "
        f"expires at {access_expires_at:%H:%M:%S} UTC, plus {leeway:.0f} s leeway"
    )
    if lane.revoked_at_once:
        reason += "; its revocation marker is not set, since a role change revokes nothing"
    if lane.served_by is Service.REMOTE:
        reason += "; the second service checks the token with the site's public key alone"
    return reason


def _ask(client: Client, path: str, headers: dict[str, Any]) -> Answer:
    """Honoured, or why not: the role refused, else the outcome of the auth step."""
    response = client.get(path, **headers)
    if response.status_code == HTTPStatus.OK:
        return Answer(honoured=True)
    outcome = response.wsgi_request.auth_cost.outcome  # type: ignore[attr-defined]
    if outcome == Outcome.ACCEPTED and response.status_code == HTTPStatus.FORBIDDEN:
        return Answer(honoured=False, refusal=ROLE_REFUSED)
    return Answer(honoured=False, refusal=Outcome(outcome).label)


def _ask_remote(url: str, access: str) -> Answer:
    """The same question of the second service, over HTTP; its refusal codes are the site's."""
    # The URL is checked to be http(s) by run_role_drill.
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {access}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310
            return Answer(honoured=True)
    except urllib.error.HTTPError as error:
        with error:
            status, code = error.code, json.loads(error.read() or b"{}").get("code", "")
    if status == HTTPStatus.FORBIDDEN and code == "role_required":
        return Answer(honoured=False, refusal=ROLE_REFUSED)
    return Answer(honoured=False, refusal=OUTCOME_BY_CODE.get(code, Outcome.MALFORMED).label)


def drilled_lanes(*, remote_url: str) -> list[Lane]:
    """The site's lanes, and the second service's when its address is known."""
    return [lane for lane in LANES if lane.served_by is Service.SITE or remote_url]


def _lane_calls(
    user: User, password: str, access: str, *, remote_url: str
) -> dict[str, Callable[[], Answer]]:
    """Per lane, one request to its staff-only path with that lane's credential."""
    calls: dict[str, Callable[[], Answer]] = {}
    for lane in drilled_lanes(remote_url=remote_url):
        if lane.served_by is Service.REMOTE:
            calls[lane.name] = partial(_ask_remote, f"{remote_url}{lane.role_path}", access)
            continue
        client = site_client()
        headers: dict[str, Any] = {}
        if lane.credential is Credential.SESSION_COOKIE:
            client.post(
                reverse("accounts:session-login"),
                {"username": user.username, "password": password},
            )
        elif lane.credential is Credential.ACCESS_COOKIE:
            client.cookies[settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME] = access
        else:
            headers = {"HTTP_AUTHORIZATION": f"Bearer {access}"}
        calls[lane.name] = partial(_ask, client, lane.role_path, headers)
    return calls


@sampled_as(Source.DRILL)
def run_role_drill(
    *,
    access_lifetime: int = 20,
    cadence: float = 0.5,
    demote_after: float = 2.0,
    margin: float = 2.0,
    remote_url: str = "",
    progress: Callable[[float, dict[str, LaneRole], bool], None] = lambda *args: None,
) -> RoleDrillRun:
    remote_url = remote_url.rstrip("/")
    if remote_url and not remote_url.startswith(("http://", "https://")):
        raise ValueError(
            f"The second service's address must be an http(s) URL, not {remote_url!r}."
        )
    password = secrets.token_urlsafe(16)
    started_at = timezone.now()
    user = User.objects.create_user(
        username=f"role-drill-{started_at:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}",
        password=password,
        is_staff=True,
    )
    try:
        access = TokenObtainPairSerializer.get_token(user).access_token
        # The drill's own, short lifetime, so that expiry arrives within the drill.
        access.set_exp(lifetime=timedelta(seconds=access_lifetime))
        access_expires_at = datetime.fromtimestamp(access["exp"], tz=UTC)
        calls = _lane_calls(user, password, str(access), remote_url=remote_url)
        refused_at = access_expires_at + _leeway()
        lanes = {
            lane.name: LaneRole(
                lane=lane.name,
                role_from=lane.role_from.value,
                bound_seconds=None,
                why=why(lane, access_expires_at=access_expires_at),
            )
            for lane in drilled_lanes(remote_url=remote_url)
        }
        by_name = {lane.name: lane for lane in LANES}
        demoted_at: datetime | None = None
        demoted_clock = 0.0
        horizon = 0.0
        start = time.monotonic()
        while True:
            tick = time.monotonic()
            if demoted_at is None and tick - start >= demote_after:
                demoted_at = timezone.now()
                user_set_staff(user=user, is_staff=False, actor=None)
                demoted_clock = time.monotonic()
                token_left = (refused_at - demoted_at).total_seconds()
                for name, state in lanes.items():
                    state.bound_seconds = role_bound(by_name[name], token_left=token_left)
                # Past the token's expiry nothing more changes within a drill:
                # only a session's end would, hours later.
                horizon = token_left + margin
            for lane, call in calls.items():
                answer = call()
                state = lanes[lane]
                state.last_honoured = answer.honoured
                if demoted_at is None or state.first_refusal_seconds is not None:
                    continue
                if answer.honoured:
                    state.honoured_after += 1
                else:
                    state.first_refusal_seconds = time.monotonic() - demoted_clock
                    state.refusal = answer.refusal
            since_demotion = time.monotonic() - demoted_clock if demoted_at else 0.0
            progress(time.monotonic() - start, lanes, demoted_at is not None)
            if demoted_at is not None and (
                since_demotion > horizon
                or all(state.settled(since_demotion, margin) for state in lanes.values())
            ):
                break
            time.sleep(max(0.0, cadence - (time.monotonic() - tick)))
        recorder.flush()
        return RoleDrillRun.objects.create(
            started_at=started_at,
            demoted_at=demoted_at,
            access_lifetime_seconds=access_lifetime,
            access_expires_at=access_expires_at,
            cadence_seconds=cadence,
            results={lane: state.as_result() for lane, state in lanes.items()},
        )
    finally:
        # The stored run and its samples stay; the drill's account does not.
        User.objects.filter(pk=user.pk).delete()
