"""
How an authentication step ended: one outcome per request, from the code of
the refusal that the auth code raised.

Every refusal carries a machine code from the place that raised it (our
token classes, our authentication classes, SimpleJWT's and DRF's own);
``OUTCOME_BY_CODE`` is the one place those codes are mapped to outcomes.
Nothing here reads an error's message.
"""

from __future__ import annotations

from django.db.models import TextChoices
from rest_framework.exceptions import APIException
from rest_framework_simplejwt.exceptions import TokenError

from accounts.exceptions import STORE_ERRORS


class Outcome(TextChoices):
    ACCEPTED = "accepted", "Accepted"
    MISSING = "missing", "No credential"
    MALFORMED = "malformed", "Malformed credential"
    BAD_SIGNATURE = "bad_signature", "Bad signature or algorithm"
    INVALID_CLAIMS = "invalid_claims", "Wrong issuer, audience or token type"
    EXPIRED = "expired", "Expired"
    NOT_FOUND = "not_found", "No such session (ended, expired or never made)"
    REVOKED = "revoked", "Revoked"
    INACTIVE = "inactive", "User inactive, deleted or password changed"
    BLACKLISTED = "blacklisted", "Refresh token blacklisted"
    STORE_UNAVAILABLE = "store_unavailable", "Store unavailable"


OUTCOME_BY_CODE: dict[str, Outcome] = {
    # accounts.tokens
    "token_expired": Outcome.EXPIRED,
    "token_bad_signature": Outcome.BAD_SIGNATURE,
    # accounts.keys: the kid names no key of ours, or a retired one
    "token_unknown_key": Outcome.BAD_SIGNATURE,
    "token_key_retired": Outcome.BAD_SIGNATURE,
    "token_invalid_claims": Outcome.INVALID_CLAIMS,
    "token_wrong_type": Outcome.INVALID_CLAIMS,
    "token_no_id": Outcome.INVALID_CLAIMS,
    "token_no_user": Outcome.INVALID_CLAIMS,
    "token_malformed": Outcome.MALFORMED,
    "token_blacklisted": Outcome.BLACKLISTED,
    # accounts.authentication and accounts.session_lanes
    "token_revoked": Outcome.REVOKED,
    "session_missing": Outcome.MISSING,
    "session_not_found": Outcome.NOT_FOUND,
    "session_user_inactive": Outcome.INACTIVE,
    "session_expired": Outcome.EXPIRED,
    "store_unavailable": Outcome.STORE_UNAVAILABLE,
    # remote/ (the second service): the site's public keys could not be fetched
    "keys_unavailable": Outcome.STORE_UNAVAILABLE,
    # SimpleJWT's authentication and serializers
    "bad_authorization_header": Outcome.MALFORMED,
    "token_not_valid": Outcome.MALFORMED,
    "user_inactive": Outcome.INACTIVE,
    "user_not_found": Outcome.INACTIVE,
    "no_active_account": Outcome.INACTIVE,
    # DRF
    "not_authenticated": Outcome.MISSING,
}


def refusal_code(exc: BaseException) -> str:
    """The machine code an auth error carries; "" when it carries none."""
    if isinstance(exc, APIException):
        # SimpleJWT's errors are {"detail": ..., "code": ...}; DRF's carry the code on the detail.
        if isinstance(exc.detail, dict):
            return str(exc.detail.get("code", ""))
        codes = exc.get_codes()
        return codes if isinstance(codes, str) else ""
    if isinstance(exc, TokenError):
        return getattr(exc.args[0], "code", "") if exc.args else ""
    return ""


def outcome_of(exc: BaseException) -> Outcome:
    """The outcome of an authentication step that raised ``exc``."""
    if isinstance(exc, STORE_ERRORS):
        return Outcome.STORE_UNAVAILABLE
    return OUTCOME_BY_CODE.get(refusal_code(exc), Outcome.MALFORMED)
