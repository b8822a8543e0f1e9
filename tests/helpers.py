"""
What tests import: plain functions and constants. Fixtures live in conftest.py
and are never imported; everything a test module imports lives here.
"""

from __future__ import annotations

from typing import Any

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
