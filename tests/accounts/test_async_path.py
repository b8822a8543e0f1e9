"""
The async path enforces what the sync path does: under ASGI, with async views
(``await request.auser()``, ``login_required``, ``await request.session.aget()``),
the session lane's timeouts, its measurement and its 503 on a Redis outage.

Also here: Django's own session-backend and auth-middleware tests, adapted to
this project's ``SessionStore`` and ``SessionAuthenticationMiddleware``, in
their sync and async forms. Async code is driven with ``async_to_sync``, as
Django's own test runner does, so that it shares the test's database
transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from importlib import import_module

import pytest
import time_machine
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import AsyncClient
from django.urls import include, path, reverse
from django.utils import timezone

from accounts.exceptions import REDIS_ERRORS
from accounts.middleware import SessionAuthenticationMiddleware
from comparison.models import AuthSample
from tests.helpers import PASSWORD, session_cache_key

pytestmark = pytest.mark.django_db

SessionStore = import_module(settings.SESSION_ENGINE).SessionStore


# ------------------------------------------------------------------ a test-only URLconf
async def whoami(request: HttpRequest) -> JsonResponse:
    user = await request.auser()
    return JsonResponse({"username": user.get_username() if user.is_authenticated else None})


async def both_ways(request: HttpRequest) -> JsonResponse:
    """Asks the async way, then the sync way: the two must agree, and the lane run once."""
    asynchronous = await request.auser()
    synchronous = await sync_to_async(lambda: request.user.is_authenticated)()
    return JsonResponse({"auser": asynchronous.is_authenticated, "user": synchronous})


@login_required
async def private(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


async def session_value(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"value": await request.session.aget("anything")})


urlpatterns = [
    path("async/whoami/", whoami),
    path("async/both/", both_ways),
    path("async/private/", private),
    path("async/session/", session_value),
    path("", include("config.urls")),
]


def run(coroutine_function: Callable, *args, **kwargs):
    return async_to_sync(coroutine_function)(*args, **kwargs)


@pytest.fixture
def signed_in(user) -> AsyncClient:
    """An ASGI client that signed in through the real form."""
    client = AsyncClient()
    response = run(
        client.post, reverse("accounts:session-login"), {"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    return client


@pytest.fixture
def redis_down(settings) -> None:
    """Every cache alias pointed at a port where nothing listens: connections are refused."""
    caches = copy.deepcopy(settings.CACHES)
    for alias in caches:
        caches[alias]["LOCATION"] = "redis://127.0.0.1:9/0"
    settings.CACHES = caches


# ------------------------------------------------------------------ under ASGI
@pytest.mark.urls(__name__)
def test_async_auser_sees_a_valid_session(signed_in: AsyncClient) -> None:
    assert run(signed_in.get, "/async/whoami/").json() == {"username": "alice"}
    assert run(signed_in.get, "/async/private/").status_code == HTTPStatus.OK


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("path", ["/async/whoami/", "/async/private/", "/session/"])
def test_async_auser_refuses_a_session_past_its_absolute_timeout(
    signed_in: AsyncClient, path: str
) -> None:
    later = timezone.now() + timedelta(seconds=settings.ACCOUNTS_SESSION_ABSOLUTE_TIMEOUT + 1)

    with time_machine.travel(later):
        response = run(signed_in.get, path)

    if path == "/async/whoami/":
        assert response.json() == {"username": None}
    else:
        assert response.status_code == HTTPStatus.FOUND
        assert response.url.startswith(reverse("accounts:session-login"))


@pytest.mark.urls(__name__)
def test_async_auser_and_request_user_agree_and_the_lane_runs_once(
    signed_in: AsyncClient, flush_samples
) -> None:
    # What signing in queued is stored first, so it does not count below.
    flush_samples()
    AuthSample.objects.all().delete()
    later = timezone.now() + timedelta(seconds=settings.ACCOUNTS_SESSION_ABSOLUTE_TIMEOUT + 1)

    fresh = run(signed_in.get, "/async/both/")
    with time_machine.travel(later):
        expired = run(signed_in.get, "/async/both/")

    assert fresh.json() == {"auser": True, "user": True}
    assert expired.json() == {"auser": False, "user": False}
    flush_samples()
    assert list(AuthSample.objects.order_by("pk").values_list("lane", "outcome")) == [
        ("session", "accepted"),
        ("session", "expired"),
    ]


@pytest.mark.urls(__name__)
def test_async_auser_is_measured_and_marked_private(signed_in: AsyncClient, flush_samples) -> None:
    # What signing in queued is stored first, so it does not count below.
    flush_samples()
    AuthSample.objects.all().delete()

    response = run(signed_in.get, "/async/whoami/")

    # Everyone gets the timing; the lane's details are for staff (issue 11).
    assert response["Server-Timing"].startswith("auth;dur=")
    assert "no-store" in response["Cache-Control"]
    flush_samples()
    sample = AuthSample.objects.get()
    assert (sample.lane, sample.outcome, sample.redis_round_trips, sample.db_queries) == (
        "session",
        "accepted",
        1,
        1,
    )


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("path", ["/async/whoami/", "/async/private/", "/async/session/"])
def test_async_path_answers_503_when_redis_is_down_never_anonymous(
    signed_in: AsyncClient, redis_down, path: str
) -> None:
    response = run(signed_in.get, path)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"]


# ------------------------------------------------------------------ the session store
def test_async_session_store_aload_raises_when_redis_is_down_like_load(
    session_client, redis_down
) -> None:
    key = session_client.cookies[settings.SESSION_COOKIE_NAME].value

    with pytest.raises(REDIS_ERRORS):
        SessionStore(key).load()
    store = SessionStore(key)
    with pytest.raises(REDIS_ERRORS):
        run(store.aload)
    # Not taken for "no such session": the key is kept, so nothing is logged out.
    assert store.session_key == key


@pytest.fixture
def session() -> SessionStore:
    return SessionStore()


def test_new_session_is_empty_and_untouched(session) -> None:
    assert session.get("cat") is None
    assert run(session.aget, "cat") is None
    assert (session.modified, session.accessed) == (False, True)


@pytest.mark.parametrize("asynchronous", [False, True])
def test_store_pop_setdefault_update_and_clear(session, asynchronous: bool) -> None:
    if asynchronous:
        run(session.aset, "cat", "dog")
        assert run(session.apop, "cat") == "dog"
        assert run(session.apop, "cat", "gone") == "gone"
        assert run(session.asetdefault, "foo", "bar") == "bar"
        assert run(session.asetdefault, "foo", "baz") == "bar"
        run(session.aupdate, {"update key": 1})
        assert run(session.ahas_key, "update key")
        assert sorted(run(session.akeys)) == ["foo", "update key"]
    else:
        session["cat"] = "dog"
        assert session.pop("cat") == "dog"
        assert session.pop("cat", "gone") == "gone"
        assert session.setdefault("foo", "bar") == "bar"
        assert session.setdefault("foo", "baz") == "bar"
        session.update({"update key": 1})
        assert "update key" in session
        assert sorted(session.keys()) == ["foo", "update key"]
    session.clear()
    assert list(session.items()) == []
    assert session.modified


@pytest.mark.parametrize("asynchronous", [False, True])
def test_saved_session_loads_by_key_and_deleted_session_is_gone(
    session, session_redis, asynchronous: bool
) -> None:
    session["a"] = "b"
    if asynchronous:
        run(session.asave)
        key = session.session_key
        assert run(SessionStore(key).aget, "a") == "b"
        run(session.adelete)
        assert not run(session.aexists, key)
    else:
        session.save()
        key = session.session_key
        assert SessionStore(key).get("a") == "b"
        session.delete()
        assert not session.exists(key)
    assert not session_redis.exists(session_cache_key(key))


@pytest.mark.parametrize("asynchronous", [False, True])
def test_flush_empties_the_session_and_drops_its_key(
    session, session_redis, asynchronous: bool
) -> None:
    session["foo"] = "bar"
    session.save()
    old_key = session.session_key

    run(session.aflush) if asynchronous else session.flush()

    assert session.session_key is None
    assert list(session.items()) == []
    assert not session_redis.exists(session_cache_key(old_key))


@pytest.mark.parametrize("asynchronous", [False, True])
def test_cycle_key_keeps_the_data_under_a_new_key(session, asynchronous: bool) -> None:
    session["a"], session["b"] = "c", "d"
    session.save()
    old_key, old_items = session.session_key, sorted(session.items())

    run(session.acycle_key) if asynchronous else session.cycle_key()

    assert session.session_key != old_key
    assert not session.exists(old_key)
    assert sorted(SessionStore(session.session_key).items()) == old_items


@pytest.mark.parametrize("asynchronous", [False, True])
def test_an_unknown_key_loads_as_a_new_empty_session(asynchronous: bool) -> None:
    store = SessionStore("a" * 32)

    data = run(store.aload) if asynchronous else store.load()

    assert data == {}
    assert store.session_key is None


@pytest.mark.parametrize("key", ["", "short", "x" * 7])
def test_keys_too_short_are_never_used(key: str) -> None:
    assert SessionStore(key).session_key is None


def test_expiry_is_the_redis_ttl(session, session_redis) -> None:
    session["x"] = 1
    session.set_expiry(30)
    session.save()

    assert 0 < session_redis.ttl(session_cache_key(session.session_key)) <= 30


# ------------------------------------------------------------------ the auth middleware
def _request_for(client) -> HttpRequest:
    request = HttpRequest()
    request.session = SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value)
    request.COOKIES[settings.SESSION_COOKIE_NAME] = request.session.session_key
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    SessionAuthenticationMiddleware(lambda request: HttpResponse())(request)
    return request


def test_middleware_without_a_password_change_keeps_the_user(session_client, user) -> None:
    request = _request_for(session_client)

    assert request.user == user
    assert run(request.auser) == user


def test_middleware_after_a_password_change_is_anonymous_and_flushed(session_client, user) -> None:
    request = _request_for(session_client)
    user.set_password("a new password entirely")
    user.save()

    assert request.user.is_anonymous
    assert run(request.auser).is_anonymous
    assert request.session.session_key is None


def test_middleware_auser_is_the_same_object_each_time(session_client, user) -> None:
    request = _request_for(session_client)

    first, second = run(request.auser), run(request.auser)

    assert first == user
    assert first is second


def test_middleware_without_session_middleware_says_how_to_fix_it() -> None:
    with pytest.raises(ImproperlyConfigured, match="requires session middleware"):
        SessionAuthenticationMiddleware(lambda request: HttpResponse())(HttpRequest())
