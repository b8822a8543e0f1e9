"""System checks of the comparison app's settings, each saying how to fix it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from comparison.sources import Source


@checks.register()
def check_sample_source(**kwargs: Any) -> list[checks.CheckMessage]:
    if settings.COMPARISON_SAMPLE_SOURCE in Source.values:
        return []
    return [
        checks.Error(
            f"COMPARISON_SAMPLE_SOURCE is {settings.COMPARISON_SAMPLE_SOURCE!r}: set the "
            f"environment variable to one of {', '.join(Source.values)}, or leave it unset "
            "for live traffic.",
            id="comparison.E001",
        )
    ]
