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
