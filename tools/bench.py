"""
The benchmark behind ``manage.py authbench``.

Two copies of the site run under gunicorn on loopback, one recording samples
and one not, on a scratch SQLite database and the configured Redis. wrk
drives each endpoint in turn, interleaved over several rounds so that drift
on the machine spreads over every lane alike; medians are reported, with each
lane's throughput against the no-auth baseline and recording on against off.
In the same run the raw floors are measured in-process: one Redis GET, one
PyJWT HS256 verification, one user query.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.db.models import Sum
from django_redis import get_redis_connection
from rest_framework_simplejwt.settings import api_settings

from accounts.keys import token_backend
from accounts.models import User
from comparison.models import AuthRollup, AuthSample
from comparison.seed import seed_samples
from tools.cluster import Cluster
from tools.scratch_site import BENCH_DB, PASSWORD, gunicorn, scratch_database
from tools.site_client import SiteClient


@dataclass(frozen=True)
class Target:
    """One endpoint under load: which lane it exercises and what it is compared with."""

    name: str
    path: str
    credential: str  # "", "session", "jwt_cookie" or "bearer"
    baseline: str  # the Target.name it is divided by, "" for baselines themselves
    floor: tuple[str, ...] = ()


TARGETS = [
    Target("baseline_api", "/api/ping/", "", ""),
    Target("session", "/api/session/me/", "session", "baseline_api", ("redis_get", "user_query")),
    Target("stateless", "/api/jwt/stateless/me/", "bearer", "baseline_api", ("pyjwt_verify",)),
    Target(
        "lookup", "/api/jwt/lookup/me/", "bearer", "baseline_api", ("pyjwt_verify", "user_query")
    ),
    Target(
        "denylist", "/api/jwt/denylist/me/", "bearer", "baseline_api", ("pyjwt_verify", "redis_get")
    ),
    Target("baseline_page", "/", "", ""),
    Target("session_page", "/session/profile/", "session", "baseline_page"),
    Target("jwt_pages", "/jwt/profile/", "jwt_cookie", "baseline_page", ("pyjwt_verify",)),
]
# The lane whose samples give each target's auth time.
SAMPLE_LANE = {
    "session": "session",
    "stateless": "stateless",
    "lookup": "lookup",
    "denylist": "denylist",
    "jwt_pages": "jwt_pages",
}
RECORDING_ON, RECORDING_OFF = "recording on", "recording off"
ONE, TWO = "1 instance", "2 instances"
TARGET_RATIOS = {"stateless": 2.0, "session": 1.5, "denylist": 1.5}


def _median_us(operation: Callable[[], object], *, batch: int, batches: int = 21) -> float:
    """Median over batches of the mean time of one call, in microseconds."""
    for _ in range(batch):
        operation()
    timings = []
    for _ in range(batches):
        started = time.perf_counter_ns()
        for _ in range(batch):
            operation()
        timings.append((time.perf_counter_ns() - started) / batch / 1000)
    return statistics.median(timings)


def measure_floors(*, token: str, user_id: int) -> dict[str, float]:
    """The cheapest possible version of each step the lanes take."""
    redis = get_redis_connection("default")
    redis.set("authbench:floor", "x")
    # The key the site verifies this token with: the HMAC secret, or the public key its kid names.
    verifying_key = token_backend().get_verifying_key(token)  # type: ignore[arg-type]  # raw token
    return {
        "redis_get": _median_us(lambda: redis.get("authbench:floor"), batch=500),
        "pyjwt_verify": _median_us(
            lambda: jwt.decode(
                token,
                verifying_key,
                algorithms=[api_settings.ALGORITHM],
                audience=api_settings.AUDIENCE,
                issuer=api_settings.ISSUER,
            ),
            batch=1000,
        ),
        "user_query": _median_us(lambda: User.objects.using(BENCH_DB).get(pk=user_id), batch=300),
    }


def credentials(base: str) -> dict[str, str]:
    """One header per credential kind, obtained from the running site itself."""
    session, pages = SiteClient(base), SiteClient(base)
    session.log_in("/session/login/", "authbench", PASSWORD)
    pages.log_in("/jwt/login/", "authbench", PASSWORD)
    access = SiteClient(base).token_pair("authbench", PASSWORD)["access"]
    session_name = settings.SESSION_COOKIE_NAME
    access_name = settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME
    return {
        "": "",
        "session": f"Cookie: {session_name}={session.cookie(session_name)}",
        "jwt_cookie": f"Cookie: {access_name}={pages.cookie(access_name)}",
        "bearer": f"Authorization: Bearer {access}",
        "token": access,
    }


@dataclass
class WrkResult:
    requests_per_second: float
    latency_p50_ms: float
    bad_responses: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(url: str, header: str, *, seconds: int, connections: int) -> WrkResult:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if header:
        command[1:1] = ["-H", header]
    output = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=True
    ).stdout
    rps_match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    latency_match = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
    if rps_match is None or latency_match is None:
        raise RuntimeError(f"Could not read wrk's output:\n{output}")
    rps = float(rps_match.group(1))
    value, unit = latency_match.groups()
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return WrkResult(
        requests_per_second=rps,
        latency_p50_ms=float(value) * _UNITS[unit],
        bad_responses=int(bad.group(1)) if bad else 0,
    )


def interleaved_rounds(
    *,
    targets: list[Target],
    bases: dict[str, str],
    headers: dict[str, str],
    rounds: int,
    seconds: int,
    connections: int,
    rng: random.Random,
    progress: Callable[[str], None],
) -> dict[tuple[str, str], list[WrkResult]]:
    """
    Every target against every base URL, once per round, in a shuffled order,
    so that drift on the machine spreads over all of them alike.
    """
    results: dict[tuple[str, str], list[WrkResult]] = {}
    for round_number in range(1, rounds + 1):
        steps = [(target, label) for target in targets for label in bases]
        rng.shuffle(steps)
        for target, label in steps:
            result = run_wrk(
                bases[label] + target.path,
                headers[target.credential],
                seconds=seconds,
                connections=connections,
            )
            if result.bad_responses:
                raise RuntimeError(f"{target.name}: {result.bad_responses} non-2xx responses")
            results.setdefault((target.name, label), []).append(result)
            progress(
                f"round {round_number}/{rounds}  {target.name:<14} {label:<13}  "
                f"{result.requests_per_second:9.0f} req/s"
            )
    return results


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: `make bench` installs it (apt-get install wrk).")


def run_benchmark(
    *,
    seconds: int,
    rounds: int,
    connections: int,
    workers: int,
    dashboard_requests: int,
    progress: Callable[[str], None],
) -> dict:
    require_wrk()
    rng = random.Random(7)  # noqa: S311 - a reproducible order, not a secret
    with ExitStack() as stack:
        database = stack.enter_context(scratch_database())
        user = User.objects.db_manager(BENCH_DB).create_user(
            username="authbench", password=PASSWORD
        )
        servers = {
            recording: stack.enter_context(
                gunicorn(database=database, recording=recording, workers=workers)
            ).url
            for recording in (True, False)
        }
        headers = credentials(servers[True])
        by_label = interleaved_rounds(
            targets=TARGETS,
            bases={RECORDING_ON: servers[True], RECORDING_OFF: servers[False]},
            headers=headers,
            rounds=rounds,
            seconds=seconds,
            connections=connections,
            rng=rng,
            progress=progress,
        )
        results = {(name, label == RECORDING_ON): runs for (name, label), runs in by_label.items()}
        auth_us = measure_auth_steps(servers[True], headers, seconds=seconds, progress=progress)
        floors = measure_floors(token=headers["token"], user_id=user.pk)
        progress("floors: " + ", ".join(f"{name} {value:.1f} µs" for name, value in floors.items()))
        progress(f"seeding {dashboard_requests:,} samples to time the dashboard")
        seed_samples(requests=dashboard_requests, using=BENCH_DB)
        render_ms = [_timed_get_ms(servers[False], "/comparison/") for _ in range(15)]
        requests_behind = AuthRollup.objects.using(BENCH_DB).aggregate(total=Sum("requests"))[
            "total"
        ]
    return _report(
        results=results,
        floors=floors,
        auth_us=auth_us,
        render_ms=render_ms,
        requests_behind=requests_behind,
        settings_used={
            "seconds_per_step": seconds,
            "rounds": rounds,
            "connections": connections,
            "workers": workers,
            "dashboard_requests": dashboard_requests,
        },
    )


def measure_auth_steps(
    base: str, headers: dict[str, str], *, seconds: int, progress: Callable[[str], None]
) -> dict[str, float]:
    """
    Median auth-step time per lane, from the site's own samples, taken over
    one connection at a time: under full load the step would also be timing
    the queue for the CPU, which the idle floors it is compared with are not.
    """
    AuthSample.objects.using(BENCH_DB).all().delete()
    for target in TARGETS:
        if target.name in SAMPLE_LANE:
            run_wrk(base + target.path, headers[target.credential], seconds=seconds, connections=1)
            progress(f"auth-step pass  {target.name}")
    # The dashboard flushes the serving process's buffered samples.
    _timed_get_ms(base, "/comparison/")
    return {
        target: statistics.median(
            AuthSample.objects.using(BENCH_DB)
            .filter(lane=lane, outcome="accepted")
            .values_list("auth_us", flat=True)
        )
        for target, lane in SAMPLE_LANE.items()
    }


def _timed_get_ms(base: str, path: str) -> float:
    started = time.perf_counter()
    SiteClient(base).get(path)
    return (time.perf_counter() - started) * 1000


def _report(
    *,
    results: dict,
    floors: dict[str, float],
    auth_us: dict[str, float],
    render_ms: list[float],
    requests_behind: int,
    settings_used: dict,
) -> dict:
    def median_rps(name: str, recording: bool) -> float:
        return statistics.median(r.requests_per_second for r in results[name, recording])

    lanes = []
    for target in TARGETS:
        rps_on, rps_off = median_rps(target.name, True), median_rps(target.name, False)
        floor = sum(floors[step] for step in target.floor) if target.floor else None
        step_us = auth_us.get(target.name)
        lanes.append(
            {
                "lane": target.name,
                "path": target.path,
                "rps_on": rps_on,
                "rps_off": rps_off,
                "on_off_ratio": rps_on / rps_off,
                "baseline_ratio": rps_off / median_rps(target.baseline, False)
                if target.baseline
                else None,
                "latency_p50_ms_on": statistics.median(
                    r.latency_p50_ms for r in results[target.name, True]
                ),
                "auth_us": step_us,
                "floor_us": floor,
                "floor_ratio": step_us / floor if step_us and floor else None,
                "floor_target": TARGET_RATIOS.get(target.name),
            }
        )
    return {
        **settings_used,
        "cpus": os.cpu_count(),
        "floors": {
            "redis_get_us": floors["redis_get"],
            "pyjwt_verify_us": floors["pyjwt_verify"],
            "user_query_us": floors["user_query"],
        },
        "lanes": lanes,
        "dashboard": {
            "render_ms_median": statistics.median(render_ms),
            "requests_behind": requests_behind,
        },
    }


CLUSTER_TARGETS = [target for target in TARGETS if target.path.startswith("/api/")]


def run_cluster_benchmark(
    *, seconds: int, rounds: int, connections: int, progress: Callable[[str], None]
) -> dict:
    """
    Throughput per lane through nginx in front of one instance and in front of
    two, on the same cluster (PostgreSQL, Redis via Sentinel), interleaved.
    """
    require_wrk()
    rng = random.Random(11)  # noqa: S311 - a reproducible order, not a secret
    cluster = Cluster().start()
    try:
        cluster.create_user("authbench", PASSWORD)
        proxies = {
            1: cluster.start_proxy("proxy-one", instances=cluster.instances[:1]),
            2: cluster.url,
        }
        headers = credentials(cluster.url)
        results = interleaved_rounds(
            targets=CLUSTER_TARGETS,
            bases={ONE: proxies[1], TWO: proxies[2]},
            headers=headers,
            rounds=rounds,
            seconds=seconds,
            connections=connections,
            rng=rng,
            progress=progress,
        )
    finally:
        cluster.stop()
    lanes = []
    for target in CLUSTER_TARGETS:
        one = statistics.median(r.requests_per_second for r in results[target.name, ONE])
        two = statistics.median(r.requests_per_second for r in results[target.name, TWO])
        lanes.append({"lane": target.name, "rps_one": one, "rps_two": two, "ratio": two / one})
    return {
        "mode": "cluster",
        "seconds_per_step": seconds,
        "rounds": rounds,
        "connections": connections,
        "cpus": os.cpu_count(),
        "lanes": lanes,
    }
