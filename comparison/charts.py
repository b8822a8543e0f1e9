"""
Charts drawn on the server as plain SVG geometry, so the dashboard needs no
JavaScript and no third-party chart library. Each function returns numbers
for the template to place; nothing here knows about HTML.

An SVG scales with its width, text included, so each chart is drawn twice:
``WIDE`` for a desktop column and ``NARROW`` for a phone, each close to the
width it is shown at, so that its 12-unit text stays at least 11 CSS pixels
(the stylesheet shows one or the other by the viewport's width). Both are
small multiples, one row per lane, so no lane's bars or line can hide
another's; each row has its own count axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from accounts.lanes import BY_NAME
from comparison.stats import BOUNDS_US, OVERFLOW

WIDE, NARROW = 800, 360
# Room for the y axis (its title and tick labels), and a little on the right.
LEFT, RIGHT = 52, 12
# Each row: the lane's name above, then its plot, then a gap.
ROW_LABEL, ROW_PLOT, ROW_GAP = 18, 44, 12
ROW_HEIGHT = ROW_LABEL + ROW_PLOT + ROW_GAP
# Below the rows: tick labels, then the x axis title.
X_AXIS_HEIGHT = 44
# Tick spacing in buckets (latency) and minutes (timeline), by chart width.
LATENCY_TICK_EVERY = {WIDE: 6, NARROW: 12}
MINUTE_TICK_EVERY = {WIDE: 10, NARROW: 20}


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Row:
    """One lane's plot: its name, its y axis (from 0 to ``peak``), and its marks."""

    lane: str
    label: str
    colour: str
    total: int
    peak: int
    label_y: float
    top: float
    baseline: float
    bars: list[Bar]
    points: str

    @property
    def peak_label(self) -> str:
        """The top tick, in at most four characters (16k, 2.5M): the axis title sits just left."""
        return count_label(self.peak)


def count_label(count: int) -> str:
    """A count in at most four characters: 999, 1.0k, 16k, 999k, 1.0M, 10M."""
    if count < 1_000:
        return str(count)
    for size, suffix in ((1_000, "k"), (1_000_000, "M"), (1_000_000_000, "G")):
        text = f"{count / size:.1f}"
        if len(text) > 3:
            text = f"{count / size:.0f}"
        if len(text) <= 3:
            return text + suffix
    return f"{count / 1_000_000_000:.0f}G"


def _us_label(us: float) -> str:
    if us >= 1000:
        return f"{us / 1000:g} ms"
    return f"{us:g} µs"


def _frame(width: int, rows: int) -> dict:
    height = rows * ROW_HEIGHT + X_AXIS_HEIGHT
    plot_bottom = rows * ROW_HEIGHT
    return {
        "width": width,
        "height": height,
        "left": LEFT,
        "right": width - RIGHT,
        "axis_y": plot_bottom,
        "tick_label_y": plot_bottom + 16,
        "x_title_y": height - 6,
        "x_title_x": (LEFT + width - RIGHT) / 2,
        "y_title_x": 14,
        "y_title_y": plot_bottom / 2,
    }


def _row_geometry(index: int) -> tuple[float, float, float]:
    """(label baseline, plot top, plot baseline) of the row at ``index``."""
    start = index * ROW_HEIGHT
    return start + 13, start + ROW_LABEL, start + ROW_LABEL + ROW_PLOT


def latency_histograms(summaries: list, *, width: int) -> dict:
    """
    One row of bars per lane on a shared, logarithmic auth-time axis. Each row
    is scaled to its own tallest bar, so that lanes with few requests still
    show their shape; its count axis says how many that is.
    """
    plot_width = width - LEFT - RIGHT
    bucket_width = plot_width / (OVERFLOW + 1)
    shown = [summary for summary in summaries if any(summary.histogram)]
    rows = []
    for index, summary in enumerate(shown):
        label_y, top, baseline = _row_geometry(index)
        peak = max(summary.histogram)
        bars = []
        for bucket, count in enumerate(summary.histogram):
            if not count:
                continue
            height = ROW_PLOT * count / peak
            high = BOUNDS_US[bucket] if bucket < OVERFLOW else None
            label = f"≤ {_us_label(high)}" if high else f"> {_us_label(BOUNDS_US[-1])}"
            bars.append(
                Bar(
                    x=LEFT + bucket * bucket_width,
                    y=baseline - height,
                    width=max(bucket_width - 1, 1),
                    height=height,
                    label=f"{label}: {count} request{'' if count == 1 else 's'}",
                )
            )
        rows.append(
            Row(
                lane=summary.lane,
                label=summary.label,
                colour=summary.colour,
                total=sum(summary.histogram),
                peak=peak,
                label_y=label_y,
                top=top,
                baseline=baseline,
                bars=bars,
                points="",
            )
        )
    every = LATENCY_TICK_EVERY[width]
    ticks = [
        Tick(x=LEFT + (bucket + 1) * bucket_width, label=_us_label(BOUNDS_US[bucket]))
        for bucket in range(0, OVERFLOW, every)
    ]
    return {**_frame(width, len(rows)), "rows": rows, "ticks": ticks}


def timeline(axis: list[datetime], series: dict[str, list[int]], *, width: int) -> dict:
    """Requests per minute, one row per lane that had any, all on one scale."""
    plot_width = width - LEFT - RIGHT
    shown = {lane: values for lane, values in series.items() if any(values)}
    peak = max((max(values) for values in shown.values()), default=0) or 1
    step = plot_width / max(len(axis) - 1, 1)
    rows = []
    for index, (lane, values) in enumerate(shown.items()):
        label_y, top, baseline = _row_geometry(index)
        points = " ".join(
            f"{LEFT + i * step:.1f},{baseline - ROW_PLOT * value / peak:.1f}"
            for i, value in enumerate(values)
        )
        rows.append(
            Row(
                lane=lane,
                label=BY_NAME[lane].label,
                colour=BY_NAME[lane].colour,
                total=sum(values),
                peak=peak,
                label_y=label_y,
                top=top,
                baseline=baseline,
                bars=[],
                points=points,
            )
        )
    every = MINUTE_TICK_EVERY[width]
    last = len(axis) - 1
    ticks = [
        Tick(
            x=LEFT + i * step,
            label=f"{timezone.localtime(minute):%H:%M}",
            # The first and last labels stay inside the chart.
            anchor="start" if i == 0 else "end" if i == last else "middle",
        )
        for i, minute in enumerate(axis)
        if (i % every == 0 and last - i >= every / 2) or i == last
    ]
    zone = timezone.localtime(axis[-1]).tzname() if axis else ""
    return {**_frame(width, len(rows)), "rows": rows, "ticks": ticks, "zone": zone}
