"""
Throughput under wrk, in paired, shuffled, interleaved rounds.

A *step* is one endpoint on one server for a few seconds. A round runs every
step once, in an order shuffled afresh each round, so that drift on the
machine (another process waking up, the CPU clocking down) lands on every
step alike; a comparison of two steps takes one ratio per round. The A/A
step runs a lane a second time in each round, at its own place in the
shuffle: its ratio to the first run is what the noise alone produces.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
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


@dataclass(frozen=True)
class Server:
    """A base URL, and the gunicorn master whose workers' CPU time is read (None: not read)."""

    url: str
    master_pid: int | None = None


def interleaved_rounds(
    *,
    steps: list[Step],
    servers: dict[str, Server],
    endpoints: dict[str, Endpoint],
    rounds: int,
    seconds: float,
    connections: int,
    rng: random.Random,
    progress: Callable[[str], None],
) -> dict[Step, list[Measured]]:
    """
    Every step once per round, shuffled; per step and round, the requests per
    second and the CPU time the server's workers spent per request.
    """
    results: dict[Step, list[Measured]] = {step: [] for step in steps}
    for round_number in range(1, rounds + 1):
        order = list(steps)
        rng.shuffle(order)
        for step in order:
            server, endpoint = servers[step.server], endpoints[step.endpoint]
            workers = worker_pids(server.master_pid) if server.master_pid else []
            cpu_before = cpu_seconds(workers)
            result = run_wrk(
                server.url + endpoint.path,
                endpoint.header,
                seconds=seconds,
                connections=connections,
            )
            cpu = cpu_seconds(workers) - cpu_before
            if result.bad_responses:
                raise RuntimeError(
                    f"{step.endpoint} on {step.server}: {result.bad_responses} non-2xx responses"
                )
            results[step].append(
                Measured(
                    requests_per_second=result.requests_per_second,
                    latency_p50_ms=result.latency_p50_ms,
                    cpu_us_per_request=cpu / max(result.requests, 1) * 1e6,
                )
            )
            copy = f" (A/A copy {step.copy})" if step.copy > 1 else ""
            progress(
                f"round {round_number}/{rounds}  {step.endpoint:<10} {step.server:<13}"
                f"{result.requests_per_second:8.0f} req/s{copy}"
            )
    return results
