"""
Refuse to run production-shaped settings that would undo the site's guarantees.

Run twice: as a Django system check (``manage.py check``, tagged security),
and from ``AccountsConfig.ready()`` so that a WSGI server, which runs no
system checks, still refuses to start.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from rest_framework_simplejwt.settings import api_settings

MIN_KEY_BYTES = 32
BLACKLIST_APP = "rest_framework_simplejwt.token_blacklist"


def production_problems() -> list[str]:
    """What is wrong with the settings for production; empty outside DJANGO_SECURE."""
    if not settings.ACCOUNTS_PRODUCTION_CHECKS:
        return []
    problems = []
    signing_key = api_settings.SIGNING_KEY
    if settings.DEBUG:
        problems.append("DEBUG is on: set DJANGO_DEBUG=0.")
    if len(signing_key.encode()) < MIN_KEY_BYTES or len(set(signing_key)) < MIN_KEY_BYTES // 4:
        problems.append(
            "JWT_SIGNING_KEY is weak: use at least 32 random bytes, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'."
        )
    if signing_key == settings.SECRET_KEY:
        problems.append("JWT_SIGNING_KEY equals DJANGO_SECRET_KEY: give each its own value.")
    if "insecure" in signing_key or "insecure" in settings.SECRET_KEY:
        problems.append("A development key is in use: set DJANGO_SECRET_KEY and JWT_SIGNING_KEY.")
    if BLACKLIST_APP not in settings.INSTALLED_APPS:
        problems.append(f"{BLACKLIST_APP} is not installed: refresh tokens could not be revoked.")
    return problems


def refuse_unsafe_production_settings() -> None:
    if problems := production_problems():
        raise ImproperlyConfigured("Refusing to start: " + " ".join(problems))


@checks.register(checks.Tags.security)
def check_production_settings(**kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Error(problem, id=f"accounts.E00{number}")
        for number, problem in enumerate(production_problems(), start=1)
    ]
