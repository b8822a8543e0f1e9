"""
Durations and moments in words, the way every page shows them: "5 minutes",
"1 day", "2026-11-28 14:03:12 UTC". Never "0:05:00" or "1800 s".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import dateformat, timezone

UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))
MOMENT_FORMAT = "Y-m-d H:i:s T"


def _count(number: int | float, unit: str) -> str:
    return f"{number:g} {unit}{'' if number == 1 else 's'}"


def duration_words(value: timedelta | float | int) -> str:
    """At most the two largest units ("1 hour 30 minutes"); a fraction of a minute as seconds."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds < 60 and not seconds.is_integer():
        return _count(round(seconds, 2), "second")
    remaining = round(seconds)
    parts = []
    for unit, size in UNITS:
        amount, remaining = divmod(remaining, size)
        if amount:
            parts.append(_count(amount, unit))
    return " ".join(parts[:2]) or _count(0, "second")


def moment(value: datetime) -> str:
    """A date and time in the site's time zone, with the zone named."""
    return dateformat.format(timezone.localtime(value), MOMENT_FORMAT)
