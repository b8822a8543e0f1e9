"""
Password guessing, bounded three ways, without letting a guesser lock others out.

django-axes records each failed login (``AccessAttempt``: username, address,
user agent, failures, time of the last one). Its stock handler applies one
limit to every key it is given, and with reset-on-success a single login from
an address wiped every failure recorded from it: the playground's passwordless
login reopened guessing against any account, and five failures from a shared
address locked out everybody behind it. This handler keeps axes' records,
admin and ``axes_reset*`` commands, and decides differently:

* **(username, address)**, ``AXES_FAILURE_LIMIT`` (5): what a person meets
  after mistyping their own password. Locks that pair only.
* **username**, from every address, ``ACCOUNTS_LOCKOUT_USERNAME_FAILURE_LIMIT``
  (20): bounds guessing at one account spread over many addresses.
* **address**, over every username, ``ACCOUNTS_LOCKOUT_ADDRESS_FAILURE_LIMIT``
  (50): bounds one address trying a password on many accounts.

The two wide limits do not apply to a username at an address where it signed
in with its password within ``ACCOUNTS_LOCKOUT_KNOWN_ADDRESS_DAYS``: there the
pair limit alone applies, so guesses spread over many addresses, or many
usernames tried from a shared address, cannot lock out the people who sign in
from there. Guessing stays bounded: per cool-off, 20 guesses at an account plus
5 from each address it is known at.

Nothing forgives a failure. A failure counts until ``AXES_COOLOFF_TIME`` has
passed since the last failure of its (username, address, user agent) record;
a success, on this account or another, leaves the count alone. An attempt
refused because of a lockout is not counted (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``
is off), so hammering a locked pair neither extends its lock nor pushes its
username or address towards theirs.

Successes are recorded by ``password_accepted``, called by the password
backend (``accounts.backends``), never from ``user_logged_in``: a login is not
proof of a password (the playground logs its demo accounts in without one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt, AccessLog
from axes.signals import user_locked_out
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.addresses import client_address
from accounts.exceptions import human_duration


@dataclass(frozen=True)
class Lockout:
    """Which limit refused an attempt, and when it lifts."""

    scope: str
    until: datetime

    def seconds_left(self) -> int:
        return max(1, math.ceil((self.until - timezone.now()).total_seconds()))


def _scope_lockout(
    scope: str, filters: dict[str, Any], limit: int, *, since: datetime, cool_off: timedelta
) -> Lockout | None:
    records = list(
        AccessAttempt.objects.filter(**filters, attempt_time__gte=since)
        .order_by("attempt_time")
        .values_list("attempt_time", "failures_since_start")
    )
    failures = sum(count for _, count in records)
    # Records expire oldest first; the lock lifts once enough of them have.
    for last_failure, count in records:
        if failures < limit:
            break
        failures -= count
        if failures < limit:
            return Lockout(scope, last_failure + cool_off)
    return None


def signed_in_from(*, username: str | None, address: str | None, now: datetime) -> bool:
    """Whether ``username`` signed in with its password from ``address`` lately."""
    known_since = now - timedelta(days=settings.ACCOUNTS_LOCKOUT_KNOWN_ADDRESS_DAYS)
    return AccessLog.objects.filter(
        username=username, ip_address=address, attempt_time__gte=known_since
    ).exists()


def password_accepted(*, request: HttpRequest, username: str) -> None:
    """
    Remember that ``username`` proved its password from the request's address.
    One row per (username, address), moved forward on each sign-in.
    """
    address = client_address(request)
    now = timezone.now()
    fields = {
        "attempt_time": now,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:255],
        "http_accept": request.META.get("HTTP_ACCEPT", "")[:1025],
        "path_info": request.META.get("PATH_INFO", "")[:255],
    }
    pair = AccessLog.objects.filter(username=username, ip_address=address)
    # update(), not save(): attempt_time is auto_now_add, which save() would not move.
    if not pair.update(**fields):
        AccessLog.objects.create(username=username, ip_address=address, **fields)


class LockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler, with the three limits of this module."""

    def lockout(self, request: Any, credentials: dict | None = None) -> Lockout | None:
        """The lockout that refuses this attempt (the one that lifts last), or None."""
        username = get_client_username(request, credentials)
        address = request.axes_ip_address
        now, cool_off = request.axes_attempt_time, get_cool_off(request)
        scopes = {
            "pair": ({"username": username, "ip_address": address}, settings.AXES_FAILURE_LIMIT)
        }
        if not signed_in_from(username=username, address=address, now=now):
            scopes["username"] = (
                {"username": username},
                settings.ACCOUNTS_LOCKOUT_USERNAME_FAILURE_LIMIT,
            )
            scopes["address"] = (
                {"ip_address": address},
                settings.ACCOUNTS_LOCKOUT_ADDRESS_FAILURE_LIMIT,
            )
        lockouts = [
            _scope_lockout(scope, filters, limit, since=now - cool_off, cool_off=cool_off)
            for scope, (filters, limit) in scopes.items()
        ]
        return max(filter(None, lockouts), key=lambda lockout: lockout.until, default=None)

    def is_locked(self, request: Any, credentials: dict | None = None) -> bool:
        request.lockout = self.lockout(request, credentials)
        return request.lockout is not None

    def get_failures(self, request: Any, credentials: dict | None = None) -> int:
        """The failures of this (username, address): what ``AXES_FAILURE_LIMIT`` is compared to."""
        username = get_client_username(request, credentials)
        since = request.axes_attempt_time - get_cool_off(request)
        return sum(
            AccessAttempt.objects.filter(
                username=username, ip_address=request.axes_ip_address, attempt_time__gte=since
            ).values_list("failures_since_start", flat=True)
        )

    def user_login_failed(
        self, sender: Any, credentials: dict, request: Any = None, **kwargs: Any
    ) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "lockout", None) is not None:
            return
        # This failure may have reached the username's or the address's limit.
        request.lockout = self.lockout(request, credentials)
        if request.lockout is not None and not request.axes_locked_out:
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )

    def user_logged_in(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        """Nothing: a login is not a password check (see ``password_accepted``)."""

    def user_logged_out(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        """Nothing: sign-ins are recorded per (username, address), not per session."""


def lockout_seconds(request: Any) -> int:
    """How long the lockout noticed on this request lasts, in whole seconds."""
    lockout: Lockout | None = getattr(request, "lockout", None)
    if lockout is None:
        return int(get_cool_off(request).total_seconds())
    return lockout.seconds_left()


def lockout_response(request: HttpRequest, *args: Any) -> HttpResponse:
    """The page a locked-out sign-in form answers with (``AXES_LOCKOUT_CALLABLE``)."""
    seconds = lockout_seconds(request)
    context = {"retry_after_seconds": seconds, "retry_after": human_duration(seconds)}
    response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response
