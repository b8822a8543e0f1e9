"""The benchmark's arithmetic and parsing; the benchmark itself is a command, not a test."""

import pytest

from tools import bench
from tools.bench import WrkResult, _report

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
  4000 requests in 2.00s, 1.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   2000.50
Transfer/sec:    500.00KB
"""


def test_wrk_output_is_parsed(monkeypatch) -> None:
    class Completed:
        stdout = WRK_OUTPUT

    monkeypatch.setattr(bench.subprocess, "run", lambda *args, **kwargs: Completed())

    result = bench.run_wrk("http://x/", "", seconds=2, connections=4)

    assert result == WrkResult(requests_per_second=2000.5, latency_p50_ms=0.75, bad_responses=3)


def test_report_takes_medians_and_divides_like_the_readme_says() -> None:
    def runs(*rps: float) -> list[WrkResult]:
        return [WrkResult(value, 1.0, 0) for value in rps]

    results = {}
    for target in bench.TARGETS:
        results[target.name, True] = runs(90, 100, 110)
        results[target.name, False] = runs(100, 200, 120)
    results["baseline_api", False] = runs(400, 400, 500)
    floors = {"redis_get": 50.0, "pyjwt_verify": 20.0, "user_query": 100.0}
    auth_us = {"session": 300.0, "stateless": 30.0, "lookup": 240.0, "denylist": 105.0}

    report = _report(
        results=results,
        floors=floors,
        auth_us=auth_us,
        render_ms=[10.0, 30.0, 20.0],
        requests_behind=1_000_000,
        settings_used={"dashboard_requests": 1_000_000},
    )

    rows = {row["lane"]: row for row in report["lanes"]}
    assert rows["stateless"]["rps_on"] == 100
    assert rows["stateless"]["rps_off"] == 120
    assert rows["stateless"]["on_off_ratio"] == pytest.approx(100 / 120)
    assert rows["stateless"]["baseline_ratio"] == pytest.approx(120 / 400)
    assert rows["stateless"]["floor_ratio"] == pytest.approx(30 / 20)
    assert rows["session"]["floor_us"] == 150
    assert rows["session"]["floor_ratio"] == pytest.approx(2.0)
    assert rows["denylist"]["floor_target"] == 1.5
    assert rows["baseline_api"]["baseline_ratio"] is None
    assert report["dashboard"] == {"render_ms_median": 20.0, "requests_behind": 1_000_000}
