"""
What tests import: plain functions and constants. Fixtures live in conftest.py
and are never imported; everything a test module imports lives here.
"""

from __future__ import annotations

PASSWORD = "correct horse battery staple"


def bearer(token: str) -> dict[str, str]:
    """An Authorization header for Django's and DRF's test clients."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def bearer_header(token: str) -> dict[str, str]:
    """The same header for an HTTP client that takes header names as sent."""
    return {"Authorization": f"Bearer {token}"}
