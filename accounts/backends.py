"""The password backend: Django's, telling the lockout where a password was right."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts.lockout import password_accepted
from accounts.models import User


class PasswordBackend(ModelBackend):
    """
    ``ModelBackend``, plus one record per accepted password (``accounts.lockout``).

    Every password check of the site passes here (both login forms, the admin,
    the token endpoint), and nothing else does: the playground's demo logins
    never call ``authenticate()``, so they can never count as a success.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and request is not None:
            password_accepted(request=request, username=user.get_username())
        return user

    async def aauthenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        user = await super().aauthenticate(request, username=username, password=password, **kwargs)
        if user is not None and request is not None:
            await sync_to_async(password_accepted)(request=request, username=user.get_username())
        return user
