"""
Receivers that keep the accounts app in step with Django: the session index
follows login and logout, a password change revokes, and the auth observer and
SimpleJWT's settings are read again when their settings change. Each only
calls a service.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.http import HttpRequest
from rest_framework_simplejwt.settings import api_settings as jwt_api_settings

from accounts.models import User
from accounts.observers import auth_observer
from accounts.services import session_register, session_unregister, user_password_changed


def on_user_logged_in(sender: type, request: HttpRequest, user: User, **kwargs: Any) -> None:
    session_register(request=request, user=user)


def on_user_logged_out(
    sender: type, request: HttpRequest, user: User | None, **kwargs: Any
) -> None:
    # Sent before the session is flushed, so its key is still known here.
    if user is not None and request.session.session_key:
        session_unregister(user=user, session_key=request.session.session_key)


def on_user_pre_save(sender: type, instance: User, **kwargs: Any) -> None:
    # post_save comes after the save has cleared the raw password.
    instance._revoke_on_save = instance.password_is_changing  # type: ignore[attr-defined]


def on_user_post_save(sender: type, instance: User, **kwargs: Any) -> None:
    if getattr(instance, "_revoke_on_save", False):
        instance._revoke_on_save = False  # type: ignore[attr-defined]
        transaction.on_commit(lambda: user_password_changed(user=instance))


def on_setting_changed(setting: str, value: Any = None, **kwargs: Any) -> None:
    if setting == "ACCOUNTS_AUTH_OBSERVER":
        auth_observer.cache_clear()
    elif setting == "SIMPLE_JWT":
        # SimpleJWT's own receiver binds a new settings object that no module which
        # imported the old one (its own included) ever sees: refresh the old one in
        # place, so that what is read per call follows override_settings. What
        # SimpleJWT builds at import (token lifetimes, the token backend) does not.
        jwt_api_settings.reload()
        jwt_api_settings._user_settings = value or {}  # type: ignore[attr-defined]


def connect() -> None:
    user_logged_in.connect(on_user_logged_in, dispatch_uid="accounts.session_register")
    user_logged_out.connect(on_user_logged_out, dispatch_uid="accounts.session_unregister")
    pre_save.connect(on_user_pre_save, sender=User, dispatch_uid="accounts.password_pre_save")
    post_save.connect(on_user_post_save, sender=User, dispatch_uid="accounts.password_revoke")
    setting_changed.connect(on_setting_changed, dispatch_uid="accounts.auth_observer")
