"""
The benchmark behind ``manage.py authbench``: throughput, auth-step cost and
capacity of every lane of the registry (``accounts.lanes.site_lanes()``), with the
noise of the run measured alongside.

1. Three copies of the site under gunicorn on loopback, on one scratch SQLite
   database and the configured Redis: ``recording`` (as shipped),
   ``not recording`` (``COMPARISON_RECORDING=0``) and ``bare``
   (``COMPARISON_MEASURE=0``: no probe, no middleware, no counting pool).
   The no-auth ping and every lane on each copy, in paired, shuffled,
   interleaved rounds (``tools.bench_http``), the sides of each comparison
   taking turns a few milliseconds apart (``tools.bench_mix``), plus an A/A
   repeat.
2. In the same run, pyperf times each lane's auth step warm and in-process,
   bare and probed, next to its floor and its stock peer (``tools.bench_micro``).
3. From the CPU time per request and the store round trips per request, the
   capacity each lane needs at 1k, 10k and 100k requests/s.
4. Synthetic history in the scratch database, and the dashboard's render time.

Every ratio comes with a 95% interval (``tools.stats``); the targets of
issue 10 are printed beside the figures, never asserted.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyperf
from django.conf import settings
from django.db.models import Sum
from redis import Redis

from accounts import lanes
from accounts.lanes import Credential, Lane
from accounts.models import User
from accounts.outcomes import Outcome
from comparison.models import AuthDayRollup
from comparison.seed import seed_samples
from tools import stats
from tools.bench_http import (
    BlockRunner,
    Blocks,
    Endpoint,
    Measured,
    Server,
    Step,
    interleaved_rounds,
    mixed_steps,
    require_wrk,
    step_key,
    worker_pids,
    wrk_steps,
)
from tools.bench_micro import AA_BENCHMARK, AA_REPEAT, FLOOR_STEPS, LANE_PEERS
from tools.cluster import Cluster
from tools.processes import REPO_ROOT
from tools.scratch_site import BENCH_DB, PASSWORD, gunicorn, scratch_database
from tools.site_client import SiteClient

PING = "ping"
# The in-process A/A: the bare stateless step against itself, round by round.
AA_KEY = f"{AA_REPEAT}/{AA_BENCHMARK}"
PING_PATH = "/api/ping/"
# The copies of the site, and what each changes in the environment.
RECORDING, NOT_RECORDING, BARE = "recording", "not recording", "bare"
SERVER_ENVIRONMENTS = {
    RECORDING: {"COMPARISON_RECORDING": "1"},
    NOT_RECORDING: {"COMPARISON_RECORDING": "0"},
    BARE: {"COMPARISON_RECORDING": "0", "COMPARISON_MEASURE": "0"},
}
# One lane, run twice per round on the site as shipped: the noise band.
AA_LANE = lanes.STATELESS.name
# A second copy as shipped, that serves only that lane: the same lane on it
# over the first copy is the noise of a comparison across copies (recording
# on/off, measured/bare), where each copy's own history adds to the band.
AA_COPY = "recording, again"
COPIES = {**SERVER_ENVIRONMENTS, AA_COPY: SERVER_ENVIRONMENTS[RECORDING]}
CAPACITY_RATES = (1_000, 10_000, 100_000)
CAPACITY_FORMULA = (
    "app cores = rate x CPU seconds per request (gunicorn worker, bare copy); "
    "Redis ops/s = rate x Redis round trips per request; "
    "SQL queries/s = rate x SQL queries per request (both from the probe's rollups)"
)


# A mix's runs (tools.bench_mix). The session lane over the ping on one copy,
# 10 rounds: mixes of single requests read 0.487 and runs of 16 (their first
# answer left out) 0.453, against 0.410 under wrk, each endpoint alone, in the
# same script; runs of 32, their first 8 left out, read 0.431 against wrk's
# 0.439 in a second script. A worker that has just
# served another endpoint serves the first few of a new one slower, so short
# runs measure a mixed load, not each endpoint's own throughput.
RUN, WARM = 32, 8


@dataclass(frozen=True)
class Options:
    # The steps of a block run as one mix (tools.bench_mix), ``seconds`` per
    # step, their requests in runs of ``run``, the first ``warm`` answers of
    # each run left out.
    rounds: int = 20
    seconds: int = 2
    connections: int = 4
    run: int = RUN
    warm: int = WARM
    workers: int = 1
    # pyperf passes for the µs figures, each a bare and a probed process.
    micro_rounds: int = 3
    processes: int = 1
    values: int = 3
    # The ratios: rounds of each lane timed beside its floor, in one process.
    paired_rounds: int = 45
    paired_min_time: float = 0.03
    min_time: float = 0.1
    dashboard_requests: int = 10_000_000
    renders: int = 15
    quick: bool = False
    # Keep the site (gunicorn, pyperf) on one CPU and the load (this process)
    # and Redis on another, rather than wherever the scheduler puts them from
    # one moment to the next.
    pin: bool = True

    @classmethod
    def quick_look(cls, **changes: Any) -> Options:
        defaults = {
            "rounds": 3,
            "seconds": 1,
            "micro_rounds": 1,
            "processes": 1,
            "values": 3,
            "paired_rounds": 10,
            "paired_min_time": 0.02,
            "min_time": 0.05,
            "dashboard_requests": 200_000,
            "renders": 5,
            "quick": True,
        }
        return cls(**{**defaults, **changes})


def endpoints(headers: dict[Credential, str]) -> dict[str, Endpoint]:
    """The ping and every lane of the registry, each with the credential it reads."""
    return {
        PING: Endpoint(PING_PATH, "", recorded=False),
        **{lane.name: Endpoint(lane.path, headers[lane.credential]) for lane in lanes.site_lanes()},
    }


# The block that runs the two lanes whose throughputs one target compares.
SNAPSHOT_VS_DENYLIST = f"{lanes.SNAPSHOT.name} vs {lanes.DENYLIST.name}"


def blocks_of(names: list[str]) -> Blocks:
    """
    What runs as one mix: each lane on every copy of the site with the ping
    beside it (its recording on/off, measured/bare and vs-ping ratios), the
    A/A repeat and the A/A copy in its lane's block, the ping on every copy,
    and the two lanes one target compares.
    """
    blocks: Blocks = {
        name: [
            *(Step(server, name) for server in SERVER_ENVIRONMENTS),
            *([] if name == PING else [Step(RECORDING, PING)]),
            *(
                [Step(RECORDING, AA_LANE, copy=2), Step(AA_COPY, AA_LANE)]
                if name == AA_LANE
                else []
            ),
        ]
        for name in names
    }
    blocks[SNAPSHOT_VS_DENYLIST] = [
        Step(RECORDING, lanes.SNAPSHOT.name),
        Step(RECORDING, lanes.DENYLIST.name),
    ]
    return blocks


@dataclass(frozen=True)
class Credentials:
    headers: dict[Credential, str]
    session_key: str
    access_token: str


def credentials(base: str) -> Credentials:
    """One of each kind, obtained from the running site through its own login forms and API."""
    session, pages = SiteClient(base), SiteClient(base)
    session.log_in("/session/login/", "authbench", PASSWORD)
    pages.log_in("/jwt/login/", "authbench", PASSWORD)
    access = SiteClient(base).token_pair("authbench", PASSWORD)["access"]
    session_name = settings.SESSION_COOKIE_NAME
    access_name = settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME
    session_key = session.cookie(session_name)
    return Credentials(
        headers={
            Credential.SESSION_COOKIE: f"Cookie: {session_name}={session_key}",
            Credential.ACCESS_COOKIE: f"Cookie: {access_name}={pages.cookie(access_name)}",
            Credential.BEARER: f"Authorization: Bearer {access}",
        },
        session_key=session_key,
        access_token=access,
    )


# ------------------------------------------------------------------ in-process timings
# Per benchmark, pyperf's values (seconds per call), from every pass.
Micro = dict[str, list[float]]
# Per comparison ("<lane>:<mode>/floor", ".../peer", the A/A), one ratio per paired round.
Paired = dict[str, list[float]]


def micro_environment(
    *, database: Path, user_id: int, found: Credentials, cpu: int | None
) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_DEBUG": "0",
        "COMPARISON_RECORDING": "0",
        # The idle-timeout refresh is a write once a minute per session, saved
        # after the response: the in-process step, which has no response, would
        # do it on every call. The HTTP rounds keep it.
        "SESSION_ACTIVITY_RESOLUTION_SECONDS": str(24 * 60 * 60),
        "AUTHBENCH_SESSION_KEY": found.session_key,
        "AUTHBENCH_ACCESS_TOKEN": found.access_token,
        "AUTHBENCH_USER_ID": str(user_id),
        **({"AUTHBENCH_CPU": str(cpu)} if cpu is not None else {}),
    }


def run_micro(
    *,
    options: Options,
    environment: dict[str, str],
    rng: random.Random,
    progress: Callable[[str], None],
) -> Micro:
    """
    The µs figures: ``micro_rounds`` pyperf passes, each a bare and a probed
    process in a shuffled order, with the benchmarks shuffled within each.
    """
    values: Micro = {}
    with tempfile.TemporaryDirectory(prefix="authbench-micro-") as folder:
        for round_number in range(1, options.micro_rounds + 1):
            modes = ["0", "1"]
            rng.shuffle(modes)
            for measure in modes:
                output = Path(folder) / f"round{round_number}-measure{measure}.json"
                command = [
                    sys.executable, "-m", "tools.bench_micro", "--copy-env", "--quiet",
                    "--processes", str(options.processes), "--values", str(options.values),
                    "--min-time", str(options.min_time), "--output", str(output),
                ]  # fmt: skip
                progress(
                    f"pyperf pass {round_number}/{options.micro_rounds}: "
                    f"{'probed' if measure == '1' else 'bare, floors and peers'}"
                )
                subprocess.run(  # noqa: S603
                    command,
                    env={
                        **environment,
                        "COMPARISON_MEASURE": measure,
                        "AUTHBENCH_ORDER_SEED": str(rng.randrange(2**32)),
                    },
                    cwd=REPO_ROOT,
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
                for benchmark in pyperf.BenchmarkSuite.load(str(output)).get_benchmarks():
                    values.setdefault(benchmark.get_name(), []).extend(benchmark.get_values())
    return values


def comparisons(trips: dict[str, dict[str, float]], *, probed: bool) -> dict[str, Any]:
    """What the paired process compares: each lane with its floor and its peer, and the A/A."""
    mode = "probed" if probed else "bare"
    found: dict[str, Any] = {}
    for lane in lanes.site_lanes():
        step = f"lane:{lane.name}:{mode}"
        floor = [f"floor:{part}" for part in floor_steps(lane, trips.get(lane.name))]
        found[f"{step}/floor"] = [step, floor]
        if peer := LANE_PEERS.get(lane.name):
            found[f"{step}/peer"] = [step, [f"peer:{peer[0]}"]]
    if not probed:
        found[AA_KEY] = [AA_REPEAT, [AA_BENCHMARK]]
    return found


def run_paired(
    *,
    options: Options,
    environment: dict[str, str],
    trips: dict[str, dict[str, float]],
    rng: random.Random,
    progress: Callable[[str], None],
) -> Paired:
    """The ratios: a bare and a probed process, each timing its comparisons side by side."""
    ratios: Paired = {}
    with tempfile.TemporaryDirectory(prefix="authbench-paired-") as folder:
        for measure in ("0", "1"):
            output = Path(folder) / f"measure{measure}.json"
            progress(
                f"paired in-process rounds ({options.paired_rounds}): "
                f"{'probed lanes' if measure == '1' else 'bare lanes'} against floors and peers"
            )
            subprocess.run(
                [sys.executable, "-m", "tools.bench_micro"],
                env={
                    **environment,
                    "COMPARISON_MEASURE": measure,
                    "AUTHBENCH_ORDER_SEED": str(rng.randrange(2**32)),
                    "AUTHBENCH_PAIRED": json.dumps(comparisons(trips, probed=measure == "1")),
                    "AUTHBENCH_PAIRED_ROUNDS": str(options.paired_rounds),
                    "AUTHBENCH_PAIRED_MIN_TIME": str(options.paired_min_time),
                    "AUTHBENCH_PAIRED_OUTPUT": str(output),
                },
                cwd=REPO_ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            ratios.update(json.loads(output.read_text()))
    return ratios


# ------------------------------------------------------------------ the run
@contextmanager
def _site_copies(database: Path, workers: int) -> Iterator[dict[str, Server]]:
    with ExitStack() as stack:
        copies = {}
        for label, environment in COPIES.items():
            recording = environment["COMPARISON_RECORDING"] == "1"
            served = stack.enter_context(
                gunicorn(
                    database=database,
                    recording=recording,
                    workers=workers,
                    environment=environment,
                )
            )
            # A recording copy's writer stores a step's samples within its flush period.
            settle = settings.COMPARISON_FLUSH_SECONDS + 0.3 if recording else 0.0
            copies[label] = Server(served.url, served.pid, settle_seconds=settle)
        yield copies


def round_trips_per_request(*, using: str) -> dict[str, dict[str, float]]:
    """Per lane, the Redis round trips and SQL queries of an accepted auth step, on average."""
    rows = (
        AuthDayRollup.objects.using(using)
        .filter(outcome=Outcome.ACCEPTED)
        .values("lane")
        .annotate(
            requests=Sum("requests"),
            redis=Sum("redis_round_trips_sum"),
            sql=Sum("db_queries_sum"),
        )
    )
    return {
        row["lane"]: {"redis": row["redis"] / row["requests"], "sql": row["sql"] / row["requests"]}
        for row in rows
        if row["requests"]
    }


# Where pinning puts things: the site (and the in-process timings) on one CPU;
# this process (the load) and Redis on the other, so that a store round trip always
# crosses to another CPU, as it would to another host, and never waits for
# the site's own CPU to be free.
SERVER_CPU, LOAD_CPU = 0, 1


def redis_pid() -> int | None:
    """The configured Redis server's process, when it runs on this machine."""
    pid: Any = Redis.from_url(settings.REDIS_URL).info("server").get("process_id")
    try:
        name = Path(f"/proc/{int(pid)}/comm").read_text()
    except (OSError, TypeError, ValueError):
        return None
    return int(pid) if "redis" in name or "valkey" in name else None


def pinnable() -> bool:
    return hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2


def pin_processes(pids: list[int], cpu: int) -> None:
    for pid in pids:
        os.sched_setaffinity(pid, {cpu})


def run_benchmark(*, options: Options, progress: Callable[[str], None]) -> dict[str, Any]:
    rng = random.Random(7)  # noqa: S311 - a reproducible order, not a secret
    started = time.monotonic()
    pin = options.pin and pinnable()
    with ExitStack() as stack:
        database = stack.enter_context(scratch_database())
        user = User.objects.db_manager(BENCH_DB).create_user(
            username="authbench", password=PASSWORD
        )
        servers = stack.enter_context(_site_copies(database, options.workers))
        if pin:
            # This process sends the requests; gunicorn respawns its workers
            # from the master, which keeps the site's CPU.
            for pid in [0, *([store] if (store := redis_pid()) else [])]:
                stack.callback(os.sched_setaffinity, pid, os.sched_getaffinity(pid))
                pin_processes([pid], LOAD_CPU)
            for server in servers.values():
                if server.master_pid is not None:
                    pin_processes([server.master_pid, *worker_pids(server.master_pid)], SERVER_CPU)
            progress(
                f"pinned: the site copies and the in-process timings to CPU {SERVER_CPU}; "
                f"the load{' and Redis' if store else ''} to CPU {LOAD_CPU}"
            )
        # Every copy serves the same logins (the credentials of one are used on
        # all): a copy that alone had served them ran its requests measurably
        # slower than its twin, and the ratios would have shown that history.
        for server in servers.values():
            found = credentials(server.url)
        targets = endpoints(found.headers)
        blocks = blocks_of(list(targets))

        def mixes(seconds: float) -> BlockRunner:
            return mixed_steps(
                servers=servers,
                endpoints=targets,
                seconds=seconds,
                connections=options.connections,
                run=options.run,
                warm=options.warm,
            )

        progress("warming every endpoint on every copy")
        interleaved_rounds(
            blocks=blocks, rounds=1, run_block=mixes(1), rng=rng, progress=lambda line: None
        )
        http = interleaved_rounds(
            blocks=blocks,
            rounds=options.rounds,
            run_block=mixes(options.seconds),
            rng=rng,
            progress=progress,
        )
        trips = round_trips_per_request(using=BENCH_DB)
        environment = micro_environment(
            database=database, user_id=user.pk, found=found, cpu=SERVER_CPU if pin else None
        )
        micro = run_micro(options=options, environment=environment, rng=rng, progress=progress)
        paired = run_paired(
            options=options, environment=environment, trips=trips, rng=rng, progress=progress
        )
        progress(f"seeding {options.dashboard_requests:,} synthetic requests for the dashboard")
        seed_samples(requests=options.dashboard_requests, using=BENCH_DB)
        render_ms = [
            _timed_get_ms(servers[NOT_RECORDING].url, "/comparison/")
            for _ in range(options.renders)
        ]
        requests_behind = AuthDayRollup.objects.using(BENCH_DB).aggregate(total=Sum("requests"))[
            "total"
        ]
    return build_report(
        options=options,
        http=http,
        micro=micro,
        paired=paired,
        trips=trips,
        render_ms=render_ms,
        requests_behind=requests_behind or 0,
        minutes=(time.monotonic() - started) / 60,
    )


def _timed_get_ms(base: str, path: str) -> float:
    started = time.perf_counter()
    answer = SiteClient(base, timeout=60).get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status != 200:
        raise RuntimeError(f"{path} answered {answer.status}")
    return elapsed


# ------------------------------------------------------------------ the report
def _rps(http: dict[str, list[Measured]], key: str) -> list[float]:
    return [run.requests_per_second for run in http[key]]


def _paired(http: dict[str, list[Measured]], numerator: str, denominator: str) -> dict[str, Any]:
    return stats.paired_ratio(_rps(http, numerator), _rps(http, denominator)).as_dict()


def _median_of(http: dict[str, list[Measured]], key: str, field: str) -> float:
    return statistics.median(getattr(run, field) for run in http[key])


def _throughput(http: dict[str, list[Measured]]) -> list[dict[str, Any]]:
    rows = []
    for name in [PING, *(lane.name for lane in lanes.site_lanes())]:
        path = PING_PATH if name == PING else lanes.BY_NAME[name].path

        def at(server: str, endpoint: str = name, block: str = name) -> str:
            return step_key(block, Step(server, endpoint))

        rows.append(
            {
                "lane": name,
                "path": path,
                "rps": {
                    server: _median_of(http, at(server), "requests_per_second")
                    for server in SERVER_ENVIRONMENTS
                },
                # The recording copy serves the ping in the same mix: its
                # workers' time cannot be split between the two.
                "cpu_us_per_request": {
                    server: _median_of(http, at(server), "cpu_us_per_request")
                    for server in (NOT_RECORDING, BARE)
                },
                "latency_p50_ms": _median_of(http, at(RECORDING), "latency_p50_ms"),
                "vs_ping": None
                if name == PING
                else _paired(http, at(RECORDING), at(RECORDING, PING)),
                "recording_on_off": _paired(http, at(RECORDING), at(NOT_RECORDING)),
                "measured_bare": _paired(http, at(RECORDING), at(BARE)),
            }
        )
    return rows


def _micro_us(values: list[float]) -> float:
    return statistics.median(values) * 1e6


def _paired_ratio(paired: Paired, name: str) -> dict[str, Any]:
    return stats.median_interval(paired[name]).as_dict()


def floor_steps(lane: Lane, counts: dict[str, float] | None) -> tuple[str, ...]:
    """
    What a lane cannot avoid, from its credential (registry) and the store
    round trips the probe counted: reading the credential (the session read
    is one of the Redis round trips), then one GET per further Redis round
    trip and one user row per SQL query.
    """
    session = lane.credential is Credential.SESSION_COOKIE
    redis, sql = (round(counts["redis"]), round(counts["sql"])) if counts else (int(session), 0)
    first = "session_read" if session else "jwt_decode"
    return (first, *["redis_get"] * (redis - int(session)), *["user_row"] * sql)


def _auth_steps(
    micro: Micro, paired: Paired, trips: dict[str, dict[str, float]]
) -> list[dict[str, Any]]:
    rows = []
    for lane in lanes.site_lanes():
        bare, probed = f"lane:{lane.name}:bare", f"lane:{lane.name}:probed"
        steps = floor_steps(lane, trips.get(lane.name))
        floor_parts = [f"floor:{step}" for step in steps]
        peer = LANE_PEERS.get(lane.name)
        peer_name = f"peer:{peer[0]}" if peer else None
        rows.append(
            {
                "lane": lane.name,
                "bare_us": _micro_us(micro[bare]),
                "probed_us": _micro_us(micro[probed]),
                "floor": " + ".join(steps),
                "floor_us": sum(_micro_us(micro[part]) for part in floor_parts),
                "peer": peer[1] if peer else None,
                "peer_us": _micro_us(micro[peer_name]) if peer_name else None,
                "bare_floor": _paired_ratio(paired, f"{bare}/floor"),
                "probed_floor": _paired_ratio(paired, f"{probed}/floor"),
                "bare_peer": _paired_ratio(paired, f"{bare}/peer") if peer_name else None,
                "probed_peer": _paired_ratio(paired, f"{probed}/peer") if peer_name else None,
            }
        )
    return rows


def _capacity(
    throughput: list[dict[str, Any]], trips: dict[str, dict[str, float]]
) -> dict[str, Any]:
    rows = []
    for row in throughput:
        cpu_us = row["cpu_us_per_request"][BARE]
        counts = trips.get(row["lane"], {"redis": 0.0, "sql": 0.0})
        rows.append(
            {
                "lane": row["lane"],
                "cpu_us_per_request": cpu_us,
                "redis_per_request": counts["redis"],
                "sql_per_request": counts["sql"],
                "at": {
                    str(rate): {
                        "app_cores": rate * cpu_us / 1e6,
                        "redis_ops": rate * counts["redis"],
                        "sql_queries": rate * counts["sql"],
                    }
                    for rate in CAPACITY_RATES
                },
            }
        )
    return {"formula": CAPACITY_FORMULA, "rates": list(CAPACITY_RATES), "lanes": rows}


def _verdict(estimate: dict[str, Any], comparison: str, target: float) -> str:
    """Met or missed when the whole interval is on one side of the target; else unclear."""
    if comparison == ">=":
        good, bad = estimate["low"] >= target, estimate["high"] < target
    else:
        good, bad = estimate["high"] <= target, estimate["low"] > target
    return "met" if good else "missed" if bad else "unclear"


def _goal(figure: str, estimate: dict[str, Any], comparison: str, target: float) -> dict[str, Any]:
    return {
        "figure": figure,
        "estimate": estimate,
        "comparison": comparison,
        "target": target,
        "verdict": _verdict(estimate, comparison, target),
    }


def _goals(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 10's targets, each with the figure and interval it is judged on."""
    throughput = {row["lane"]: row for row in report["throughput"]}
    auth = {row["lane"]: row for row in report["auth_step"]}
    band = report["noise"]["band"]
    copies_band = report["noise"]["copies"]["band"]
    micro_band = report["noise"]["in_process"]["band"]
    return [
        _goal(
            f"recording on/off, {lanes.STATELESS.name}, paired",
            throughput[lanes.STATELESS.name]["recording_on_off"],
            ">=",
            0.97,
        ),
        _goal("A/A noise band (+-)", {"median": band, "low": band, "high": band}, "<=", 0.03),
        _goal(
            "A/A noise band, across copies (+-)",
            {"median": copies_band, "low": copies_band, "high": copies_band},
            "<=",
            0.03,
        ),
        _goal(
            "A/A noise band, in-process (+-)",
            {"median": micro_band, "low": micro_band, "high": micro_band},
            "<=",
            0.03,
        ),
        _goal(
            f"{lanes.STATELESS.name} auth step, probed / PyJWT decode",
            auth[lanes.STATELESS.name]["probed_floor"],
            "<=",
            1.5,
        ),
        _goal(
            f"{lanes.DENYLIST.name} auth step, probed / (decode + GET)",
            auth[lanes.DENYLIST.name]["probed_floor"],
            "<=",
            1.5,
        ),
        _goal(
            f"{lanes.SNAPSHOT.name} auth step, probed / (GET + session decode)",
            auth[lanes.SNAPSHOT.name]["probed_floor"],
            "<=",
            1.5,
        ),
        _goal(
            f"{lanes.SESSION.name} auth step, bare / stock Django",
            auth[lanes.SESSION.name]["bare_peer"],
            "<=",
            1.0,
        ),
        _goal(
            f"{lanes.SESSION.name} throughput / ping",
            throughput[lanes.SESSION.name]["vs_ping"],
            ">=",
            0.40,
        ),
        _goal(
            f"{lanes.SNAPSHOT.name} throughput / {lanes.DENYLIST.name} throughput",
            report["pairs"]["snapshot_vs_denylist"],
            ">=",
            1.0,
        ),
        _goal(
            "dashboard render, ms",
            report["dashboard"]["render_ms"],
            "<=",
            100.0,
        ),
    ]


def build_report(
    *,
    options: Options,
    http: dict[str, list[Measured]],
    micro: Micro,
    paired: Paired,
    trips: dict[str, dict[str, float]],
    render_ms: list[float],
    requests_behind: int,
    minutes: float,
) -> dict[str, Any]:
    """The whole run as JSON-ready data: what the command prints and the dashboard shows."""
    aa = stats.paired_ratio(
        _rps(http, step_key(AA_LANE, Step(RECORDING, AA_LANE, copy=2))),
        _rps(http, step_key(AA_LANE, Step(RECORDING, AA_LANE))),
    )
    copies_aa = stats.paired_ratio(
        _rps(http, step_key(AA_LANE, Step(AA_COPY, AA_LANE))),
        _rps(http, step_key(AA_LANE, Step(RECORDING, AA_LANE))),
    )
    throughput = _throughput(http)
    micro_aa = stats.median_interval(paired[AA_KEY])
    report: dict[str, Any] = {
        "version": 3,
        "options": options.__dict__,
        "cpus": os.cpu_count(),
        "minutes": minutes,
        "methods": {"paired": stats.ORDER_STATISTICS, "in_process": stats.PAIRED_IN_PROCESS},
        "servers": COPIES,
        "noise": {
            "lane": AA_LANE,
            "aa": aa.as_dict(),
            "band": stats.noise_band(aa),
            "band_percent": stats.noise_band(aa) * 100,
            "copies": {
                "copy": AA_COPY,
                "aa": copies_aa.as_dict(),
                "band": stats.noise_band(copies_aa),
                "band_percent": stats.noise_band(copies_aa) * 100,
            },
            "in_process": {
                "benchmark": AA_BENCHMARK,
                "aa": micro_aa.as_dict(),
                "band": stats.noise_band(micro_aa),
            },
        },
        "throughput": throughput,
        "pairs": {
            "snapshot_vs_denylist": _paired(
                http,
                step_key(SNAPSHOT_VS_DENYLIST, Step(RECORDING, lanes.SNAPSHOT.name)),
                step_key(SNAPSHOT_VS_DENYLIST, Step(RECORDING, lanes.DENYLIST.name)),
            )
        },
        "floors": {f"{name}_us": _micro_us(micro[f"floor:{name}"]) for name in FLOOR_STEPS},
        "floor_steps": FLOOR_STEPS,
        "auth_step": _auth_steps(micro, paired, trips),
        "capacity": _capacity(throughput, trips),
        "dashboard": {
            "render_ms": stats.median_interval(render_ms).as_dict(),
            "requests_behind": requests_behind,
        },
    }
    report["goals"] = _goals(report)
    return report


# ------------------------------------------------------------------ the printed summary
def summary(report: dict[str, Any]) -> list[str]:
    """The tables the command prints at the end."""
    ratio = stats.format_ratio
    options = report["options"]
    lines = [
        "",
        f"Throughput: {options['rounds']} rounds of {options['seconds']} s per step, "
        f"the steps of a comparison taking turns in runs of {options['run']} requests "
        f"(the first {options['warm']} answers of each left out), "
        f"{options['connections']} requests in flight, "
        f"{options['workers']} gunicorn worker(s) per copy.",
        f"Ratios: {report['methods']['paired']}.",
        f"A/A ({report['noise']['lane']} against itself, same copy, same round): "
        f"{ratio(report['noise']['aa'])}: noise band +-{report['noise']['band'] * 100:.1f}%.",
        f"A/A across copies ({report['noise']['lane']} on '{report['noise']['copies']['copy']}', "
        f"which serves only that lane, over '{RECORDING}', same round): "
        f"{ratio(report['noise']['copies']['aa'])}: noise band "
        f"+-{report['noise']['copies']['band'] * 100:.1f}%.",
        "",
        f"{'lane':<10} {'req/s':>6}  {'vs ping':<22} {'recording on/off':<28} "
        f"{'measured / bare':<28} {'CPU µs/req, bare':>16}",
    ]
    for row in report["throughput"]:
        lines.append(
            f"{row['lane']:<10} {row['rps'][RECORDING]:>6.0f}  {ratio(row['vs_ping']):<22} "
            f"{ratio(row['recording_on_off']):<28} {ratio(row['measured_bare']):<28} "
            f"{row['cpu_us_per_request'][BARE]:>16.0f}"
        )
    lines.append(
        f"{lanes.SNAPSHOT.name} / {lanes.DENYLIST.name} throughput: "
        f"{ratio(report['pairs']['snapshot_vs_denylist'])}"
    )
    lines += [
        "",
        f"Auth step, warm and in-process (pyperf), µs; ratios: {report['methods']['in_process']}.",
        f"A/A ({report['noise']['in_process']['benchmark']} against itself, same round): "
        f"{ratio(report['noise']['in_process']['aa'])}: noise band "
        f"+-{report['noise']['in_process']['band'] * 100:.1f}%.",
        f"{'lane':<10} {'bare':>7} {'probed':>7}  {'floor':<25} {'floor µs':>8}  "
        f"{'bare / floor':<22} {'probed / floor':<22} {'peer µs':>7}  {'bare / peer':<22}",
    ]
    for row in report["auth_step"]:
        peer_us = "-" if row["peer_us"] is None else f"{row['peer_us']:.1f}"
        lines.append(
            f"{row['lane']:<10} {row['bare_us']:>7.1f} {row['probed_us']:>7.1f}  "
            f"{row['floor']:<25} {row['floor_us']:>8.1f}  {ratio(row['bare_floor'], 2):<22} "
            f"{ratio(row['probed_floor'], 2):<22} {peer_us:>7}  {ratio(row['bare_peer'], 2):<22}"
        )
    lines.append(
        "Floors: "
        + "; ".join(
            f"{what} {report['floors'][f'{name}_us']:.1f} µs"
            for name, what in report["floor_steps"].items()
        )
    )
    peers = [f"{row['lane']}: {row['peer']}" for row in report["auth_step"] if row["peer"]]
    lines.append("Peers: " + "; ".join(peers))
    capacity = report["capacity"]
    rates = capacity["rates"]
    lines += [
        "",
        f"Capacity: {capacity['formula']}.",
        f"{'lane':<10} {'CPU µs':>7} {'Redis':>6} {'SQL':>5}  "
        + "  ".join(f"{f'at {rate:,}/s: cores, Redis/s, SQL/s':<36}" for rate in rates),
    ]
    for row in capacity["lanes"]:
        cells = [
            f"{cell['app_cores']:>6.1f} {cell['redis_ops']:>12,.0f} {cell['sql_queries']:>12,.0f}"
            for cell in (row["at"][str(rate)] for rate in rates)
        ]
        lines.append(
            f"{row['lane']:<10} {row['cpu_us_per_request']:>7.0f} "
            f"{row['redis_per_request']:>6.2f} {row['sql_per_request']:>5.2f}  "
            + "    ".join(f"{cell:<34}" for cell in cells)
        )
    dashboard = report["dashboard"]
    render = dashboard["render_ms"]
    lines += [
        "",
        f"Dashboard: {render['median']:.1f} ms [{render['low']:.1f}-{render['high']:.1f}] "
        f"(median of {render['samples']} renders) over {dashboard['requests_behind']:,} "
        "recorded requests.",
        "",
        "Targets (judged on the interval: met or missed when all of it is on one side):",
    ]
    for goal in report["goals"]:
        estimate = goal["estimate"]
        figure = (
            f"+-{estimate['median'] * 100:.1f}%"
            if goal["figure"].startswith("A/A")
            else f"{estimate['median']:.3f} [{estimate['low']:.3f}-{estimate['high']:.3f}]"
        )
        target = (
            f"+-{goal['target'] * 100:.0f}%"
            if goal["figure"].startswith("A/A")
            else f"{goal['target']:g}"
        )
        lines.append(
            f"  {goal['figure']:<55} {figure:<26} target {goal['comparison']} {target:<6} "
            f"{goal['verdict']}"
        )
    return lines


# ------------------------------------------------------------------ the cluster
ONE, TWO = "1 instance", "2 instances"


def run_cluster_benchmark(
    *, rounds: int, seconds: int, connections: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    """
    Throughput per lane through nginx in front of one instance and in front of
    two, on the same cluster (PostgreSQL, Redis via Sentinel), interleaved.
    """
    require_wrk()
    rng = random.Random(11)  # noqa: S311 - a reproducible order, not a secret
    cluster = Cluster().start()
    try:
        cluster.create_user("authbench", PASSWORD)
        servers = {
            ONE: Server(cluster.start_proxy("proxy-one", instances=cluster.instances[:1])),
            TWO: Server(cluster.url),
        }
        found = credentials(cluster.url)
        targets = {
            name: endpoint
            for name, endpoint in endpoints(found.headers).items()
            if endpoint.path.startswith("/api/")
        }
        # wrk, a step at a time: the two instances serve at once, so one
        # worker's time between answers (a mix) does not say what each costs.
        http = interleaved_rounds(
            blocks={name: [Step(server, name) for server in servers] for name in targets},
            rounds=rounds,
            run_block=wrk_steps(
                servers=servers, endpoints=targets, seconds=seconds, connections=connections
            ),
            rng=rng,
            progress=progress,
        )
    finally:
        cluster.stop()

    def at(server: str, name: str) -> str:
        return step_key(name, Step(server, name))

    return {
        "mode": "cluster",
        "seconds_per_step": seconds,
        "rounds": rounds,
        "connections": connections,
        "cpus": os.cpu_count(),
        "method": stats.ORDER_STATISTICS,
        "lanes": [
            {
                "lane": name,
                "rps_one": _median_of(http, at(ONE, name), "requests_per_second"),
                "rps_two": _median_of(http, at(TWO, name), "requests_per_second"),
                "ratio": _paired(http, at(TWO, name), at(ONE, name)),
            }
            for name in targets
        ],
    }


def write_report(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
