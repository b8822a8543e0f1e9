"""
Throughput in paired, shuffled, interleaved rounds.

A *step* is one endpoint on one server. A *block* is the steps that are
compared with one another (a lane on each copy of the site, and the ping
beside it). A round runs every block once, blocks and the steps within them
in an order shuffled afresh each round; a comparison takes one ratio per
round, from inside one block. The A/A step runs a lane a second time in its
block: its ratio to the first is what the noise alone produces, measured the
way the other comparisons are.

How a block runs: ``mixed_steps``, its steps taking turns in runs of a few
dozen requests (``tools.bench_mix``), for the site's copies; ``wrk_steps``,
one step after another under wrk, for the cluster, whose instances serve at
once.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tools import bench_mix

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    latency_p50_ms: float
    bad_responses: int
    requests: int = 0


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: `make bench` installs it (apt-get install wrk).")


def parse_wrk(output: str) -> WrkResult:
    rps_match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    latency_match = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
    requests_match = re.search(r"(\d+) requests in", output)
    if rps_match is None or latency_match is None:
        raise RuntimeError(f"Could not read wrk's output:\n{output}")
    value, unit = latency_match.groups()
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return WrkResult(
        requests_per_second=float(rps_match.group(1)),
        latency_p50_ms=float(value) * _UNITS[unit],
        bad_responses=int(bad.group(1)) if bad else 0,
        requests=int(requests_match.group(1)) if requests_match else 0,
    )


def run_wrk(url: str, header: str, *, seconds: float, connections: int) -> WrkResult:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if header:
        command[1:1] = ["-H", header]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    return parse_wrk(completed.stdout)


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(child) for child in children]


@dataclass(frozen=True)
class Step:
    """One endpoint on one server; ``copy`` tells the A/A repeat apart."""

    server: str
    endpoint: str
    copy: int = 1


@dataclass(frozen=True)
class Measured:
    requests_per_second: float
    latency_p50_ms: float
    # None where not read: the step shared its server's workers with another
    # step, or the server's workers are not known (no master pid).
    cpu_us_per_request: float | None


@dataclass(frozen=True)
class Endpoint:
    path: str
    header: str
    # Whether its requests are recorded (a lane's are; the ping's are not).
    recorded: bool = True


@dataclass(frozen=True)
class Server:
    """
    A base URL, and the gunicorn master whose workers' CPU time is read (None:
    not read). ``settle_seconds``: how long the workers go on working after a
    step or a mix ends (the recording copy's writer stores the last samples
    within its flush period). The run waits that long before the next step or
    mix, and charges what the workers did meanwhile to the steps whose
    requests made it.
    """

    url: str
    master_pid: int | None = None
    settle_seconds: float = 0.0


Blocks = dict[str, list[Step]]


def step_key(block: str, step: Step) -> str:
    """A step as reports name it: ``block|server/endpoint`` (``#2`` for the A/A repeat)."""
    return f"{block}|{step.server}/{step.endpoint}" + (f"#{step.copy}" if step.copy > 1 else "")


# Runs a block's steps (in the order given), one measurement per step.
BlockRunner = Callable[[list[Step]], list[Measured]]


def interleaved_rounds(
    *,
    blocks: Blocks,
    rounds: int,
    run_block: BlockRunner,
    rng: random.Random,
    progress: Callable[[str], None],
) -> dict[str, list[Measured]]:
    """
    Every block once per round, blocks and the steps within them in an order
    shuffled afresh each round; per step (``step_key``), one measurement per round.
    """
    results: dict[str, list[Measured]] = {
        step_key(block, step): [] for block, steps in blocks.items() for step in steps
    }
    for round_number in range(1, rounds + 1):
        order = list(blocks)
        rng.shuffle(order)
        for block in order:
            steps = list(blocks[block])
            rng.shuffle(steps)
            for step, measured in zip(steps, run_block(steps), strict=True):
                results[step_key(block, step)].append(measured)
                copy = f" (A/A copy {step.copy})" if step.copy > 1 else ""
                progress(
                    f"round {round_number}/{rounds}  {step.endpoint:<10} {step.server:<13}"
                    f"{measured.requests_per_second:8.0f} req/s{copy}"
                )
    return results


def wrk_steps(
    *,
    servers: dict[str, Server],
    endpoints: dict[str, Endpoint],
    seconds: float,
    connections: int,
) -> BlockRunner:
    """A block's steps one after another, each under wrk for ``seconds``."""

    def run_block(steps: list[Step]) -> list[Measured]:
        return [
            _run_step(
                step,
                servers[step.server],
                endpoints[step.endpoint],
                seconds=seconds,
                connections=connections,
            )
            for step in steps
        ]

    return run_block


def mixed_steps(
    *,
    servers: dict[str, Server],
    endpoints: dict[str, Endpoint],
    seconds: float,
    connections: int,
    run: int,
    warm: int,
) -> BlockRunner:
    """
    A block's steps as one mix (``tools.bench_mix``), ``seconds`` per step:
    their requests in runs of ``run``, the first ``warm`` answers of each run
    left out. A step's CPU time per request is read only where it is its
    server's one step in the block: all its requests, the runs' first answers
    included, over the worker's CPU time through the mix and its settle.
    The writer's work is taken back from the steps as if it had shared their
    CPU, which pinning ensures (``tools.bench``).
    """
    if not run > warm >= 1 or connections < 1 or seconds <= 0:
        raise ValueError(
            f"a mix needs runs longer than the answers left out of each (run {run}, "
            f"warm {warm}, at least 1), a connection and a duration"
        )

    def run_block(steps: list[Step]) -> list[Measured]:
        used = {step.server: servers[step.server] for step in steps}
        workers = {
            name: worker_pids(server.master_pid) if server.master_pid else []
            for name, server in used.items()
        }
        total_before = _cpu_by_server(workers)
        background_before = _cpu_by_server(workers, background_only=True)
        completions = bench_mix.run_mix(
            [
                bench_mix.Side.get(
                    used[step.server].url,
                    endpoints[step.endpoint].path,
                    endpoints[step.endpoint].header,
                )
                for step in steps
            ],
            seconds=seconds * len(steps),
            connections=connections,
            run=run,
        )
        background_during = _cpu_by_server(workers, background_only=True)
        # The server whose writer stores a step's samples (None: nothing stored).
        owners = [
            step.server
            if endpoints[step.endpoint].recorded and used[step.server].settle_seconds
            else None
            for step in steps
        ]
        # What the workers still do for the block once it has ended (the
        # recording copy's writer storing the last samples) is done before the
        # next block starts, not during it, and is charged to this one.
        settle = max((used[owner].settle_seconds for owner in owners if owner), default=0.0)
        time.sleep(settle)
        background_after = _cpu_by_server(workers, background_only=True)
        total_after = _cpu_by_server(workers)

        refused = Counter(steps[c.side] for c in completions if not 200 <= c.status < 400)
        if refused:
            step, count = refused.most_common(1)[0]
            raise RuntimeError(f"{step.endpoint} on {step.server}: {count} non-2xx responses")
        sent = Counter(c.side for c in completions)
        figures = bench_mix.busy_time(completions, len(steps), warm=warm)
        for step, figure in zip(steps, figures, strict=True):
            if not figure.requests:
                raise RuntimeError(
                    f"{step.endpoint} on {step.server}: no answer past the first {warm} of a "
                    f"run; the mix was too short (--seconds)"
                )
        charged = bench_mix.charge_background(
            [figure.seconds for figure in figures],
            [figure.requests for figure in figures],
            owners,
            elapsed=(completions[-1].done_ns - completions[0].done_ns) / 1e9,
            sent={
                name: sum(sent[i] for i, owner in enumerate(owners) if owner == name)
                for name in used
            },
            during={n: background_during[n] - background_before[n] for n in used},
            after={n: background_after[n] - background_during[n] for n in used},
        )
        alone = Counter(step.server for step in steps)
        return [
            Measured(
                requests_per_second=figure.requests / seconds_charged,
                latency_p50_ms=figure.latency_p50_ms,
                cpu_us_per_request=(total_after[step.server] - total_before[step.server])
                / sent[index]
                * 1e6
                if alone[step.server] == 1 and workers[step.server]
                else None,
            )
            for index, (step, figure, seconds_charged) in enumerate(
                zip(steps, figures, charged, strict=True)
            )
        ]

    return run_block


def _cpu_by_server(
    workers: dict[str, list[int]], *, background_only: bool = False
) -> dict[str, float]:
    return {
        name: bench_mix.cpu_seconds(pids, background_only=background_only)
        for name, pids in workers.items()
    }


def _run_step(
    step: Step, server: Server, endpoint: Endpoint, *, seconds: float, connections: int
) -> Measured:
    workers = worker_pids(server.master_pid) if server.master_pid else []
    cpu_before = bench_mix.cpu_seconds(workers)
    result = run_wrk(
        server.url + endpoint.path, endpoint.header, seconds=seconds, connections=connections
    )
    cpu_during = bench_mix.cpu_seconds(workers) - cpu_before
    if result.bad_responses:
        raise RuntimeError(
            f"{step.endpoint} on {step.server}: {result.bad_responses} non-2xx responses"
        )
    # Work the step left behind, done before the next step starts rather than
    # during it, where it would slow whatever runs next (often the other side
    # of this step's comparison, on the same CPU).
    after = 0.0
    if server.settle_seconds and endpoint.recorded and workers:
        time.sleep(server.settle_seconds)
        after = bench_mix.cpu_seconds(workers) - cpu_before - cpu_during
    requests = max(result.requests, 1)
    took = result.requests / result.requests_per_second if result.requests_per_second else 0.0
    return Measured(
        # The time the step took, plus the workers' time spent on it afterwards.
        requests_per_second=result.requests / (took + after) if took else 0.0,
        latency_p50_ms=result.latency_p50_ms,
        cpu_us_per_request=(cpu_during + after) / requests * 1e6,
    )
