"""
The revocation drill: the article's revocation table, measured on this site.

A fresh user signs in on every lane; one request per lane is made at a steady
cadence; the user is revoked through the same service as the admin action;
requests go on until every lane has refused (or its promised bound has
passed). Requests run in-process through the whole middleware stack against
the real Redis and database, and are recorded as the drill's samples
(``comparison.sources``), apart from live traffic. The user is deleted
afterwards, whatever happened.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.lanes import BY_NAME, Credential, site_lanes
from accounts.models import RevocationEvent, User
from accounts.outcomes import Outcome
from accounts.serializers import TokenObtainPairSerializer
from accounts.services import user_revoke_access
from accounts.tokens import AccessToken
from comparison.models import DrillRun
from comparison.recorder import recorder
from comparison.selectors import promised_bound
from comparison.sources import Source, sampled_as


@dataclass
class LaneProgress:
    lane: str
    bound_seconds: float | None = None
    accepted_after: int = 0
    first_rejection_seconds: float | None = None
    reason: str = ""
    last_accepted: bool = True

    def settled(self, since_revoke: float, margin: float) -> bool:
        if self.first_rejection_seconds is not None:
            return True
        return self.bound_seconds is not None and since_revoke > self.bound_seconds + margin

    def as_result(self) -> dict:
        return {
            "bound_seconds": self.bound_seconds,
            "accepted_after": self.accepted_after,
            "first_rejection_seconds": self.first_rejection_seconds,
            "reason": self.reason,
        }


def site_client() -> Client:
    """An in-process client addressed to a host this site serves."""
    hosts = [host for host in settings.ALLOWED_HOSTS if host not in {"*", ""}]
    return Client(HTTP_HOST=(hosts or ["localhost"])[0].lstrip("."))


def _access_token(user: User, lifetime: int) -> AccessToken:
    access = cast(AccessToken, TokenObtainPairSerializer.get_token(user).access_token)
    # The drill's own, short lifetime, so that expiry arrives within the drill.
    access.set_exp(lifetime=timedelta(seconds=lifetime))
    return access


def _signed_in_clients(user: User, password: str, access: AccessToken) -> dict[str, tuple]:
    """One client per lane, each holding that lane's credential; lane name -> (client, headers)."""
    clients = {}
    for lane in site_lanes():
        client, headers = site_client(), {}
        if lane.credential is Credential.SESSION_COOKIE:
            client.post(
                reverse("accounts:session-login"),
                {"username": user.username, "password": password},
            )
        elif lane.credential is Credential.ACCESS_COOKIE:
            client.cookies[settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME] = str(access)
        else:
            headers = {"HTTP_AUTHORIZATION": f"Bearer {access}"}
        clients[lane.name] = (client, headers)
    return clients


def run_drill(
    *,
    access_lifetime: int = 20,
    cadence: float = 0.5,
    revoke_after: float = 2.0,
    margin: float = 2.0,
    progress: Callable[[float, dict[str, LaneProgress], bool], None] = lambda *args: None,
) -> DrillRun:
    password = secrets.token_urlsafe(16)
    started_at = timezone.now()
    user = User.objects.create_user(
        username=f"drill-{started_at:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}", password=password
    )
    try:
        with sampled_as(Source.DRILL):
            return _drill(
                user,
                password,
                started_at=started_at,
                access_lifetime=access_lifetime,
                cadence=cadence,
                revoke_after=revoke_after,
                margin=margin,
                progress=progress,
            )
    finally:
        # Its samples stay, marked as the drill's; the account and its audit rows go.
        User.objects.filter(pk=user.pk).delete()


def _drill(
    user: User,
    password: str,
    *,
    started_at: datetime,
    access_lifetime: int,
    cadence: float,
    revoke_after: float,
    margin: float,
    progress: Callable[[float, dict[str, LaneProgress], bool], None],
) -> DrillRun:
    access = _access_token(user, access_lifetime)
    expires_at = datetime.fromtimestamp(access["exp"], tz=UTC)
    clients = _signed_in_clients(user, password, access)
    lanes = {lane.name: LaneProgress(lane=lane.name) for lane in site_lanes()}
    paths = {lane.name: lane.path for lane in site_lanes()}
    event: RevocationEvent | None = None
    revoked_clock = 0.0
    start = time.monotonic()
    while True:
        tick = time.monotonic()
        if event is None and tick - start >= revoke_after:
            event = user_revoke_access(user=user, actor=None, reason=RevocationEvent.Reason.DRILL)
            revoked_clock = time.monotonic()
            for name, state in lanes.items():
                state.bound_seconds = promised_bound(
                    lane=BY_NAME[name], expires_at=expires_at, revoked_at=event.created_at
                )
        for lane, (client, headers) in clients.items():
            response = client.get(paths[lane], **headers)
            outcome = response.wsgi_request.auth_cost.outcome
            accepted = outcome == Outcome.ACCEPTED
            state = lanes[lane]
            state.last_accepted = accepted
            if event is None:
                continue
            if accepted and state.first_rejection_seconds is None:
                state.accepted_after += 1
            elif not accepted and state.first_rejection_seconds is None:
                state.first_rejection_seconds = time.monotonic() - revoked_clock
                state.reason = Outcome(outcome).label
        since_revoke = time.monotonic() - revoked_clock if event else 0.0
        progress(time.monotonic() - start, lanes, event is not None)
        if event is not None and all(
            state.settled(since_revoke, margin) for state in lanes.values()
        ):
            break
        time.sleep(max(0.0, cadence - (time.monotonic() - tick)))
    # A command, not a request: it may wait for its own samples to be stored.
    recorder.flush()
    return DrillRun.objects.create(
        started_at=started_at,
        revoked_at=event.created_at,
        access_lifetime_seconds=access_lifetime,
        access_expires_at=expires_at,
        cadence_seconds=cadence,
        results={lane: state.as_result() for lane, state in lanes.items()},
    )
