"""
Why a browser was signed out, told to the person holding it and to nobody else.

When a session ends without its browser asking (another device ended it, an
administrator revoked the user, a timeout), the next page it asks for sends
it to the login page. That page says why, from a short-lived record keyed by
a hash of the ended session key (``accounts.session_index``): only a browser
that still presents the key learns the reason, and a made-up cookie value
matches no record, so it learns nothing. The JWT pages tell the same reasons
from what the database already knows about the refresh token
(``accounts.selectors.refresh_token_end_reason``).
"""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from rest_framework_simplejwt.settings import api_settings

from accounts.models import RevocationEvent
from accounts.timewords import duration_words


class SignOutReason(StrEnum):
    ENDED_ELSEWHERE = "ended_elsewhere"
    REVOKED = "revoked"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a reason, not a password)
    REUSED = "reused"
    IDLE = "idle"
    ABSOLUTE = "absolute"
    EXPIRED = "expired"
    SIGNED_OUT = "signed_out"


def reason_for_revocation(reason: str) -> SignOutReason:
    """The reason a user is told, for a RevocationEvent's reason."""
    return {
        RevocationEvent.Reason.PASSWORD_CHANGED: SignOutReason.PASSWORD_CHANGED,
        RevocationEvent.Reason.REFRESH_REUSE: SignOutReason.REUSED,
    }.get(RevocationEvent.Reason(reason), SignOutReason.REVOKED)


def explain(reason: SignOutReason) -> str:
    """The reason in plain words, with this site's settings."""
    match reason:
        case SignOutReason.ENDED_ELSEWHERE:
            return "Your sign-in on this browser was ended from another device."
        case SignOutReason.REVOKED:
            return "An administrator ended your access."
        case SignOutReason.PASSWORD_CHANGED:
            return "Your password was changed, which signs you out everywhere."
        case SignOutReason.REUSED:
            return (
                "Your sign-in was ended for safety: its refresh token was used twice, "
                "which happens when someone else has a copy of it."
            )
        case SignOutReason.IDLE:
            idle = duration_words(settings.SESSION_COOKIE_AGE)
            return f"You were signed out after {idle} without activity."
        case SignOutReason.ABSOLUTE:
            longest = duration_words(settings.ACCOUNTS_SESSION_ABSOLUTE_TIMEOUT)
            return f"You were signed out because a sign-in lasts at most {longest}."
        case SignOutReason.EXPIRED:
            longest = duration_words(api_settings.REFRESH_TOKEN_LIFETIME)
            return f"Your sign-in lasted its full {longest} and has ended."
        case SignOutReason.SIGNED_OUT:
            return "You have signed out."
