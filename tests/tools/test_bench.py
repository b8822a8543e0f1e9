"""
The benchmark's statistics, parsing and report, on fixed inputs. The benchmark
itself is a command (`make bench`), not a test: nothing here times anything.
"""

import random
import statistics
from http import HTTPStatus
from pathlib import Path

import pytest
from django.urls import reverse

from accounts import lanes
from comparison.models import BenchmarkRun
from tools import bench, bench_http, bench_mix, stats
from tools.bench_http import Measured, Server, Step, WrkResult, parse_wrk, step_key
from tools.bench_micro import AA_REPEAT, FLOOR_STEPS, LANE_PEERS, paired_rounds

WRK_OUTPUT = """\
Running 2s test @ http://127.0.0.1:40000/api/ping/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.80ms  200.00us   5.00ms   90.00%
  Latency Distribution
     50%  750.00us
     75%    1.90ms
     90%    2.00ms
     99%    3.00ms
  4001 requests in 2.00s, 1.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   2000.50
Transfer/sec:    500.00KB
"""


def test_wrk_output_is_parsed() -> None:
    assert parse_wrk(WRK_OUTPUT) == WrkResult(
        requests_per_second=2000.5, latency_p50_ms=0.75, bad_responses=3, requests=4001
    )


# ------------------------------------------------------------------ statistics
def test_ten_rounds_give_the_second_and_ninth_values_as_the_95_percent_interval() -> None:
    estimate = stats.median_interval([9, 1, 8, 2, 7, 3, 6, 4, 5, 10])

    assert (estimate.median, estimate.low, estimate.high) == (5.5, 2, 9)
    # 1 - 2 * P(Binomial(10, 1/2) <= 1) = 1 - 2 * 11 / 1024
    assert estimate.coverage == pytest.approx(1 - 22 / 1024)


def test_too_few_rounds_give_the_whole_range_and_say_it_covers_less() -> None:
    estimate = stats.median_interval([3.0, 1.0, 2.0])

    assert (estimate.low, estimate.high) == (1.0, 3.0)
    assert estimate.coverage == pytest.approx(0.75)


def test_a_paired_ratio_is_the_median_of_per_round_ratios_not_the_ratio_of_medians() -> None:
    # Round by round the numerator is always 10% ahead, although the machine drifts.
    denominators = [100.0, 50.0, 200.0, 120.0, 80.0, 150.0]
    numerators = [value * 1.1 for value in denominators]

    estimate = stats.paired_ratio(numerators, denominators)

    assert estimate.median == pytest.approx(1.1)
    assert (estimate.low, estimate.high) == (pytest.approx(1.1), pytest.approx(1.1))
    assert not estimate.no_difference


def test_an_interval_that_holds_one_is_printed_as_no_difference() -> None:
    estimate = stats.paired_ratio([1.02, 0.97, 1.01, 0.99, 1.03, 0.98], [1.0] * 6)

    assert estimate.no_difference
    assert stats.format_ratio(estimate.as_dict()) == "no difference [0.970-1.030]"


def test_an_interval_clear_of_one_prints_its_median_and_bounds() -> None:
    estimate = stats.paired_ratio([0.91, 0.93, 0.92, 0.95, 0.90, 0.94], [1.0] * 6)

    assert stats.format_ratio(estimate.as_dict()) == "0.925 [0.900-0.950]"


def test_the_noise_band_is_how_far_the_aa_interval_reaches_from_one() -> None:
    aa = stats.paired_ratio([0.98, 1.0, 1.01, 0.99, 1.0, 1.005], [1.0] * 6)

    assert stats.noise_band(aa) == pytest.approx(0.02)


# ------------------------------------------------------------------ the report
def _fixed_http() -> dict[str, list[Measured]]:
    """Ten rounds per step: ping 1000 req/s, each lane a fixed share of it, steady CPU."""
    shares = {"ping": 1.0, **{lane.name: 0.5 for lane in lanes.site_lanes()}}
    shares[lanes.SNAPSHOT.name] = 0.6
    http = {}
    for block, steps in bench.blocks_of(list(shares)).items():
        for step in steps:
            # The recording copy serves the ping in the lane's own mix: no CPU
            # time of its own (tools.bench_http.mixed_steps).
            cpu_us = None if step.server == bench.RECORDING else 400.0
            http[step_key(block, step)] = [
                Measured(1000 * shares[step.endpoint] * (1 + round_number / 100), 1.0, cpu_us)
                for round_number in range(10)
            ]
    # The A/A repeat: within 1% of its twin, both ways; the second copy 3% faster.
    twin = http[step_key(bench.AA_LANE, Step(bench.RECORDING, bench.AA_LANE))]
    http[step_key(bench.AA_LANE, Step(bench.RECORDING, bench.AA_LANE, copy=2))] = [
        Measured(run.requests_per_second * (1.01 if i % 2 else 0.99), 1.0, None)
        for i, run in enumerate(twin)
    ]
    http[step_key(bench.AA_LANE, Step(bench.AA_COPY, bench.AA_LANE))] = [
        Measured(run.requests_per_second * 1.03, 1.0, None) for run in twin
    ]
    return http


# Store round trips per request, as the probe counts them (tests/comparison/test_auth_cost.py).
TRIPS = {
    lanes.SESSION.name: {"redis": 1.0, "sql": 1.0},
    lanes.SNAPSHOT.name: {"redis": 1.0, "sql": 0.0},
    lanes.JWT_PAGES.name: {"redis": 0.0, "sql": 0.0},
    lanes.STATELESS.name: {"redis": 0.0, "sql": 0.0},
    lanes.LOOKUP.name: {"redis": 0.0, "sql": 1.0},
    lanes.DENYLIST.name: {"redis": 1.0, "sql": 0.0},
}


def _fixed_micro() -> bench.Micro:
    """Ten passes of three values each, drifting from pass to pass."""
    micro: bench.Micro = {}

    def passes(us: float) -> list[float]:
        return [
            us * 1e-6 * (1 + index / 100) * spread
            for index in range(10)
            for spread in (0.99, 1.0, 1.01)
        ]

    for lane in lanes.site_lanes():
        micro[f"lane:{lane.name}:bare"] = passes(60)
        micro[f"lane:{lane.name}:probed"] = passes(70)
    micro[AA_REPEAT] = passes(60)
    for name in FLOOR_STEPS:
        micro[f"floor:{name}"] = passes(20)
    for peer, _ in LANE_PEERS.values():
        micro[f"peer:{peer}"] = passes(60)
    return micro


def _fixed_paired() -> bench.Paired:
    """
    Fifteen rounds of the comparisons the paired process makes, as it makes
    them: the lanes steady against their floors; against their peers ten
    percent either way, round by round; the A/A within half a percent.
    """
    paired: bench.Paired = {}
    for probed, lane_us in ((False, 60.0), (True, 70.0)):
        for name, (_numerator, parts) in bench.comparisons(TRIPS, probed=probed).items():
            if name == bench.AA_KEY:
                paired[name] = [1.005 if index % 2 else 0.995 for index in range(15)]
            elif name.endswith("/peer"):
                paired[name] = [(1.1 if index % 2 else 0.9) for index in range(15)]
            else:
                paired[name] = [lane_us / (20.0 * len(parts))] * 15
    return paired


@pytest.fixture
def report() -> dict:
    return bench.build_report(
        options=bench.Options(),
        http=_fixed_http(),
        micro=_fixed_micro(),
        paired=_fixed_paired(),
        trips=TRIPS,
        render_ms=[50.0, 40.0, 60.0, 45.0, 55.0, 52.0],
        requests_behind=10_000_000,
        minutes=12.0,
    )


def test_every_lane_of_the_registry_has_a_row_in_every_table(report) -> None:
    names = [lane.name for lane in lanes.site_lanes()]

    assert [row["lane"] for row in report["throughput"]] == [bench.PING, *names]
    assert [row["lane"] for row in report["auth_step"]] == names
    assert [row["lane"] for row in report["capacity"]["lanes"]] == [bench.PING, *names]


def test_throughput_ratios_are_paired_and_the_aa_pair_is_the_noise_band(report) -> None:
    rows = {row["lane"]: row for row in report["throughput"]}

    assert rows[lanes.SESSION.name]["vs_ping"]["median"] == pytest.approx(0.5)
    assert rows[lanes.SESSION.name]["recording_on_off"]["no_difference"]
    assert report["pairs"]["snapshot_vs_denylist"]["median"] == pytest.approx(1.2)
    assert report["noise"]["aa"]["no_difference"]
    assert report["noise"]["band"] == pytest.approx(0.01)
    # Across copies the band reaches as far from 1.0 as the interval does.
    assert report["noise"]["copies"]["aa"]["median"] == pytest.approx(1.03)
    assert report["noise"]["copies"]["band"] == pytest.approx(0.03)


def test_auth_step_ratios_divide_by_the_sum_of_the_floor_steps(report) -> None:
    rows = {row["lane"]: row for row in report["auth_step"]}

    denylist = rows[lanes.DENYLIST.name]
    assert denylist["floor"] == "jwt_decode + redis_get"
    # Over every value of every pass, as the table shows it.
    floor_us = statistics.median(_fixed_micro()["floor:jwt_decode"])
    assert denylist["floor_us"] == pytest.approx(2 * floor_us * 1e6)
    assert denylist["probed_floor"]["median"] == pytest.approx(70 / 40)
    assert rows[lanes.STATELESS.name]["probed_floor"]["median"] == pytest.approx(70 / 20)
    assert rows[lanes.SESSION.name]["bare_peer"]["no_difference"]
    assert rows[lanes.DENYLIST.name]["peer"] is None
    assert report["floors"]["redis_get_us"] == pytest.approx(floor_us * 1e6)
    assert (denylist["probed_floor"]["low"], denylist["probed_floor"]["high"]) == (
        pytest.approx(70 / 40),
        pytest.approx(70 / 40),
    )
    assert report["noise"]["in_process"]["aa"]["no_difference"]
    assert report["noise"]["in_process"]["band"] == pytest.approx(0.005)


def test_the_paired_process_compares_each_lane_with_its_floor_and_peer_and_itself() -> None:
    bare = bench.comparisons(TRIPS, probed=False)
    probed = bench.comparisons(TRIPS, probed=True)

    assert bare["lane:denylist:bare/floor"] == [
        "lane:denylist:bare",
        ["floor:jwt_decode", "floor:redis_get"],
    ]
    assert bare["lane:session:bare/peer"] == ["lane:session:bare", ["peer:django_cache_session"]]
    assert bare[bench.AA_KEY] == [AA_REPEAT, ["lane:stateless:bare"]]
    # Every lane against its floor, three against their peers, and (bare only) the A/A.
    assert len(bare) == len(lanes.site_lanes()) + len(LANE_PEERS) + 1
    assert len(probed) == len(lanes.site_lanes()) + len(LANE_PEERS)


@pytest.mark.parametrize(
    ("lane", "counts", "floor"),
    [
        (lanes.SESSION, {"redis": 1.0, "sql": 1.0}, ("session_read", "user_row")),
        (lanes.SNAPSHOT, {"redis": 1.02, "sql": 0.0}, ("session_read",)),
        (lanes.DENYLIST, {"redis": 1.0, "sql": 0.0}, ("jwt_decode", "redis_get")),
        (lanes.JWT_PAGES, None, ("jwt_decode",)),
    ],
)
def test_a_lanes_floor_follows_its_credential_and_its_counted_round_trips(lane, counts, floor):
    assert bench.floor_steps(lane, counts) == floor


def test_capacity_is_rate_times_cost_per_request(report) -> None:
    session = next(row for row in report["capacity"]["lanes"] if row["lane"] == "session")

    assert session["at"]["10000"] == {
        "app_cores": pytest.approx(4.0),
        "redis_ops": pytest.approx(10_000),
        "sql_queries": pytest.approx(10_000),
    }
    assert "rate x CPU seconds per request" in report["capacity"]["formula"]


def test_each_target_is_judged_on_its_interval(report) -> None:
    verdicts = {goal["figure"]: goal["verdict"] for goal in report["goals"]}

    assert verdicts["A/A noise band (+-)"] == "met"
    assert verdicts["stateless auth step, probed / PyJWT decode"] == "missed"
    assert verdicts["session auth step, bare / stock Django"] == "unclear"
    assert verdicts["session throughput / ping"] == "met"
    assert verdicts["dashboard render, ms"] == "met"


def test_the_summary_prints_intervals_and_targets(report) -> None:
    text = "\n".join(bench.summary(report))

    assert "noise band +-1.0%" in text
    assert "no difference [" in text
    assert "target >= 0.4" in text
    assert "median of per-round ratios" in text


@pytest.mark.django_db
def test_the_dashboard_shows_the_last_report_with_its_intervals(client, report) -> None:
    BenchmarkRun.objects.create(report=report)

    response = client.get(reverse("comparison:dashboard"))

    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "A/A" in body
    assert "no difference" in body
    assert '0.500 <span class="muted">[0.500\N{EN DASH}0.500]</span>' in body
    assert "Cores at 10000/s" in body
    assert "CPU µs per request, bare copy" in body
    assert "taking turns in runs of 32 requests (the first 8 of each left out; 4 in flight" in body


@pytest.mark.django_db
def test_a_report_in_the_old_format_asks_for_a_new_run(client) -> None:
    BenchmarkRun.objects.create(report={"rounds": 3, "lanes": []})

    response = client.get(reverse("comparison:dashboard"))

    assert "older format" in response.content.decode()


def test_the_local_redis_server_is_found_so_it_can_share_the_sites_cpu() -> None:
    pid = bench.redis_pid()

    assert pid is not None
    assert Path(f"/proc/{pid}/comm").read_text().strip() in {"redis-server", "valkey-server"}


def test_paired_rounds_time_a_comparisons_sides_back_to_back_once_per_round() -> None:
    timeline: list[str] = []

    def costs(name: str, us: float):
        def timed(loops: int) -> float:
            timeline.append(name)
            return loops * us * 1e-6

        return timed

    timed = {
        "lane": costs("lane", 30),
        "floor_a": costs("floor_a", 10),
        "floor_b": costs("floor_b", 5),
    }

    ratios = paired_rounds(
        timed,
        {"lane/floor": ("lane", ["floor_a", "floor_b"])},
        rounds=4,
        min_time=0.001,
        rng=random.Random(1),  # noqa: S311 - an order, not a secret
    )

    assert ratios == {"lane/floor": [pytest.approx(2.0)] * 4}
    # After calibrating each, every round times the lane and its floor's parts
    # back to back, the lane first and last in turn.
    assert timeline[-12:] == ["lane", "floor_a", "floor_b", "floor_a", "floor_b", "lane"] * 2


def test_the_steps_of_a_block_run_together_once_per_round() -> None:
    timeline: list[list[Step]] = []

    def run_block(steps: list[Step]) -> list[Measured]:
        timeline.append(steps)
        # Each step's figure says which step it is: 10 x its copy + 1 on "one", 2 on "two".
        return [
            Measured(10.0 * step.copy + {"one": 1, "two": 2}[step.server], 1.0, None)
            for step in steps
        ]

    blocks = {
        "p": [Step("one", "p"), Step("two", "p")],
        "q": [Step("one", "q"), Step("two", "q"), Step("one", "q", copy=2)],
    }

    http = bench_http.interleaved_rounds(
        blocks=blocks,
        rounds=4,
        run_block=run_block,
        rng=random.Random(3),  # noqa: S311 - an order, not a secret
        progress=lambda line: None,
    )

    # Every step's figure is filed under that step, whatever order it ran in.
    assert {key: [m.requests_per_second for m in runs] for key, runs in http.items()} == {
        "p|one/p": [11.0] * 4,
        "p|two/p": [12.0] * 4,
        "q|one/q": [11.0] * 4,
        "q|two/q": [12.0] * 4,
        "q|one/q#2": [21.0] * 4,
    }
    # Each round runs each block once, its steps together, never mixed with another's.
    assert len(timeline) == 8
    for steps in timeline:
        assert {step.endpoint for step in steps} in ({"p"}, {"q"})
    # Both orders of blocks, and of steps inside them, happen.
    block_orders = {(timeline[i][0].endpoint, timeline[i + 1][0].endpoint) for i in (0, 2, 4, 6)}
    assert len(block_orders) > 1
    assert len({tuple(steps) for steps in timeline if steps[0].endpoint == "q"}) > 1


def test_a_lanes_block_holds_it_on_every_copy_with_the_ping_beside_it() -> None:
    blocks = bench.blocks_of([bench.PING, lanes.SESSION.name, bench.AA_LANE])

    assert blocks == {
        bench.PING: [Step(server, bench.PING) for server in bench.SERVER_ENVIRONMENTS],
        lanes.SESSION.name: [
            *(Step(server, lanes.SESSION.name) for server in bench.SERVER_ENVIRONMENTS),
            Step(bench.RECORDING, bench.PING),
        ],
        bench.AA_LANE: [
            *(Step(server, bench.AA_LANE) for server in bench.SERVER_ENVIRONMENTS),
            Step(bench.RECORDING, bench.PING),
            Step(bench.RECORDING, bench.AA_LANE, copy=2),
            Step(bench.AA_COPY, bench.AA_LANE),
        ],
        bench.SNAPSHOT_VS_DENYLIST: [
            Step(bench.RECORDING, lanes.SNAPSHOT.name),
            Step(bench.RECORDING, lanes.DENYLIST.name),
        ],
    }


@pytest.mark.parametrize(
    ("recorded", "waits", "rps", "cpu_us"),
    [
        # 1000 requests in 2 s, then 0.4 s of the writer's work for them: 2.4 s in all.
        (True, [2.3], 1000 / 2.4, 2000.0),
        # The ping's requests are not recorded: nothing to wait for.
        (False, [], 500.0, 1600.0),
    ],
)
def test_what_the_workers_do_for_a_step_after_it_ends_is_charged_to_it(
    monkeypatch, recorded, waits, rps, cpu_us
) -> None:
    # CPU seconds of the workers: before the step, at its end, after the wait.
    readings = iter([10.0, 11.6, 12.0])
    monkeypatch.setattr(bench_http, "worker_pids", lambda master: [master + 1])
    monkeypatch.setattr(bench_mix, "cpu_seconds", lambda pids: next(readings))
    slept: list[float] = []
    monkeypatch.setattr(bench_http.time, "sleep", slept.append)
    monkeypatch.setattr(
        bench_http,
        "run_wrk",
        lambda *args, **kwargs: WrkResult(
            requests_per_second=500.0, latency_p50_ms=1.0, bad_responses=0, requests=1000
        ),
    )

    measured = bench_http._run_step(
        Step(bench.RECORDING, lanes.STATELESS.name),
        Server("http://127.0.0.1:1", master_pid=1, settle_seconds=2.3),
        bench_http.Endpoint("/", "", recorded=recorded),
        seconds=2,
        connections=4,
    )

    assert slept == waits
    assert measured.requests_per_second == pytest.approx(rps)
    assert measured.cpu_us_per_request == pytest.approx(cpu_us)
