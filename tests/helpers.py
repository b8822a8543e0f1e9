"""
What tests import: plain functions and constants. Fixtures live in conftest.py
and are never imported; everything a test module imports lives here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.cache import caches

from accounts.models import User

PASSWORD = "correct horse battery staple"


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
