"""Django's cookie message storage, under a cookie name the settings choose."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.messages.storage import cookie
from django.http import HttpRequest


class CookieStorage(cookie.CookieStorage):
    """
    Django's, named by ``ACCOUNTS_MESSAGES_COOKIE_NAME``. Django fixes the name
    ("messages") as a class attribute; production names every cookie with the
    ``__Host-`` prefix, which makes the browser refuse it unless it is Secure,
    host-only and for the whole site.
    """

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.cookie_name = settings.ACCOUNTS_MESSAGES_COOKIE_NAME
