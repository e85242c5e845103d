"""Reads of problem reports: the public map, density, monthly statistics, counts."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.db.models import QuerySet

from quarter.civic.models import OPEN_STATUSES, Category, Report, Status
from quarter.core import clock
from quarter.core.geo import METERS_PER_DEG_LAT, meters_per_deg_lng


def complaints_about_merchant(merchant, *, start: dt.datetime, end: dt.datetime) -> int:
    """Count reports about `merchant` made in [start, end), rejected ones excluded."""
    return (
        Report.objects.filter(
            merchant=merchant, created_at__gte=start, created_at__lt=end
        )
        .exclude(status=Status.REJECTED)
        .count()
    )


def list_categories(*, community) -> QuerySet[Category]:
    return Category.objects.filter(community=community, active=True).select_related(
        "department"
    )


@dataclass(frozen=True)
class MapFilter:
    category: Category | None = None
    status: str = ""
    overdue: bool = False


def filter_reports(*, community, flt: MapFilter) -> QuerySet[Report]:
    qs = Report.objects.filter(community=community)
    if flt.category is not None:
        qs = qs.filter(category=flt.category)
    if flt.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif flt.status:
        qs = qs.filter(status=flt.status)
    if flt.overdue:
        qs = qs.filter(status__in=OPEN_STATUSES, deadline_at__lt=clock.now())
    return qs


def list_map_reports(*, community, flt: MapFilter, limit: int = 2000) -> list[dict]:
    """Return the public points of the map: no description, photo or reporter."""
    now = clock.now()
    rows = (
        filter_reports(community=community, flt=flt)
        .select_related("category")
        .order_by("-created_at")[:limit]
    )
    return [
        {
            "id": r.pk,
            "lat": r.lat,
            "lng": r.lng,
            "category": r.category.name,
            "status": r.status,
            "status_label": r.get_status_display(),
            "overdue": r.is_overdue(now),
            "created": r.created_at.astimezone(clock.SHANGHAI).strftime(
                "%Y-%m-%d %H:%M"
            ),
        }
        for r in rows
    ]


def density_cells(points: list[dict], *, cell_m: float = 100.0) -> list[dict]:
    """Aggregate points into a square grid of about `cell_m` metres.

    Returns one cell per non-empty square: its bounds and count, and `level`
    from 1 to 5 relative to the fullest cell (for the colour ramp).
    """
    if not points:
        return []
    lat0 = sum(p["lat"] for p in points) / len(points)
    dlat = cell_m / METERS_PER_DEG_LAT
    dlng = cell_m / max(meters_per_deg_lng(lat0), 1e-6)
    counts: dict[tuple[int, int], int] = {}
    for p in points:
        key = (math.floor(p["lat"] / dlat), math.floor(p["lng"] / dlng))
        counts[key] = counts.get(key, 0) + 1
    top = max(counts.values())
    return [
        {
            "south": i * dlat,
            "west": j * dlng,
            "north": (i + 1) * dlat,
            "east": (j + 1) * dlng,
            "count": n,
            "level": max(1, math.ceil(5 * n / top)),
        }
        for (i, j), n in sorted(counts.items())
    ]


@dataclass(frozen=True)
class MonthStats:
    month: str  # "2026-11"
    count: int
    resolved: int
    on_time: int
    avg_handling_minutes: int | None

    @property
    def on_time_rate(self) -> float | None:
        return round(100 * self.on_time / self.resolved, 1) if self.resolved else None

    @property
    def avg_handling(self) -> str:
        """Average time from report to reply: 'HH:MM' under a day, else 'N.N天'."""
        m = self.avg_handling_minutes
        if m is None:
            return "—"
        if m < 24 * 60:
            return f"{m // 60:02d}:{m % 60:02d}"
        return f"{m / 1440:.1f}天"


def monthly_stats(*, community, months: int = 12) -> list[MonthStats]:
    """Return per month (Asia/Shanghai) the count, on-time rate and handling time.

    A report counts in the month it was made; it is on time when it was
    resolved before its deadline. Rejected reports count as made but are not
    handled. One query; months without reports are listed with zeros.
    """
    now = clock.local_now()
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    keys = []
    y, m = first.year, first.month
    for _ in range(months):
        keys.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    keys.reverse()
    start = dt.datetime(int(keys[0][:4]), int(keys[0][5:]), 1, tzinfo=clock.SHANGHAI)
    acc = {k: [0, 0, 0, 0] for k in keys}  # count, resolved, on time, minutes
    rows = Report.objects.filter(
        community=community, created_at__gte=start
    ).values_list("created_at", "resolved_at", "deadline_at")
    for created, resolved, deadline in rows:
        key = created.astimezone(clock.SHANGHAI).strftime("%Y-%m")
        if key not in acc:
            continue
        a = acc[key]
        a[0] += 1
        if resolved is not None:
            a[1] += 1
            a[2] += resolved <= deadline
            a[3] += int((resolved - created).total_seconds() // 60)
    return [
        MonthStats(
            month=k,
            count=a[0],
            resolved=a[1],
            on_time=a[2],
            avg_handling_minutes=(a[3] // a[1]) if a[1] else None,
        )
        for k, a in acc.items()
    ]
