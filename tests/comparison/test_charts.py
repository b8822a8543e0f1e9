"""The dashboard's charts: small multiples with both axes labelled, drawn for two widths."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from comparison import charts
from comparison.selectors import LaneFigures, Timing
from comparison.stats import BUCKET_COUNT
from comparison.templatetags.chart_marks import bars

MINUTES = [datetime(2026, 11, 28, 14, 0, tzinfo=UTC) + timedelta(minutes=i) for i in range(60)]


def summary(lane: str, counts: dict[int, int]) -> LaneFigures:
    histogram = [0] * BUCKET_COUNT
    for bucket, count in counts.items():
        histogram[bucket] = count
    timing = Timing(histogram=histogram)
    return LaneFigures(lane=lane, label=lane.title(), colour="#000", consults="", timing=timing)


@pytest.mark.parametrize("width", [charts.WIDE, charts.NARROW])
def test_every_lane_gets_its_own_row_so_no_line_hides_another(width: int) -> None:
    series = {"session": [5] * 60, "stateless": [5] * 60, "lookup": [0] * 60}

    chart = charts.timeline(MINUTES, series, width=width)

    assert [row.lane for row in chart["rows"]] == ["session", "stateless"]
    bands = []
    for row in chart["rows"]:
        ys = [float(point.split(",")[1]) for point in row.points.split()]
        assert row.top <= min(ys) <= max(ys) <= row.baseline
        bands.append((row.top, row.baseline))
    assert bands[0][1] < bands[1][0]


@pytest.mark.parametrize("width", [charts.WIDE, charts.NARROW])
def test_the_time_axis_keeps_its_first_and_last_labels_inside_the_chart(width: int) -> None:
    chart = charts.timeline(MINUTES, {"session": [1] * 60}, width=width)
    first, last = chart["ticks"][0], chart["ticks"][-1]

    assert (first.label, first.anchor, first.x) == ("14:00", "start", charts.LEFT)
    assert (last.label, last.anchor, last.x) == ("14:59", "end", chart["right"])
    assert chart["right"] <= width
    assert chart["zone"] == "UTC"


def test_the_narrow_chart_has_fewer_time_labels_so_they_do_not_collide() -> None:
    wide = charts.timeline(MINUTES, {"session": [1] * 60}, width=charts.WIDE)
    narrow = charts.timeline(MINUTES, {"session": [1] * 60}, width=charts.NARROW)

    assert [tick.label for tick in wide["ticks"]] == [
        "14:00", "14:10", "14:20", "14:30", "14:40", "14:50", "14:59"
    ]  # fmt: skip
    assert [tick.label for tick in narrow["ticks"]] == ["14:00", "14:20", "14:40", "14:59"]


def test_the_timeline_rows_share_one_scale() -> None:
    chart = charts.timeline(MINUTES, {"session": [10] * 60, "stateless": [2] * 60}, width=800)

    assert {row.peak for row in chart["rows"]} == {10}


def test_each_histogram_row_has_a_count_axis_from_zero_to_its_tallest_bar() -> None:
    summaries = [summary("session", {10: 40, 11: 10}), summary("stateless", {3: 7})]

    chart = charts.latency_histograms(summaries, width=charts.NARROW)

    assert [(row.lane, row.peak, row.total) for row in chart["rows"]] == [
        ("session", 40, 50),
        ("stateless", 7, 7),
    ]
    tallest = max(chart["rows"][0].bars, key=lambda bar: bar.height)
    assert tallest.y == pytest.approx(chart["rows"][0].top)
    assert tallest.y + tallest.height == pytest.approx(chart["rows"][0].baseline)


def test_lanes_without_requests_get_no_empty_row() -> None:
    chart = charts.latency_histograms(
        [summary("session", {}), summary("lookup", {2: 1})], width=800
    )

    assert [row.lane for row in chart["rows"]] == ["lookup"]


def test_histogram_bars_are_drawn_to_a_tenth_of_a_unit_with_their_labels_escaped() -> None:
    chart = charts.latency_histograms([summary("<b>", {10: 40, 11: 10})], width=charts.WIDE)

    drawn = bars(chart["rows"][0])

    assert drawn.count("<rect") == 2
    assert re.findall(r'height="([^"]+)"', drawn) == ["44.0", "11.0"]
    assert "<title>&lt;B&gt;, ≤ 50 µs: 40 requests</title>" in drawn


@pytest.mark.parametrize(
    ("count", "label"),
    [
        (0, "0"),
        (999, "999"),
        (1_000, "1.0k"),
        (9_949, "9.9k"),
        (9_960, "10k"),
        (999_499, "999k"),
        (16_000, "16k"),
        (999_999, "1.0M"),
        (2_500_000, "2.5M"),
        (10_071_532, "10M"),
    ],
)
def test_a_top_tick_fits_in_four_characters_beside_the_axis_title(count: int, label: str) -> None:
    assert charts.count_label(count) == label
