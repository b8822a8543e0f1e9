"""
The lane registry: every way this site checks who you are, declared once.

A lane is one authentication path: which credential it reads, what it asks
after checking that credential, where its "who am I" endpoint is, whether a
revocation reaches it before the credential expires, and where it reads the
user's role from. The URLconf, the dashboard, the playground, the drills, the
benchmark, the soak and the tests all derive from ``LANES``; adding a lane is
one entry here plus the code named by its ``authentication``.

Two lanes are served by the second service (``remote/``, a process of its
own that holds no secret): the site never mounts them, and learns of their
requests through the samples the service sends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.http import HttpRequest


class Credential(StrEnum):
    SESSION_COOKIE = "session_cookie"
    ACCESS_COOKIE = "access_cookie"
    BEARER = "bearer"


class Service(StrEnum):
    """Which process answers a lane's path."""

    SITE = "site"
    # The second service (remote/): verifies with the site's public keys only.
    REMOTE = "remote"


class RoleSource(StrEnum):
    """Where a lane reads the staff role from: what decides how long a removed role lasts."""

    USER_ROW = "user_row"
    SESSION_SNAPSHOT = "session_snapshot"
    TOKEN_CLAIM = "token_claim"  # noqa: S105 - a place to read a role from, not a secret


@dataclass(frozen=True, kw_only=True)
class Lane:
    name: str
    label: str
    colour: str
    credential: Credential
    consults: str
    authentication: str
    path: str
    revoked_at_once: bool
    role_from: RoleSource
    # True when ``authentication`` is a DRF authentication class and the API
    # mounts this lane's "who am I" view at ``path`` from this entry alone.
    mounted: bool = True
    served_by: Service = Service.SITE

    def sent_credential(self, request: HttpRequest) -> str:
        """The credential exactly as it travelled (``name=value`` for a cookie); "" if absent."""
        if self.credential is Credential.BEARER:
            return request.META.get("HTTP_AUTHORIZATION", "")
        name = (
            settings.SESSION_COOKIE_NAME
            if self.credential is Credential.SESSION_COOKIE
            else settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME
        )
        value = request.COOKIES.get(name, "")
        return f"{name}={value}" if value else ""

    @property
    def role_path(self) -> str:
        """The sibling of ``path`` that answers only a user with the staff role."""
        return f"{self.path.rstrip('/').rpartition('/')[0]}/staff/"


SESSION = Lane(
    name="session",
    label="Session (Redis)",
    colour="#0b5cad",
    credential=Credential.SESSION_COOKIE,
    consults="Redis for the session, then the database for the user",
    authentication="accounts.middleware.get_session_user",
    path="/api/session/me/",
    revoked_at_once=True,
    role_from=RoleSource.USER_ROW,
    mounted=False,
)
SNAPSHOT = Lane(
    name="snapshot",
    label="Session snapshot (Redis only)",
    colour="#0e7c86",
    credential=Credential.SESSION_COOKIE,
    # The session carries the user's id, name, active and staff flags: no query.
    consults="Redis for the session, which carries the user",
    authentication="accounts.authentication.SessionSnapshotAuthentication",
    path="/api/session/snapshot/me/",
    revoked_at_once=True,
    role_from=RoleSource.SESSION_SNAPSHOT,
)
JWT_PAGES = Lane(
    name="jwt_pages",
    label="JWT pages (cookie, stateless)",
    colour="#7a4cc2",
    credential=Credential.ACCESS_COOKIE,
    consults="nothing",
    authentication="accounts.authentication.JWTCookieAuthentication",
    path="/jwt/profile/",
    revoked_at_once=False,
    role_from=RoleSource.TOKEN_CLAIM,
    mounted=False,
)
STATELESS = Lane(
    name="stateless",
    label="JWT stateless",
    colour="#1f8a4c",
    credential=Credential.BEARER,
    consults="nothing",
    authentication="accounts.authentication.StatelessJWTAuthentication",
    path="/api/jwt/stateless/me/",
    revoked_at_once=False,
    role_from=RoleSource.TOKEN_CLAIM,
)
LOOKUP = Lane(
    name="lookup",
    label="JWT + user lookup",
    colour="#b86e00",
    credential=Credential.BEARER,
    # Sees deactivation at once, but not a revocation of an active user.
    consults="the database, for the user row",
    authentication="accounts.authentication.LookupJWTAuthentication",
    path="/api/jwt/lookup/me/",
    revoked_at_once=False,
    role_from=RoleSource.USER_ROW,
)
DENYLIST = Lane(
    name="denylist",
    label="JWT + Redis denylist",
    colour="#b3261e",
    credential=Credential.BEARER,
    consults="Redis, for the user's revocation marker",
    authentication="accounts.authentication.DenylistJWTAuthentication",
    path="/api/jwt/denylist/me/",
    revoked_at_once=True,
    role_from=RoleSource.TOKEN_CLAIM,
)

REMOTE_STATELESS = Lane(
    name="remote_stateless",
    label="Second service, stateless",
    colour="#5b8c2a",
    credential=Credential.BEARER,
    consults="nothing but the site's public keys, fetched once and cached",
    authentication="remote.authentication.StatelessJWTAuthentication",
    path="/api/jwt/stateless/me/",
    revoked_at_once=False,
    role_from=RoleSource.TOKEN_CLAIM,
    mounted=False,
    served_by=Service.REMOTE,
)
REMOTE_DENYLIST = Lane(
    name="remote_denylist",
    label="Second service + denylist",
    colour="#d9534f",
    credential=Credential.BEARER,
    consults="Redis, read only, for the user's revocation marker",
    authentication="remote.authentication.DenylistJWTAuthentication",
    path="/api/jwt/denylist/me/",
    revoked_at_once=True,
    role_from=RoleSource.TOKEN_CLAIM,
    mounted=False,
    served_by=Service.REMOTE,
)

LANES: tuple[Lane, ...] = (
    SESSION, SNAPSHOT, JWT_PAGES, STATELESS, LOOKUP, DENYLIST, REMOTE_STATELESS, REMOTE_DENYLIST,
)  # fmt: skip
BY_NAME: dict[str, Lane] = {lane.name: lane for lane in LANES}


def lane_choices() -> list[tuple[str, str]]:
    """Model field choices; a callable, so a new lane needs no migration."""
    return [(lane.name, lane.label) for lane in LANES]


def mounted_lanes() -> tuple[Lane, ...]:
    return tuple(lane for lane in LANES if lane.mounted)


def site_lanes() -> tuple[Lane, ...]:
    """The lanes this site answers itself."""
    return tuple(lane for lane in LANES if lane.served_by is Service.SITE)


def remote_lanes() -> tuple[Lane, ...]:
    """The lanes the second service answers, at its own address."""
    return tuple(lane for lane in LANES if lane.served_by is Service.REMOTE)


def bearer_lanes() -> tuple[Lane, ...]:
    """The lanes of this site that take an access token in the Authorization header."""
    return tuple(lane for lane in site_lanes() if lane.credential is Credential.BEARER)
