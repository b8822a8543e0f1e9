"""
What tests import: plain functions and constants. Fixtures live in conftest.py
and are never imported; everything a test module imports lives here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.cache import caches

from accounts.models import User

PASSWORD = "correct horse battery staple"
# What the site and the second service share in the tests that run both.
INGEST_KEY = "the-suites-ingest-key-0123456789abcdef"


def make_user(username: str = "alice", *, password: str = PASSWORD, **fields: Any) -> User:
    """
    The one way tests make a user. A staff member or superuser is the same
    call with ``is_staff=True, is_superuser=True``.
    """
    return User.objects.create_user(username=username, password=password, **fields)


def bearer(token: str) -> dict[str, str]:
    """An Authorization header for Django's and DRF's test clients."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def bearer_header(token: str) -> dict[str, str]:
    """The same header for an HTTP client that takes header names as sent."""
    return {"Authorization": f"Bearer {token}"}


def session_cache_key(session_key: str) -> str:
    """
    The Redis key under which the session engine keeps ``session_key``:
    the engine's own cache key, prefixed by its cache, never spelled out.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    # The engine drops a key it finds invalid and would name a fresh random one.
    if store.session_key != session_key:
        raise ValueError(f"{session_key!r} is not a valid session key")
    return caches[settings.SESSION_CACHE_ALIAS].make_key(store.cache_key)


def b64url(data: dict | bytes) -> str:
    """One JWS segment: JSON (or raw bytes) in unpadded base64url."""
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hmac_signed(claims: dict, secret: bytes, *, algorithm: str = "HS256", headers=None) -> str:
    """
    A token HMAC-signed with any bytes at all, as an attacker would make it.
    PyJWT refuses a public key as an HMAC secret, so this is done by hand.
    """
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
    header = {"alg": algorithm, "typ": "JWT", **(headers or {})}
    signing_input = f"{b64url(header)}.{b64url(claims)}"
    signature = hmac.new(secret, signing_input.encode(), digest[algorithm]).digest()
    return f"{signing_input}.{b64url(signature)}"


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http_get(url: str, *, headers: dict[str, str] | None = None) -> HttpAnswer:
    """A GET to a process on this machine, every status returned rather than raised."""
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback in tests
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return HttpAnswer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return HttpAnswer(error.code, dict(error.headers), error.read())


def http_post(url: str, data: dict[str, str]) -> HttpAnswer:
    """A form POST to a process on this machine (the site's token endpoint)."""
    body = urllib.parse.urlencode(data).encode()
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return HttpAnswer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return HttpAnswer(error.code, dict(error.headers), error.read())


# ------------------------------------------------------------------ tokens no check may let through
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def non_canonical(token: str) -> dict[str, str]:
    """The same token, spelled in ways a lenient base64 decoder reads as the same bytes."""
    header, payload, signature = token.split(".")
    last = signature[-1]
    # A signature's length is no multiple of 3 bytes (HS256 32, EdDSA 64): the last
    # character's lowest bit encodes nothing.
    stray_bits = ALPHABET[ALPHABET.index(last) ^ 1]
    return {
        "padding_on_signature": f"{token}=",
        "double_padding_on_signature": f"{token}==",
        "padding_on_header": f"{header}=.{payload}.{signature}",
        "padding_on_payload": f"{header}.{payload}=.{signature}",
        "padding_inside_signature": f"{header}.{payload}.{signature[:20]}={signature[20:]}",
        "stray_bits_in_signature": f"{header}.{payload}.{signature[:-1]}{stray_bits}",
        "standard_alphabet_signature": f"{header}.{payload}."
        + signature.replace("-", "+").replace("_", "/"),
        "foreign_characters_in_signature": f"{header}.{payload}.{signature[:10]}!!{signature[10:]}",
        "percent_encoded_padding": f"{token}%3D",
    }


def odd_claims(claims: dict) -> dict[str, dict]:
    """Claims a token signed with the real key could carry, none of which may reach a 500."""
    without = lambda *names: {k: v for k, v in claims.items() if k not in names}  # noqa: E731
    return {
        "no_iat": without("iat"),
        "iat_huge": {**claims, "iat": 10**20},
        "iat_negative": {**claims, "iat": -1},
        "iat_float": {**claims, "iat": claims["iat"] + 0.5},
        "exp_numeric_string": {**claims, "exp": str(claims["exp"])},
        "exp_huge": {**claims, "exp": 10**20},
        "exp_beyond_year_9999": {**claims, "exp": 253_402_300_800},
        "exp_float": {**claims, "exp": claims["exp"] + 0.5},
        "exp_true": {**claims, "exp": True},
        "nbf_numeric_string": {**claims, "nbf": str(claims["iat"])},
        "jti_number": {**claims, "jti": 12345},
        "jti_empty": {**claims, "jti": ""},
        "jti_too_long": {**claims, "jti": "j" * 300},
        "user_id_word": {**claims, "user_id": "not-a-number"},
        "user_id_huge_string": {**claims, "user_id": "9" * 30},
        "user_id_huge_int": {**claims, "user_id": 2**64},
        "user_id_unicode_digits": {**claims, "user_id": "٣"},
        "user_id_list": {**claims, "user_id": [1]},
        "user_id_object": {**claims, "user_id": {"id": 1}},
        "user_id_true": {**claims, "user_id": True},
        "user_id_float": {**claims, "user_id": 1.0},
        "family_number": {**claims, "family": 7},
        "staff_as_string": {**claims, "is_staff": "false"},
        "staff_as_number": {**claims, "is_staff": 1},
    }
