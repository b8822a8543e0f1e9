"""Keep the per-user session index in step with Django's login and logout."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.http import HttpRequest

from accounts.models import User
from accounts.services import session_register, session_unregister


def on_user_logged_in(sender: type, request: HttpRequest, user: User, **kwargs: Any) -> None:
    session_register(request=request, user=user)


def on_user_logged_out(
    sender: type, request: HttpRequest, user: User | None, **kwargs: Any
) -> None:
    # Sent before the session is flushed, so its key is still known here.
    if user is not None and request.session.session_key:
        session_unregister(user=user, session_key=request.session.session_key)


def connect() -> None:
    user_logged_in.connect(on_user_logged_in, dispatch_uid="accounts.session_register")
    user_logged_out.connect(on_user_logged_out, dispatch_uid="accounts.session_unregister")
