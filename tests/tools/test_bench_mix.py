"""
The request-by-request mix behind ``make bench``: what it sends, in which
order, and how it charges time to each side. The arithmetic runs on fixed
answers; the sending runs against a real HTTP server on loopback. Nothing
here asserts a speed.
"""

import itertools
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tools import bench_http, bench_mix
from tools.bench_http import Endpoint, Server, Step
from tools.bench_mix import Completion, Side


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, closed after the answer, as the
    # site's sync workers do.
    def do_GET(self) -> None:
        status = HTTPStatus.OK if self.path != "/missing" else HTTPStatus.NOT_FOUND
        body = self.path.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _WaitsForTheClient(_Handler):
    # Reads to the end of what the client sends before it answers, as
    # gunicorn's graceful close waits for it before the next request.
    def do_GET(self) -> None:
        self.rfile.read()
        super().do_GET()


@pytest.fixture
def server(request) -> Iterator[str]:
    handler = getattr(request, "param", _Handler)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_side_is_one_get_that_closes_its_connection() -> None:
    side = Side.get("http://127.0.0.1:8000", "/api/ping/", "Authorization: Bearer x")

    assert (side.host, side.port) == ("127.0.0.1", 8000)
    assert side.request == (
        b"GET /api/ping/ HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nConnection: close\r\n"
        b"Authorization: Bearer x\r\n\r\n"
    )


def test_the_sides_take_turns_in_whole_runs_each_drained_before_the_next(server) -> None:
    sides = [Side.get(server, "/a"), Side.get(server, "/b")]

    done = bench_mix.run_mix(sides, seconds=0.3, connections=3, run=5)

    assert all(c.status == HTTPStatus.OK for c in done)
    runs: list[list[Completion]] = []
    for answer in sorted(done, key=lambda c: c.sent_ns):
        if runs and runs[-1][0].side == answer.side:
            runs[-1].append(answer)
        else:
            runs.append([answer])
    # Runs of five, the two sides in turn; the last may stop short at the end.
    assert len(runs) >= 3
    assert [run[0].side for run in runs] == [index % 2 for index in range(len(runs))]
    assert [len(run) for run in runs[:-1]] == [5] * (len(runs) - 1)
    assert 1 <= len(runs[-1]) <= 5
    # No request of a run is sent before the last of the run before is answered.
    for before, after in itertools.pairwise(runs):
        assert min(c.sent_ns for c in after) > max(c.done_ns for c in before)
    # Within a run, three are in flight at once from the start.
    for run in runs[:-1]:
        assert sorted(c.sent_ns for c in run)[2] < min(c.done_ns for c in run)


@pytest.mark.parametrize("server", [_WaitsForTheClient], indirect=True)
def test_the_client_says_at_once_that_it_has_sent_everything(server) -> None:
    # A server that waits for the end of the request answers at once.
    done = bench_mix.run_mix([Side.get(server, "/a")], seconds=0.2, connections=2, run=4)

    assert len(done) >= 4
    assert {c.status for c in done} == {HTTPStatus.OK}


def test_a_refused_request_keeps_its_status(server) -> None:
    done = bench_mix.run_mix([Side.get(server, "/missing")], seconds=0.05, connections=1, run=2)

    assert {c.status for c in done} == {HTTPStatus.NOT_FOUND}


def test_a_server_that_is_not_there_is_a_clear_error() -> None:
    # Port 1 on loopback: nothing listens there.
    with pytest.raises(RuntimeError, match="a request of the mix failed"):
        bench_mix.run_mix([Side.get("http://127.0.0.1:1", "/")], seconds=0.05, connections=1, run=1)


def _answers(*sides_and_times: tuple[int, int]) -> list[Completion]:
    return [Completion(side, 0, done_ms * 1_000_000, 200) for side, done_ms in sides_and_times]


def test_each_answer_is_charged_the_time_since_the_one_before_it_in_its_run() -> None:
    answers = _answers(
        # A run of side 0: answers every 2 ms; then side 1, every 5 ms; then side 0 again.
        (0, 10), (0, 12), (0, 14), (0, 16),
        (1, 30), (1, 35), (1, 40), (1, 45),
        (0, 60), (0, 62), (0, 64),
    )  # fmt: skip

    figures = bench_mix.busy_time(answers, 2, warm=2)

    # From the 2nd answer after each run's first on: 14, 16 and 64 for side 0; 40, 45 for side 1.
    assert [f.requests for f in figures] == [3, 2]
    assert [f.seconds for f in figures] == [pytest.approx(0.006), pytest.approx(0.010)]


def test_warm_one_counts_every_answer_but_the_first_of_each_run() -> None:
    answers = _answers((0, 10), (0, 12), (1, 30), (1, 35), (0, 60), (0, 62))

    figures = bench_mix.busy_time(answers, 2, warm=1)

    assert [f.requests for f in figures] == [2, 1]
    assert [f.seconds for f in figures] == [pytest.approx(0.004), pytest.approx(0.005)]


def test_off_request_work_is_taken_from_every_side_and_charged_to_the_recorded_ones() -> None:
    charged = bench_mix.charge_background(
        [3.0, 1.0, 2.0],
        [300, 200, 100],
        ["recording", None, "other"],
        elapsed=8.0,
        # 600 requests recorded on "recording" in all (300 counted): 0.4 s of
        # its writer's work during the mix, 0.8 s after; "other": 100 of 100,
        # 0.4 s during, nothing after.
        sent={"recording": 600, "other": 100},
        during={"recording": 0.4, "other": 0.4},
        after={"recording": 0.8, "other": 0.0},
    )

    # 0.8 s of stalls in all, taken back by each side's share of the 8 s;
    # each writer's work charged to its own server's recorded sides.
    assert charged == [
        pytest.approx(3.0 - 0.8 * 3 / 8 + 1.2 * 300 / 600),
        pytest.approx(1.0 - 0.8 * 1 / 8),
        pytest.approx(2.0 - 0.8 * 2 / 8 + 0.4),
    ]


def test_a_mixed_block_reads_each_step_and_stops_at_a_refusal(server, monkeypatch) -> None:
    # Copy "one" has a master whose worker is read: one CPU second passes
    # between any two reads. Copy "two" has none.
    clock = iter(range(100))

    def cpu_seconds(pids: list[int], *, background_only: bool = False) -> float:
        return 0.0 if background_only or not pids else float(next(clock))

    monkeypatch.setattr(bench_http, "worker_pids", lambda master: [master + 1])
    monkeypatch.setattr(bench_mix, "cpu_seconds", cpu_seconds)
    answered: list[Completion] = []
    real_run_mix = bench_mix.run_mix

    def run_mix(*args, **kwargs) -> list[Completion]:
        answered[:] = real_run_mix(*args, **kwargs)
        return answered

    monkeypatch.setattr(bench_mix, "run_mix", run_mix)
    endpoints = {"a": Endpoint("/a", ""), "gone": Endpoint("/missing", "", recorded=False)}
    run_block = bench_http.mixed_steps(
        servers={"one": Server(server, master_pid=10), "two": Server(server)},
        endpoints=endpoints,
        seconds=0.5,
        connections=2,
        run=4,
        warm=1,
    )

    measured = run_block([Step("one", "a"), Step("two", "a"), Step("two", "a", copy=2)])

    assert all(m.requests_per_second > 0 for m in measured)
    # "one": one CPU second over every request it was sent, the runs' first
    # answers included; "two": two steps on one server, and no master to read.
    sent_to_one = sum(1 for c in answered if c.side == 0)
    assert measured[0].cpu_us_per_request == pytest.approx(1e6 / sent_to_one)
    assert [m.cpu_us_per_request for m in measured[1:]] == [None, None]
    with pytest.raises(RuntimeError, match=r"gone on one: [0-9]+ non-2xx responses"):
        run_block([Step("one", "a"), Step("one", "gone")])


@pytest.mark.parametrize(("run", "warm"), [(8, 8), (8, 0), (1, 0)])
def test_a_mix_whose_runs_leave_nothing_to_count_is_refused(run, warm) -> None:
    with pytest.raises(ValueError, match="runs longer than the answers left out"):
        bench_http.mixed_steps(
            servers={}, endpoints={}, seconds=1, connections=1, run=run, warm=warm
        )
