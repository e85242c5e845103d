"""The one clock seam: every service asks `now()` so
tests and the demo can move time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")
_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Return the current aware datetime (UTC-based, like `timezone.now`)."""
    return _frozen if _frozen is not None else timezone.now()


def local_now() -> dt.datetime:
    """Return the current time in Asia/Shanghai, for opening hours and dates."""
    return now().astimezone(SHANGHAI)


def freeze(at: dt.datetime | None) -> None:
    """Pin the clock at `at` (None releases it). Only tests and the demo call this."""
    global _frozen
    if at is not None and timezone.is_naive(at):
        at = at.replace(tzinfo=SHANGHAI)
    _frozen = at


def iso_week(at: dt.datetime) -> str:
    """The ISO week of a moment in China's time zone: '2026-W48'."""
    year, week, _ = at.astimezone(SHANGHAI).isocalendar()
    return f"{year}-W{week:02d}"
