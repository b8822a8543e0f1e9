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

from accounts import keys

MIN_KEY_BYTES = 32
BLACKLIST_APP = "rest_framework_simplejwt.token_blacklist"


def production_problems() -> list[str]:
    """What is wrong with the settings for production; empty outside DJANGO_SECURE."""
    if not settings.ACCOUNTS_PRODUCTION_CHECKS:
        return []
    problems = []
    if settings.DEBUG:
        problems.append("DEBUG is on: set DJANGO_DEBUG=0.")
    if keys.is_symmetric(api_settings.ALGORITHM):
        problems += _shared_secret_problems(api_settings.SIGNING_KEY)
    else:
        if "insecure" in settings.SECRET_KEY:
            problems.append("A development key is in use: set DJANGO_SECRET_KEY.")
        problems += _development_key_pair_problems()
    if BLACKLIST_APP not in settings.INSTALLED_APPS:
        problems.append(f"{BLACKLIST_APP} is not installed: refresh tokens could not be revoked.")
    return problems


def _shared_secret_problems(signing_key: str) -> list[str]:
    problems = []
    if len(signing_key.encode()) < MIN_KEY_BYTES or len(set(signing_key)) < MIN_KEY_BYTES // 4:
        problems.append(
            "JWT_SIGNING_KEY is weak: use at least 32 random bytes, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'."
        )
    if signing_key == settings.SECRET_KEY:
        problems.append("JWT_SIGNING_KEY equals DJANGO_SECRET_KEY: give each its own value.")
    if "insecure" in signing_key or "insecure" in settings.SECRET_KEY:
        problems.append("A development key is in use: set DJANGO_SECRET_KEY and JWT_SIGNING_KEY.")
    return problems


def _development_key_pair_problems() -> list[str]:
    """A development key pair is refused like a development secret."""
    development = [record.kid for record in keys.key_state_read().keys if record.development]
    if not development:
        return []
    return [
        f"JWT_KEYS_DIR ({keys.keys_directory()}) holds development keys "
        f"({', '.join(development)}), generated on first run: point JWT_KEYS_DIR at an empty "
        "directory for production and create its first key with "
        "`python manage.py jwt_rotate_keys --initial`."
    ]


def refuse_unsafe_production_settings() -> None:
    if problems := production_problems():
        raise ImproperlyConfigured("Refusing to start: " + " ".join(problems))


@checks.register(checks.Tags.security)
def check_production_settings(**kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Error(problem, id=f"accounts.E00{number}")
        for number, problem in enumerate(production_problems(), start=1)
    ]


@checks.register(checks.Tags.security)
def check_signing_key_exists(**kwargs: Any) -> list[checks.CheckMessage]:
    """
    Production never generates a key by itself. Not refused at start-up like
    the rest: ``jwt_rotate_keys --initial`` must be able to start to make it.
    """
    if (
        not settings.ACCOUNTS_PRODUCTION_CHECKS
        or keys.is_symmetric(api_settings.ALGORITHM)
        or keys.key_state_read().signing_record is not None
    ):
        return []
    return [
        checks.Error(
            f"No JWT signing key in JWT_KEYS_DIR ({keys.keys_directory()}).",
            hint="Create the first with `python manage.py jwt_rotate_keys --initial`.",
            id="accounts.E010",
        )
    ]
