"""Opening hours: the weekly schedule with date exceptions, and "open now"."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from quarter.core.errors import DomainError
from quarter.places.errors import PlacesErrorCode
from quarter.places.models import OpeningException, OpeningHours

WEEKDAY_NAMES = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
_SPAN_RE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Span:
    weekday: int
    open_minute: int
    close_minute: int


def parse_weekly_text(text: str) -> list[Span]:
    """Parse lines like '1-5 07:00-21:00', '6,7 09:00-18:00', '* 00:00-24:00'.

    Days are 1 (Monday) to 7 (Sunday); '*' is every day. A span past midnight
    (22:00-02:00) is split into the evening and the next morning.
    """
    spans: list[Span] = []
    for lineno, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            days_part, time_part = line.split()
        except ValueError:
            raise _hours_error(lineno, "格式应为“1-5 07:00-21:00”") from None
        days = _parse_days(days_part, lineno)
        match = _SPAN_RE.match(time_part)
        if not match:
            raise _hours_error(lineno, "时间应为“07:00-21:00”")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or start >= 1440 or end > 1440:
            raise _hours_error(lineno, "时间超出范围")
        if start == end:
            raise _hours_error(lineno, "开门与关门时间相同")
        for day in days:
            if end > start:
                spans.append(Span(day, start, end))
            else:
                spans.append(Span(day, start, 1440))
                if end > 0:
                    spans.append(Span((day + 1) % 7, 0, end))
    return spans


def check_spans(spans: list[Span]) -> list[Span]:
    """Refuse spans of one weekday that overlap or end before they start.

    Raises `invalid_hours` naming the day and both spans, e.g.
    '周一 07:00-12:00 与 11:00-14:00 重叠'. Returns the spans sorted.
    """
    ordered = sorted(spans, key=lambda s: (s.weekday, s.open_minute))
    for span in ordered:
        if not 0 <= span.open_minute < span.close_minute <= 1440:
            raise DomainError(
                PlacesErrorCode.INVALID_HOURS,
                f"{WEEKDAY_NAMES[span.weekday]} 关门时间应晚于开门时间",
                field="hours",
            )
    for prev, span in zip(ordered, ordered[1:], strict=False):
        if span.weekday == prev.weekday and span.open_minute < prev.close_minute:
            raise DomainError(
                PlacesErrorCode.INVALID_HOURS,
                f"{WEEKDAY_NAMES[span.weekday]} "
                f"{_hhmm(prev.open_minute)}-{_hhmm(prev.close_minute)} 与 "
                f"{_hhmm(span.open_minute)}-{_hhmm(span.close_minute)} 重叠",
                field="hours",
            )
    return ordered


def _parse_days(part: str, lineno: int) -> list[int]:
    if part == "*":
        return list(range(7))
    days: set[int] = set()
    for piece in part.split(","):
        bounds = piece.split("-")
        if not all(b.isdigit() and 1 <= int(b) <= 7 for b in bounds) or len(bounds) > 2:
            raise _hours_error(lineno, "星期应为1到7")
        first, last = int(bounds[0]), int(bounds[-1])
        if last < first:
            raise _hours_error(lineno, "星期范围应从小到大")
        days.update(d - 1 for d in range(first, last + 1))
    return sorted(days)


def _hours_error(lineno: int, reason: str) -> DomainError:
    return DomainError(
        PlacesErrorCode.INVALID_HOURS, f"营业时间第{lineno}行:{reason}", field="hours"
    )


def weekly_text(hours: list[OpeningHours]) -> str:
    """Render stored spans back into the editable text form,
    days with equal spans joined.

    [Mon-Sun 08:00-20:00] becomes '1-7 08:00-20:00'; the text parses back to the
    same spans (an overnight span stays as its two stored halves).
    """
    days_by_span: dict[tuple[int, int], list[int]] = {}
    for h in hours:
        days_by_span.setdefault((h.open_minute, h.close_minute), []).append(
            h.weekday + 1
        )
    lines = []
    for (start, end), days in sorted(
        days_by_span.items(), key=lambda kv: (kv[1][0], kv[0])
    ):
        lines.append(f"{_day_ranges(sorted(set(days)))} {_hhmm(start)}-{_hhmm(end)}")
    return "\n".join(lines)


def _day_ranges(days: list[int]) -> str:
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def open_now_q(at: dt.datetime) -> Q:
    """A queryset filter for merchants open at the local time `at`."""
    minute = at.hour * 60 + at.minute
    weekly = OpeningHours.objects.filter(
        merchant=OuterRef("pk"),
        weekday=at.weekday(),
        open_minute__lte=minute,
        close_minute__gt=minute,
    )
    exception_today = OpeningException.objects.filter(
        merchant=OuterRef("pk"), date=at.date()
    )
    special_open = exception_today.filter(
        closed=False, open_minute__lte=minute, close_minute__gt=minute
    )
    return (~Exists(exception_today) & Exists(weekly)) | Exists(special_open)


def is_open_at(merchant, at: dt.datetime) -> bool:
    """Say whether one merchant is open at local time `at`
    (prefetched rows are used)."""
    minute = at.hour * 60 + at.minute
    exceptions = [e for e in merchant.exceptions.all() if e.date == at.date()]
    if exceptions:
        return any(
            not e.closed and e.open_minute <= minute < e.close_minute
            for e in exceptions
        )
    return any(
        h.weekday == at.weekday() and h.open_minute <= minute < h.close_minute
        for h in merchant.hours.all()
    )


def hours_by_day(merchant) -> list[tuple[str, list[str]]]:
    """Group the weekly spans for display: [('周一', ['07:00-21:00']), ...]."""
    table: list[tuple[str, list[str]]] = [(name, []) for name in WEEKDAY_NAMES]
    for h in merchant.hours.all():
        table[h.weekday][1].append(f"{_hhmm(h.open_minute)}-{_hhmm(h.close_minute)}")
    return table
