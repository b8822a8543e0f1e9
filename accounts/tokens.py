from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ErrorDetail
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.exceptions import TokenError

from comparison.reasons import token_error_reason


class AccessToken(tokens.AccessToken):
    """
    SimpleJWT's access token, whose failures say which check failed.

    SimpleJWT reports a bad signature, a wrong audience and garbage alike as
    "Token is invalid". The message stays the same; it gains a ``code``
    (bad_signature, expired, invalid_claims, malformed) that DRF carries into
    the error body and the comparison app records. Only the failure path pays.
    """

    def __init__(self, token: Any = None, verify: bool = True) -> None:
        try:
            super().__init__(token, verify)
        except TokenError as e:
            raise TokenError(ErrorDetail(str(e.args[0]), code=token_error_reason(e))) from e


FAMILY_CLAIM = "family"


class RefreshToken(tokens.RefreshToken):
    """
    SimpleJWT's refresh token, plus a ``family`` claim: the id of the first
    token of its line. Rotation copies claims, so every descendant carries
    it, which is what lets a reused token end its whole line.
    """

    no_copy_claims = (*tokens.RefreshToken.no_copy_claims, FAMILY_CLAIM)

    def __init__(self, token: Any = None, verify: bool = True) -> None:
        super().__init__(token, verify)
        if token is None:
            self[FAMILY_CLAIM] = self["jti"]
