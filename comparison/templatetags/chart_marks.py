"""``{% load chart_marks %}``: ``{% bars row %}``, the bars of one row of a latency chart."""

from __future__ import annotations

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from comparison.charts import Row

register = template.Library()

BAR = '<rect fill="{}" x="{}" y="{}" width="{}" height="{}"><title>{}, {}</title></rect>'


@register.simple_tag
def bars(row: Row) -> SafeString:
    """
    Each bar as an SVG rect, its tooltip naming the lane and the bucket.
    Written here rather than with a template loop: the dashboard draws two
    latency charts of up to a hundred bars with seven values each, and through
    the template language those bars took half of the page's render time.
    Coordinates to a tenth of a unit, with a point whatever the locale.
    """
    return format_html_join(
        "",
        BAR,
        (
            (
                row.colour,
                f"{bar.x:.1f}",
                f"{bar.y:.1f}",
                f"{bar.width:.1f}",
                f"{bar.height:.1f}",
                row.label,
                bar.label,
            )
            for bar in row.bars
        ),
    )
