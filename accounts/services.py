"""
Writes of the accounts app: login bookkeeping, ending credentials, revocation.

Every way of cutting a user off (the admin action, deactivation, a password
change) comes through ``user_revoke_access`` so that all three credential
stores are handled the same way and each revocation leaves one audit row.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import secrets
import time
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING, cast

import jwt
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.addresses import client_address
from accounts.exceptions import TooManyAttempts
from accounts.models import RevocationEvent, User
from accounts.selectors import (
    denylist_marker_key,
    refresh_token_spent_at,
    token_user,
    user_refresh_token_list,
    user_token_id,
)
from accounts.session_index import SessionIndex
from accounts.sign_outs import SignOutReason, reason_for_revocation
from accounts.tokens import FAMILY_CLAIM, UntypedToken

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.tokens import RefreshToken

logger = logging.getLogger(__name__)

# Keys written into each authenticated session by this app.
SESSION_LOGIN_AT = "_svj_login_at"
SESSION_SEEN_AT = "_svj_seen_at"
SESSION_INDEXED_KEY = "_svj_indexed_key"
# The user fields the snapshot lane serves without a query (accounts.session_lanes).
SESSION_USER_SNAPSHOT = "_svj_user"


# ------------------------------------------------------------------ sessions
def _session_metadata(*, request: HttpRequest, now: float) -> dict[str, object]:
    return {
        "created_at": request.session.get(SESSION_LOGIN_AT, now),
        "last_seen_at": now,
        "ip": client_address(request) or "",
        "user_agent": request.headers.get("user-agent", "")[:256],
    }


def session_register(*, request: HttpRequest, user: User) -> None:
    """Stamp a freshly logged-in session, snapshot its user, and add it to the user's index."""
    now = time.time()
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_USER_SNAPSHOT] = {
        "id": user.pk,
        "username": user.get_username(),
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_demo": user.is_demo,
    }
    session_touch(request=request, user_id=user.pk, now=now)


def session_touch(*, request: HttpRequest, user_id: int, now: float | None = None) -> None:
    """Record activity: pushes the idle timeout forward and refreshes the index entry."""
    now = time.time() if now is None else now
    session = request.session
    if session.session_key is None:
        # A session only gets its key when first saved; save now so the index
        # entry names the key the browser will actually hold.
        session.save()
    session_key = cast(str, session.session_key)  # saved above, so it has a key
    session[SESSION_SEEN_AT] = now
    session[SESSION_INDEXED_KEY] = session_key
    SessionIndex(user_id).add(session_key, _session_metadata(request=request, now=now))


def session_expire(*, request: HttpRequest, user_id: int) -> None:
    """End the request's own session (past the absolute timeout) without going through logout()."""
    if request.session.session_key is not None:
        SessionIndex(user_id).remove(request.session.session_key, reason=SignOutReason.ABSOLUTE)
    request.session.flush()


def session_unregister(*, user: User, session_key: str) -> None:
    SessionIndex(user.pk).remove(session_key, reason=SignOutReason.SIGNED_OUT)


def user_session_end(*, user: User, public_id: str) -> bool:
    """End one of the user's sessions, named by its public id; False if none matched."""
    index = SessionIndex(user.pk)
    for session in index.live_sessions():
        if session.public_id == public_id:
            return index.end_one(session.session_key, reason=SignOutReason.ENDED_ELSEWHERE)
    return False


def user_sessions_end(
    *,
    user: User,
    reason: SignOutReason = SignOutReason.ENDED_ELSEWHERE,
    keep_session_key: str | None = None,
) -> int:
    """End all of the user's sessions (but one, if given); return how many were ended."""
    return SessionIndex(user.pk).end(reason=reason, keep=keep_session_key)


# ------------------------------------------------------------------ JWT
def user_denylist_mark(*, user: User) -> None:
    """Make the denylist lane reject every access token issued to the user until now."""
    # Past this, no token issued before the mark can still be valid.
    lifetime = (
        api_settings.ACCESS_TOKEN_LIFETIME
        + api_settings.REFRESH_TOKEN_LIFETIME
        + api_settings.LEEWAY
    )
    caches[settings.ACCOUNTS_REVOCATION_CACHE_ALIAS].set(
        denylist_marker_key(user_id=user_token_id(user=user)),
        int(time.time()),
        timeout=int(lifetime.total_seconds()),
    )


def user_refresh_tokens_blacklist(*, user: User, keep_jti: str | None = None) -> int:
    """Blacklist every outstanding refresh token of the user; return how many."""
    outstanding = user_refresh_token_list(user=user)
    if keep_jti is not None:
        outstanding = outstanding.exclude(jti=keep_jti)
    tokens = list(outstanding)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in tokens], ignore_conflicts=True
    )
    return len(tokens)


def user_refresh_token_blacklist(*, user: User, token_id: int) -> bool:
    """Blacklist one of the user's refresh tokens by its row id; False if not theirs or gone."""
    token = OutstandingToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        return False
    _, created = BlacklistedToken.objects.get_or_create(token=token)
    return created


def refresh_token_spend(*, token: RefreshToken, user: User) -> None:
    """
    Blacklist a refresh token as it is exchanged, so that it is exchanged once.

    SimpleJWT checks the blacklist and then blacklists with get_or_create, so
    concurrent refreshes with one token can all pass the check. Here the
    unique constraint on BlacklistedToken.token decides: exactly one INSERT
    wins, every other use of the token is refused. ``user`` is the one the
    token names, found by the caller as SimpleJWT finds it (``USER_ID_FIELD``).
    """
    outstanding, _created = OutstandingToken.objects.get_or_create(
        jti=token[api_settings.JTI_CLAIM],
        defaults={
            "user": user,
            "created_at": token.current_time,
            "token": str(token),
            "expires_at": datetime_from_epoch(token["exp"]),
        },
    )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError as e:
        raise InvalidToken(str(_("Token is blacklisted")), code="token_blacklisted") from e


def refresh_token_record(*, token: RefreshToken) -> None:
    """Bring a new refresh token's outstanding row in line with its claims (a shortened expiry)."""
    OutstandingToken.objects.filter(jti=token[api_settings.JTI_CLAIM]).update(
        token=str(token), expires_at=datetime_from_epoch(token["exp"])
    )


class RefreshReuse(Enum):
    """What presenting an already spent refresh token turned out to be."""

    NONE = "none"  # not a genuine spent refresh token: nothing was done
    RACE = "race"  # spent within the grace window: two tabs refreshed at once
    THEFT = "theft"  # spent before that: its family is ended


def refresh_token_reuse_check(*, raw_token: str) -> RefreshReuse:
    """
    Tell a benign race from theft when a spent refresh token comes back.

    Two tabs refreshing at once send the same token; the loser's arrives
    just after the winner spent it. Within ``ACCOUNTS_REFRESH_REUSE_GRACE_SECONDS``
    of the spend that is a race: the loser is refused and the family lives.
    Later it is theft (someone kept a copy): every live token of the family is
    blacklisted, the denylist marker is set so that the thief's access tokens
    stop at once on the denylist lane, and a ``RevocationEvent`` is recorded.
    A forged or expired token does nothing: only a verified signature counts.
    """
    try:
        payload = UntypedToken(raw_token).payload
    except TokenError:
        return RefreshReuse.NONE
    if payload.get(api_settings.TOKEN_TYPE_CLAIM) != "refresh":
        return RefreshReuse.NONE
    spent_at = refresh_token_spent_at(jti=payload[api_settings.JTI_CLAIM])
    user = token_user(user_id=payload.get(api_settings.USER_ID_CLAIM))
    family = payload.get(FAMILY_CLAIM)
    if spent_at is None or user is None or family is None:
        return RefreshReuse.NONE
    grace = timedelta(seconds=settings.ACCOUNTS_REFRESH_REUSE_GRACE_SECONDS)
    if timezone.now() - spent_at <= grace:
        return RefreshReuse.RACE
    members = [
        token
        for token in user_refresh_token_list(user=user)
        if jwt.decode(token.token, options={"verify_signature": False}).get(FAMILY_CLAIM) == family
    ]
    if not members:
        # The family was already ended by an earlier reuse.
        return RefreshReuse.THEFT
    # Stamped before the blacklisting, as in user_revoke_access, so that the
    # event predates what it ended (selectors.refresh_token_end_reason).
    started_at = timezone.now()
    with transaction.atomic():
        BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token=token) for token in members], ignore_conflicts=True
        )
        user_denylist_mark(user=user)
        RevocationEvent.objects.create(
            user=user,
            actor=None,
            reason=RevocationEvent.Reason.REFRESH_REUSE,
            created_at=started_at,
            refresh_tokens_blacklisted=len(members),
            access_tokens_denylisted=True,
        )
    return RefreshReuse.THEFT


# ------------------------------------------------------------------ demo accounts
def _rate_key(address: str | None) -> str:
    """Whom a rate counts: the address, or for IPv6 its /64 (one host can hold all of it)."""
    if address is None:
        return "unknown"
    ip = ipaddress.ip_address(address)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def demo_user_create(*, address: str | None, idle: timedelta) -> User:
    """
    A fresh demo account with no password, for a playground login from ``address``.

    Refused with ``TooManyAttempts`` while ``ACCOUNTS_DEMO_ACCOUNTS_LIVE_LIMIT``
    demo accounts exist (the caller deletes the expired ones first, so these
    are live), or past ``ACCOUNTS_DEMO_ACCOUNTS_PER_ADDRESS_PER_HOUR`` made for
    one address in the current hour. Each refusal says when to come back.
    """
    now = timezone.now()
    live = User.objects.filter(is_demo=True)
    if live.count() >= settings.ACCOUNTS_DEMO_ACCOUNTS_LIVE_LIMIT:
        oldest = live.aggregate(oldest=Min("last_login"))["oldest"] or now
        raise TooManyAttempts(
            wait=max(1, math.ceil((oldest + idle - now).total_seconds())),
            detail=str(_("The playground has too many demo accounts in use.")),
            code="demo_accounts_full",
        )
    hour, into_hour = divmod(int(now.timestamp()), 3600)
    counter = f"demo-accounts:{_rate_key(address)}:{hour}"
    cache = caches["default"]
    cache.add(counter, 0, timeout=3600)
    if cache.incr(counter) > settings.ACCOUNTS_DEMO_ACCOUNTS_PER_ADDRESS_PER_HOUR:
        raise TooManyAttempts(
            wait=3600 - into_hour,
            detail=str(_("This address has made as many demo accounts as it may this hour.")),
            code="demo_accounts_rate",
        )
    user = User(username=f"demo-{secrets.token_hex(6)}", is_demo=True, last_login=now)
    user.set_unusable_password()
    user.save()
    return user


def demo_user_seen(*, user: User) -> None:
    """A playground login: the account lives on until the credentials it gets now expire."""
    user.last_login = timezone.now()
    User.objects.filter(pk=user.pk).update(last_login=user.last_login)


def demo_users_delete_expired(*, idle: timedelta, limit: int | None = None) -> int:
    """
    Delete the demo accounts whose every credential has expired, with what
    they left: refresh-token rows (SimpleJWT keeps them with a null user),
    revocation rows, axes records, the session index and the denylist marker.

    A demo account's credentials are made at its logins and live at most
    ``idle`` (the playground's credential lifetime plus the leeway); a refresh
    token rotated since then keeps it alive until that token expires. Redis is
    cleared first: if it fails, nothing is deleted and the next run retries.
    """
    now = timezone.now()
    expired = (
        User.objects.filter(is_demo=True, last_login__lt=now - idle)
        .exclude(outstandingtoken__expires_at__gt=now - api_settings.LEEWAY)
        .order_by("pk")
    )
    users = list(expired[:limit] if limit is not None else expired)
    if not users:
        return 0
    for user in users:
        SessionIndex(user.pk).end(reason=SignOutReason.EXPIRED)
    caches[settings.ACCOUNTS_REVOCATION_CACHE_ALIAS].delete_many(
        [denylist_marker_key(user_id=user_token_id(user=user)) for user in users]
    )
    usernames = [user.get_username() for user in users]
    with transaction.atomic():
        OutstandingToken.objects.filter(user__in=users).delete()
        AccessAttempt.objects.filter(username__in=usernames).delete()
        AccessLog.objects.filter(username__in=usernames).delete()
        User.objects.filter(pk__in=[user.pk for user in users]).delete()
    return len(users)


# ------------------------------------------------------------------ roles
def user_set_staff(*, user: User, is_staff: bool, actor: User | None) -> None:
    """
    Give or remove the staff role, and nothing more: no session is ended and
    no token is revoked, so each lane shows how long it keeps the role it
    already knew (the role drill measures exactly that). Where a removed role
    must stop working at once on every lane, follow this with
    ``user_revoke_access``, which makes the user sign in again.
    """
    user.is_staff = is_staff
    user.save(update_fields=["is_staff"])
    logger.info(
        "Staff role %s for user %s by %s",
        "given" if is_staff else "removed",
        user.pk,
        actor.pk if actor is not None else "the site",
    )


# ------------------------------------------------------------------ revocation
def user_revoke_access(
    *,
    user: User,
    actor: User | None,
    reason: RevocationEvent.Reason = RevocationEvent.Reason.ADMIN_REVOKE,
) -> RevocationEvent:
    """
    End everything that lets ``user`` in: sessions, refresh tokens, and (for
    the denylist lane) access tokens already issued. Records the event.

    The database work runs in one transaction with the Redis work last but
    one: if Redis fails, nothing is recorded and the caller sees the error, so
    a revocation is never reported as done when it was not. Every step is
    idempotent, so trying again is safe.
    """
    started_at = timezone.now()
    with transaction.atomic():
        tokens = user_refresh_tokens_blacklist(user=user)
        sessions = user_sessions_end(user=user, reason=reason_for_revocation(reason))
        user_denylist_mark(user=user)
        return RevocationEvent.objects.create(
            user=user,
            actor=actor,
            reason=reason,
            created_at=started_at,
            sessions_ended=sessions,
            refresh_tokens_blacklisted=tokens,
            access_tokens_denylisted=True,
        )


def user_password_changed(*, user: User) -> RevocationEvent:
    """A new password ends every credential issued under the old one."""
    return user_revoke_access(user=user, actor=None, reason=RevocationEvent.Reason.PASSWORD_CHANGED)
