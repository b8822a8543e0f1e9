"""``{% load timewords %}``: ``value|duration`` and ``value|moment``, as ``accounts.timewords``."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template

from accounts.timewords import duration_words, moment

register = template.Library()


@register.filter
def duration(value: timedelta | float | int | None) -> str:
    return "" if value is None or value == "" else duration_words(value)


@register.filter(name="moment")
def moment_filter(value: datetime | None) -> str:
    return "" if value is None else moment(value)
