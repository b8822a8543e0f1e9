"""
Charts drawn on the server as plain SVG geometry, so the dashboard needs no
JavaScript and no third-party chart library. Each function returns numbers
for the template to place; nothing here knows about HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accounts.lanes import BY_NAME
from comparison.stats import BOUNDS_US, OVERFLOW

WIDTH = 640
ROW_HEIGHT = 56
LEFT = 110
PLOT_WIDTH = WIDTH - LEFT - 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class HistogramRow:
    lane: str
    label: str
    colour: str
    top: float
    bars: list[Bar]
    total: int


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


def _us_label(us: float) -> str:
    if us >= 1000:
        return f"{us / 1000:g} ms"
    return f"{us:g} µs"


def latency_histograms(summaries: list) -> dict:
    """One row of bars per lane on a shared, logarithmic auth-time axis."""
    bucket_width = PLOT_WIDTH / (OVERFLOW + 1)
    rows = []
    for index, summary in enumerate(summaries):
        top = 10 + index * ROW_HEIGHT
        peak = max(summary.histogram) or 1
        bars = []
        for bucket, count in enumerate(summary.histogram):
            if not count:
                continue
            height = (ROW_HEIGHT - 16) * count / peak
            high = BOUNDS_US[bucket] if bucket < OVERFLOW else None
            label = f"≤ {_us_label(high)}" if high else f"> {_us_label(BOUNDS_US[-1])}"
            bars.append(
                Bar(
                    x=LEFT + bucket * bucket_width,
                    y=top + ROW_HEIGHT - 8 - height,
                    width=bucket_width - 1,
                    height=height,
                    label=f"{label}: {count} requests",
                )
            )
        rows.append(
            HistogramRow(
                lane=summary.lane,
                label=summary.label,
                colour=summary.colour,
                top=top,
                bars=bars,
                total=sum(summary.histogram),
            )
        )
    ticks = [
        Tick(x=LEFT + (bucket + 1) * bucket_width, label=_us_label(BOUNDS_US[bucket]))
        for bucket in range(0, OVERFLOW, 6)
    ]
    height = 10 + len(rows) * ROW_HEIGHT + 20
    return {"width": WIDTH, "height": height, "rows": rows, "ticks": ticks, "axis_y": height - 20}


@dataclass(frozen=True)
class Line:
    lane: str
    colour: str
    points: str
    total: int


def timeline(axis: list[datetime], series: dict[str, list[int]]) -> dict:
    """Requests per minute, one polyline per lane."""
    height, top, bottom = 200, 10, 170
    peak = max((max(values) for values in series.values() if values), default=0) or 1
    step = PLOT_WIDTH / max(len(axis) - 1, 1)
    lines = [
        Line(
            lane=lane,
            colour=BY_NAME[lane].colour,
            points=" ".join(
                f"{LEFT + i * step:.1f},{bottom - (bottom - top) * value / peak:.1f}"
                for i, value in enumerate(values)
            ),
            total=sum(values),
        )
        for lane, values in series.items()
        if any(values)
    ]
    ticks = [
        Tick(x=LEFT + i * step, label=f"{minute:%H:%M}")
        for i, minute in enumerate(axis)
        if i % 10 == 0 or i == len(axis) - 1
    ]
    return {
        "width": WIDTH,
        "height": height,
        "lines": lines,
        "ticks": ticks,
        "peak": peak,
        "axis_y": bottom,
        "top": top,
        "left": LEFT,
    }
