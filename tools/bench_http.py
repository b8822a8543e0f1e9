"""
Throughput under wrk, in paired, shuffled, interleaved rounds.

A *step* is one endpoint on one server for a few seconds. A *block* is the
steps that are compared with one another (a lane on each copy of the site,
and the ping beside it): they run back to back, so that the two sides of a
ratio are seconds apart and whatever the machine is doing then lands on
both. A round runs every block once, blocks and the steps within them in an
order shuffled afresh each round; a comparison takes one ratio per round,
from inside one block. The A/A step runs a lane a second time in its block,
at its own place in the shuffle: its ratio to the first run is what the
noise alone produces, at the distances the other comparisons are made.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time the processes have used so far, from /proc."""
    total = 0
    for pid in pids:
        # The command name (field 2) may hold spaces; the fields after it do not.
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


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
    cpu_us_per_request: float


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
    not read). ``settle_seconds``: how long the workers go on working for a
    step after it ends (the recording copy's writer stores the step's last
    samples within its flush period); a step on this server is followed by that
    wait, and what the workers spent in it is charged to the step.
    """

    url: str
    master_pid: int | None = None
    settle_seconds: float = 0.0


Blocks = dict[str, list[Step]]


def step_key(block: str, step: Step) -> str:
    """A step as reports name it: ``block|server/endpoint`` (``#2`` for the A/A repeat)."""
    return f"{block}|{step.server}/{step.endpoint}" + (f"#{step.copy}" if step.copy > 1 else "")


def interleaved_rounds(
    *,
    blocks: Blocks,
    servers: dict[str, Server],
    endpoints: dict[str, Endpoint],
    rounds: int,
    seconds: float,
    connections: int,
    rng: random.Random,
    progress: Callable[[str], None],
) -> dict[str, list[Measured]]:
    """
    Every block once per round, each block's steps back to back, both orders
    shuffled; per step (``step_key``) and round, the requests per second and
    the CPU time the server's workers spent per request.
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
            for step in steps:
                measured = _run_step(
                    step,
                    servers[step.server],
                    endpoints[step.endpoint],
                    seconds=seconds,
                    connections=connections,
                )
                results[step_key(block, step)].append(measured)
                copy = f" (A/A copy {step.copy})" if step.copy > 1 else ""
                progress(
                    f"round {round_number}/{rounds}  {step.endpoint:<10} {step.server:<13}"
                    f"{measured.requests_per_second:8.0f} req/s{copy}"
                )
    return results


def _run_step(
    step: Step, server: Server, endpoint: Endpoint, *, seconds: float, connections: int
) -> Measured:
    workers = worker_pids(server.master_pid) if server.master_pid else []
    cpu_before = cpu_seconds(workers)
    result = run_wrk(
        server.url + endpoint.path, endpoint.header, seconds=seconds, connections=connections
    )
    cpu_during = cpu_seconds(workers) - cpu_before
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
        after = cpu_seconds(workers) - cpu_before - cpu_during
    requests = max(result.requests, 1)
    took = result.requests / result.requests_per_second if result.requests_per_second else 0.0
    return Measured(
        # The time the step took, plus the workers' time spent on it afterwards.
        requests_per_second=result.requests / (took + after) if took else 0.0,
        latency_p50_ms=result.latency_p50_ms,
        cpu_us_per_request=(cpu_during + after) / requests * 1e6,
    )
