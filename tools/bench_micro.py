"""
Warm, in-process cost of each lane's auth step, next to its floor and its
stock peer.

Run by ``tools.bench`` with ``COMPARISON_MEASURE=0`` (the lanes bare, with no
observer, plus the floors and the peers) and with measurement on (the lanes
under the probe), in two ways:

* ``python -m tools.bench_micro -o FILE``: pyperf times each benchmark in
  worker processes of its own (calibrated loops, warmups): the µs figures.
* with ``AUTHBENCH_PAIRED`` set: the ratios. In one process, each lane and
  the floor (or peer) it is compared with are timed back to back, round after
  round, in a shuffled order (``paired_rounds``), each with the loops
  pyperf's way of calibrating gives; one ratio per round. pyperf cannot put
  two benchmarks side by side, and two of its processes differ by more than
  the effects sought: on the 2-core development machine, the stateless step
  against itself gave an A/A band of +-28% across pyperf's processes, and
  +-1.5% in paired rounds in one process.

The credentials and the scratch database come in the environment
(``AUTHBENCH_SESSION_KEY``, ``AUTHBENCH_ACCESS_TOKEN``, ``DATABASE_URL``).

* A lane's step is timed exactly as the site runs it: the DRF view's
  ``perform_authentication`` for a mounted lane, the lane's function for the
  session lane, ``observe_auth`` around the class for the JWT pages. Building
  the request (what the server does before authentication) is left out.
* Floors are the library calls a lane cannot avoid, on the same token, key,
  server and row: PyJWT's decode with SimpleJWT's checks and the key the site
  verifies this token with (``accounts.keys``), a redis-py GET on a pooled
  connection, the session read (GET plus JSON decode), the user row through a
  raw DB-API cursor.
* Peers are the stock classes: SimpleJWT's ``JWTStatelessUserAuthentication``
  and ``JWTAuthentication`` (on the site's token class, the only one that
  knows the site's keys), and Django's cache session engine with
  ``auth.get_user``.
"""

from __future__ import annotations

import gc
import json
import os
import random
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any

import django

# Worker processes start here, before anything imports the settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

import jwt  # noqa: E402
import pyperf  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib import auth  # noqa: E402
from django.contrib.sessions.backends import cache as stock_session_engine  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402
from redis import ConnectionPool, Redis  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework_simplejwt.authentication import (  # noqa: E402
    JWTAuthentication,
    JWTStatelessUserAuthentication,
)
from rest_framework_simplejwt.settings import api_settings  # noqa: E402

from accounts import keys, lanes  # noqa: E402
from accounts.api import LaneMeView  # noqa: E402
from accounts.lanes import Credential, Lane  # noqa: E402
from accounts.models import User  # noqa: E402
from accounts.observers import Verdict, auth_observer, observe_auth  # noqa: E402
from accounts.outcomes import Outcome  # noqa: E402
from accounts.selectors import denylist_marker_key  # noqa: E402

# Benchmark names: "lane:<name>:bare", "lane:<name>:probed", "floor:<name>", "peer:<name>".
FLOOR_STEPS = {
    "jwt_decode": "PyJWT decode, SimpleJWT's checks",
    "redis_get": "redis-py GET, pooled connection",
    "session_read": "redis-py GET of the session + JSON decode",
    "user_row": "user row, raw DB-API cursor",
}
# Lanes with a stock equivalent: the peer's name and what it is.
LANE_PEERS: dict[str, tuple[str, str]] = {
    lanes.SESSION.name: ("django_cache_session", "Django cache sessions + auth.get_user"),
    lanes.STATELESS.name: ("simplejwt_stateless", "SimpleJWT JWTStatelessUserAuthentication"),
    lanes.LOOKUP.name: ("simplejwt_lookup", "SimpleJWT JWTAuthentication"),
}

Prepared = Any
Step = tuple[Callable[[HttpRequest], Prepared], Callable[[Prepared], object]]


class Inputs:
    """The credentials of the benchmark's user, as the site issued them."""

    def __init__(self) -> None:
        self.session_key = os.environ["AUTHBENCH_SESSION_KEY"]
        self.access_token = os.environ["AUTHBENCH_ACCESS_TOKEN"]
        self.factory = RequestFactory()

    def request(self, credential: Credential) -> HttpRequest:
        """A GET carrying the credential the way a client sends it."""
        if credential is Credential.BEARER:
            return self.factory.get("/", HTTP_AUTHORIZATION=f"Bearer {self.access_token}")
        name, value = (
            (settings.SESSION_COOKIE_NAME, self.session_key)
            if credential is Credential.SESSION_COOKIE
            else (settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME, self.access_token)
        )
        request = self.factory.get("/")
        request.COOKIES[name] = value
        return request


def _with_session(engine: Any, session_key: str) -> Callable[[HttpRequest], HttpRequest]:
    """What SessionMiddleware does before the view: a lazy session, read on first use."""

    def prepare(request: HttpRequest) -> HttpRequest:
        request.session = engine.SessionStore(session_key)
        return request

    return prepare


def _as_is(request: HttpRequest) -> HttpRequest:
    return request


def lane_step(lane: Lane, inputs: Inputs) -> Step:
    """How the site runs this lane's auth step, found from its registry entry."""
    authentication = import_string(lane.authentication)
    before: Callable[[HttpRequest], HttpRequest] = (
        _with_session(import_module(settings.SESSION_ENGINE), inputs.session_key)
        if lane.credential is Credential.SESSION_COOKIE
        else _as_is
    )
    if lane.mounted:
        view = LaneMeView(lane=lane, authentication_classes=[authentication])
        return (
            lambda request: view.initialize_request(before(request)),
            view.perform_authentication,
        )
    if isinstance(authentication, type):
        # A DRF authentication class read by the pages (accounts.views.jwt_login_required).
        def page_step(request: HttpRequest) -> object:
            def verdict() -> Verdict:
                authenticated = authentication().authenticate(request)
                return Verdict(authenticated[0], Outcome.ACCEPTED)

            return observe_auth(request, lane=lane, step=verdict)

        return before, page_step
    # A function of the request that observes itself (the session lane).
    return before, authentication


def _accepted(result: object, prepared: Prepared) -> bool:
    if isinstance(result, Verdict):
        return result.accepted
    # DRF keeps the user on its request; the other steps return it.
    user = prepared.user if isinstance(prepared, Request) else result
    return bool(getattr(user, "is_authenticated", False))


def time_step(step: Step, inputs: Inputs, credential: Credential, name: str) -> Callable:
    """A pyperf time function: requests are built first, only the step is timed."""
    prepare, run = step
    checked = False

    def timed(loops: int) -> float:
        nonlocal checked
        if not checked:
            prepared = prepare(inputs.request(credential))
            if not _accepted(run(prepared), prepared):
                raise RuntimeError(f"{name}: the step did not accept the benchmark's credential")
            # The server saves a refreshed session after the response, so the
            # refresh comes once a minute; here nothing saves it, and every call
            # would refresh it again (tools.bench sets the resolution to a day).
            session = getattr(prepared, "session", None)
            if session is not None and session.modified:
                raise RuntimeError(f"{name}: the step refreshed the session's idle timeout")
            checked = True
        batch = [prepare(inputs.request(credential)) for _ in range(loops)]
        # A server holds one request, not thousands: keep the collector from
        # walking the prepared batch while the steps run.
        gc.collect()
        gc.freeze()
        try:
            started = pyperf.perf_counter()
            for prepared in batch:
                run(prepared)
            return pyperf.perf_counter() - started
        finally:
            gc.unfreeze()

    return timed


def time_call(call: Callable[[], object]) -> Callable[[int], float]:
    def timed(loops: int) -> float:
        started = pyperf.perf_counter()
        for _ in range(loops):
            call()
        return pyperf.perf_counter() - started

    return timed


def floor_calls(inputs: Inputs, user_id: int) -> dict[str, Callable[[], object]]:
    redis = Redis(connection_pool=ConnectionPool.from_url(settings.REDIS_URL))
    session_key = caches[settings.SESSION_CACHE_ALIAS].make_key(
        import_module(settings.SESSION_ENGINE).SessionStore(inputs.session_key).cache_key
    )
    marker_key = caches[settings.ACCOUNTS_REVOCATION_CACHE_ALIAS].make_key(
        denylist_marker_key(user_id=user_id)
    )
    if redis.get(session_key) is None:
        raise RuntimeError("the benchmark's session is not in Redis")
    sql, params = User.objects.filter(pk=user_id).query.sql_with_params()
    if connection.vendor == "sqlite":
        sql = sql.replace("%s", "?")
    # Found once: the lane finds it per token (header, kid), which is its own cost.
    verifying_key = keys.token_backend().get_verifying_key(inputs.access_token)  # type: ignore[arg-type]  # a raw token, as decode() gets it
    algorithm = jwt.get_unverified_header(inputs.access_token)["alg"]
    connection.ensure_connection()
    cursor = connection.connection.cursor()

    def user_row() -> object:
        cursor.execute(sql, params)
        return cursor.fetchone()

    return {
        "jwt_decode": lambda: jwt.decode(
            inputs.access_token,
            verifying_key,
            algorithms=[algorithm],
            audience=api_settings.AUDIENCE,
            issuer=api_settings.ISSUER,
            leeway=api_settings.LEEWAY,
        ),
        "redis_get": lambda: redis.get(marker_key),
        "session_read": lambda: json.loads(redis.get(session_key)),  # type: ignore[arg-type]
        "user_row": user_row,
    }


def peer_steps(inputs: Inputs) -> dict[str, tuple[Credential, Step]]:
    def drf(authentication: type) -> Step:
        def prepare(request: HttpRequest) -> Request:
            return Request(request, authenticators=[authentication()])

        def run(request: Request) -> object:
            return request.user

        return prepare, run

    with_stock_session = _with_session(stock_session_engine, inputs.session_key)
    return {
        "django_cache_session": (Credential.SESSION_COOKIE, (with_stock_session, auth.get_user)),
        "simplejwt_stateless": (Credential.BEARER, drf(JWTStatelessUserAuthentication)),
        "simplejwt_lookup": (Credential.BEARER, drf(JWTAuthentication)),
    }


# The in-process A/A pair: this lane's bare step timed twice in every bare pass.
AA_BENCHMARK = f"lane:{lanes.STATELESS.name}:bare"
AA_REPEAT = f"{AA_BENCHMARK}#2"


def benchmarks(
    inputs: Inputs, *, probed: bool, references: bool
) -> list[tuple[str, Callable[[int], float]]]:
    """
    Every lane, bare or under the probe; with ``references``, also the A/A
    repeat, the floors and the peers (which the probe does not change).
    """
    mode = "probed" if probed else "bare"
    found = []
    for lane in lanes.site_lanes():
        name = f"lane:{lane.name}:{mode}"
        found.append((name, time_step(lane_step(lane, inputs), inputs, lane.credential, name)))
    if not references:
        return found
    stateless = lanes.STATELESS
    found.append(
        (
            AA_REPEAT,
            time_step(lane_step(stateless, inputs), inputs, stateless.credential, AA_REPEAT),
        )
    )
    user_id = int(os.environ["AUTHBENCH_USER_ID"])
    found += [
        (f"floor:{name}", time_call(call)) for name, call in floor_calls(inputs, user_id).items()
    ]
    found += [
        (f"peer:{name}", time_step(peer, inputs, credential, f"peer:{name}"))
        for name, (credential, peer) in peer_steps(inputs).items()
    ]
    return found


def calibrated_loops(timed: Callable[[int], float], min_time: float) -> int:
    """The fewest loops, doubling from one, that take ``min_time`` or more (as pyperf does)."""
    loops = 1
    while timed(loops) < min_time and loops < 2**22:
        loops *= 2
    return loops


# A comparison: the benchmark divided, and the benchmarks its denominator adds up.
Comparison = tuple[str, list[str]]


def paired_rounds(
    timed: dict[str, Callable[[int], float]],
    comparisons: dict[str, Comparison],
    *,
    rounds: int,
    min_time: float,
    rng: random.Random,
) -> dict[str, list[float]]:
    """
    Per comparison, one ratio per round. A round times every comparison once,
    in a shuffled order, the numerator and its parts back to back, the
    numerator first in one round and last in the next.
    """
    names = {name for numerator, parts in comparisons.values() for name in (numerator, *parts)}
    loops = {name: calibrated_loops(timed[name], min_time) for name in sorted(names)}

    def per_call(name: str) -> float:
        return timed[name](loops[name]) / loops[name]

    ratios: dict[str, list[float]] = {name: [] for name in comparisons}
    for round_number in range(rounds):
        order = list(comparisons.items())
        rng.shuffle(order)
        for name, (numerator, parts) in order:
            # Which side goes first alternates: the first timing after another
            # comparison runs on caches that comparison left behind.
            if round_number % 2:
                denominator = sum(per_call(part) for part in parts)
                numerator_time = per_call(numerator)
            else:
                numerator_time = per_call(numerator)
                denominator = sum(per_call(part) for part in parts)
            ratios[name].append(numerator_time / denominator)
    return ratios


def main() -> None:
    if cpu := os.environ.get("AUTHBENCH_CPU"):
        os.sched_setaffinity(0, {int(cpu)})
    inputs = Inputs()
    probed = auth_observer() is not None
    comparisons = os.environ.get("AUTHBENCH_PAIRED")
    # pyperf times the references in the bare pass only; a paired run needs them beside its lanes.
    found = benchmarks(inputs, probed=probed, references=bool(comparisons) or not probed)
    # A fresh order per pass (the seed comes from tools.bench), so that no
    # benchmark always runs just after the same neighbour.
    rng = random.Random(int(os.environ.get("AUTHBENCH_ORDER_SEED", "0")))  # noqa: S311 - an order, not a secret
    rng.shuffle(found)
    if comparisons:
        # tools.bench asks for paired ratios: {"name": ["numerator", ["part", ...]], ...}
        ratios = paired_rounds(
            dict(found),
            {
                name: (numerator, parts)
                for name, (numerator, parts) in json.loads(comparisons).items()
            },
            rounds=int(os.environ["AUTHBENCH_PAIRED_ROUNDS"]),
            min_time=float(os.environ["AUTHBENCH_PAIRED_MIN_TIME"]),
            rng=rng,
        )
        Path(os.environ["AUTHBENCH_PAIRED_OUTPUT"]).write_text(json.dumps(ratios))
        return
    runner = pyperf.Runner(program_args=("-m", "tools.bench_micro"))
    runner.parse_args()
    for name, timed in found:
        runner.bench_time_func(name, timed)


if __name__ == "__main__":
    main()
