"""
The sides of a comparison measured a few milliseconds apart, not seconds apart.

On this machine (a small VM on a shared host) the CPU's speed drifts by up to
1.8x from one second to the next. Steps of a few seconds, even back to back,
then see different machines: the stateless lane against itself spread by
+-16% over 20 such rounds. The same CPU-bound work against itself, 16
rounds of 4 s, gave [0.994-1.008] alternated every 16 ms, [1.000-1.043]
every 155 ms.

So a *mix* sends the requests of its sides in turns: a run of one side's
requests, a few in flight at once, then a run of the next side's, for a few
seconds. A run ends when its last answer is in, so one server works on one
side at a time, and the worker never idles within a run: the time between
two answers is the time it spent on the later one (``busy_time``). A side's
throughput is its requests over the time so charged: wall time, store round
trips included, what wrk counts for an endpoint on its own. The first
answers of each run are left out: a worker that has just served another
endpoint serves the first few of a new one slower.

A recording copy's worker also works off the request thread: its writer
stores the samples. That work stalls whatever runs then, recorded or not;
``charge_background`` moves it to the sides whose requests made it.
"""

from __future__ import annotations

import itertools
import selectors
import socket
import statistics
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

# A server that has not answered for this long is stuck, not slow.
_STALL_SECONDS = 30.0


@dataclass(frozen=True)
class Side:
    """One side of a mix: an endpoint of one server, as the bytes of its request."""

    host: str
    port: int
    request: bytes

    @classmethod
    def get(cls, url: str, path: str, header: str = "") -> Side:
        parts = urlsplit(url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"{url!r} does not name a host and a port")
        lines = [f"GET {path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
        if header:
            lines.append(header)
        return cls(parts.hostname, parts.port, ("\r\n".join(lines) + "\r\n\r\n").encode())


@dataclass(frozen=True)
class Completion:
    """One request: its side (an index into the mix), when it was sent and answered (ns)."""

    side: int
    sent_ns: int
    done_ns: int
    status: int


class _Exchange:
    """
    One request on its own connection (the site's sync workers close after
    each), sent at once: on loopback the connection is made within
    ``connect``, and a request that waited for the client's next turn would
    leave the worker idle, its time charged to the side.
    """

    def __init__(self, index: int, side: Side) -> None:
        self.index = index
        self.side = side
        self.head = bytearray()
        self.sent_ns = time.perf_counter_ns()
        self.sock = socket.create_connection((side.host, side.port), timeout=_STALL_SECONDS)
        try:
            self.sock.sendall(side.request)
            # Said at once that nothing more will come: a worker that closes
            # gracefully waits for that before it takes the next request, and
            # would otherwise wait for this client's next turn.
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.setblocking(False)
        except OSError:
            self.sock.close()
            raise

    def status(self) -> int:
        # "HTTP/1.1 200 OK": the code is the second word of the first line.
        try:
            return int(bytes(self.head).split(b" ", 2)[1])
        except (IndexError, ValueError):
            return 0


def run_mix(
    sides: Sequence[Side], *, seconds: float, connections: int, run: int
) -> list[Completion]:
    """
    For ``seconds``, the sides take turns in runs of ``run`` requests, with
    ``connections`` of a run's requests in flight at once; a run's last
    request is answered before the next run's first is sent. Every request,
    in the order its answer was complete.
    """
    selector = selectors.DefaultSelector()
    deadline = time.perf_counter() + seconds
    turn = 0
    done: list[Completion] = []

    def start() -> None:
        nonlocal turn
        index = turn // run % len(sides)
        exchange = _Exchange(index, sides[index])
        turn += 1
        selector.register(exchange.sock, selectors.EVENT_READ, exchange)

    def start_run() -> None:
        for _ in range(min(connections, run)):
            start()

    try:
        start_run()
        while selector.get_map():
            events = selector.select(timeout=_STALL_SECONDS)
            if not events:
                raise RuntimeError(f"no answer for {_STALL_SECONDS:.0f} s")
            for key, _ in events:
                exchange: _Exchange = key.data
                chunk = exchange.sock.recv(65536)
                if chunk:
                    if len(exchange.head) < 16:
                        exchange.head += chunk[:16]
                    continue
                done.append(
                    Completion(
                        exchange.index,
                        exchange.sent_ns,
                        time.perf_counter_ns(),
                        exchange.status(),
                    )
                )
                selector.unregister(exchange.sock)
                exchange.sock.close()
                if time.perf_counter() >= deadline:
                    continue
                if turn % run:
                    start()
                elif not selector.get_map():
                    start_run()
    except OSError as e:
        raise RuntimeError(f"a request of the mix failed: {e}") from e
    finally:
        for key in list(selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        selector.close()
    return done


@dataclass(frozen=True)
class SideFigures:
    requests: int
    # Wall time charged to the side's counted requests (busy_time).
    seconds: float
    latency_p50_ms: float


def busy_time(completions: Sequence[Completion], sides: int, *, warm: int) -> list[SideFigures]:
    """
    Per side of a mix whose runs keep one worker busy: the requests answered
    right after another of the same side, and the time between the two
    answers, which is what the worker spent on the later one. The first
    ``warm`` answers of each run are left out: the worker had been idle (the
    run before had drained), and its caches still held the other side's work.
    """
    counted = [0] * sides
    seconds = [0.0] * sides
    streak = 0
    for before, after in itertools.pairwise(completions):
        streak = streak + 1 if before.side == after.side else 0
        if streak >= warm:
            counted[after.side] += 1
            seconds[after.side] += (after.done_ns - before.done_ns) / 1e9
    return [
        SideFigures(
            requests=counted[index],
            seconds=seconds[index],
            latency_p50_ms=_latency_p50_ms(c for c in completions if c.side == index),
        )
        for index in range(sides)
    ]


def _latency_p50_ms(completions: Iterable[Completion]) -> float:
    latencies = [(c.done_ns - c.sent_ns) / 1e6 for c in completions]
    return statistics.median(latencies) if latencies else 0.0


def charge_background(
    seconds: Sequence[float],
    requests: Sequence[int],
    owners: Sequence[str | None],
    *,
    elapsed: float,
    sent: Mapping[str, int],
    during: Mapping[str, float],
    after: Mapping[str, float],
) -> list[float]:
    """
    Each side's time once its servers' off-request work is charged to the
    sides that caused it. ``owners``: the server whose writer stores a side's
    samples (None: its requests are not recorded); ``sent``: per server, the
    recorded requests sent to it in all; ``during`` and ``after``: per
    server, that work while the mix ran (``elapsed`` seconds) and once it
    had ended (storing the last samples).

    Work done during the mix stalled whatever ran then, every side by its
    share of the time, and is taken back from each; all of it is charged to
    the recorded sides, each by its share of its server's recorded requests.
    """
    stalled = sum(during.values())
    charged = []
    for time_, counted, owner in zip(seconds, requests, owners, strict=True):
        own = (during[owner] + after[owner]) * counted / sent[owner] if owner else 0.0
        charged.append(time_ - stalled * time_ / elapsed + own)
    return charged


def cpu_seconds(pids: Iterable[int], *, background_only: bool = False) -> float:
    """
    The CPU time the processes' threads have had so far (nanosecond counters
    in /proc/<pid>/task/<tid>/schedstat); ``background_only``: all but each
    process's main thread.
    """
    total = 0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            if background_only and task.name == str(pid):
                continue
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except FileNotFoundError:  # a thread that ended since the listing
                continue
    return total / 1e9
