"""Demand signals (供给侧): what residents search for and do not find.

Operators see, per compound, searches with no or few results grouped by the
business type they asked for, next to the coverage gaps; a merchant sees what
residents of compounds near the shop search for in its type. Both read the
recent detail (`SearchLog`) and the aged-out daily counts
(`SearchDailyCount`) together, and show counts only: never who searched.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Sum

from quarter.core import clock
from quarter.core.geo import haversine_m
from quarter.places.models import Compound, SearchDailyCount, SearchLog

FEW_RESULTS = 2  # a search with at most this many hits found "too few"
DEFAULT_DAYS = 21


@dataclass
class DemandRow:
    compound: str
    query: str
    type_name: str
    searches: int
    zero: int
    few: int

    def sentence(self, days: int) -> str:
        weeks = max(1, round(days / 7))
        if self.zero:
            return (
                f"{self.compound} {weeks} 周内 {self.zero} 次搜索「{self.query}」无结果"
            )
        return f"{self.compound} {weeks} 周内 {self.few} 次搜索「{self.query}」结果很少"


def _counts(compound_ids, since: dt.datetime):
    """{(compound_id, query): [searches, zero, few]} from detail and daily counts."""
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in SearchLog.objects.filter(
        compound_id__in=compound_ids, created_at__gte=since
    ).values("compound_id", "query", "result_count"):
        c = out[(row["compound_id"], row["query"])]
        c[0] += 1
        c[1] += row["result_count"] == 0
        c[2] += 0 < row["result_count"] <= FEW_RESULTS
    for row in (
        SearchDailyCount.objects.filter(
            compound_id__in=compound_ids,
            day__gte=since.astimezone(clock.SHANGHAI).date(),
        )
        .values("compound_id", "query")
        .annotate(s=Sum("searches"), z=Sum("zero_results"))
    ):
        c = out[(row["compound_id"], row["query"])]
        c[0] += row["s"]
        c[1] += row["z"]
    return out


def _type_name(query: str) -> tuple[str, str]:
    from quarter.places.intent import understand
    from quarter.places.models import BusinessType

    code = understand(query).best_type
    if not code:
        return "", "其他"
    bt = BusinessType.objects.filter(code=code).only("name_zh").first()
    return code, bt.name_zh if bt else "其他"


def unmet_searches(*, community, days: int = DEFAULT_DAYS) -> list[DemandRow]:
    """Searches with no or few results per compound of `community`, most first."""
    compounds = dict(
        Compound.objects.filter(community=community).values_list("pk", "name")
    )
    since = clock.now() - dt.timedelta(days=days)
    rows = []
    for (compound_id, query), (s, zero, few) in _counts(list(compounds), since).items():
        if not (zero or few):
            continue
        _code, type_name = _type_name(query)
        rows.append(DemandRow(compounds[compound_id], query, type_name, s, zero, few))
    rows.sort(key=lambda r: (-(r.zero + r.few), r.compound, r.query))
    return rows


@dataclass
class ShopDemand:
    query: str
    searches: int
    zero: int


def searches_near_shop(*, merchant, days: int = 30, radius_m: float = 1100):
    """What residents of nearby compounds searched for in the shop's type."""
    compound_ids = [
        c.pk
        for c in Compound.objects.only("pk", "lat", "lng")
        if haversine_m(c.lat, c.lng, merchant.lat, merchant.lng) <= radius_m
    ]
    since = clock.now() - dt.timedelta(days=days)
    by_query: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (_compound, query), (s, zero, _few) in _counts(compound_ids, since).items():
        by_query[query][0] += s
        by_query[query][1] += zero
    code = merchant.main_type.code
    rows = [
        ShopDemand(q, s, z)
        for q, (s, z) in by_query.items()
        if _type_name(q)[0] == code
    ]
    rows.sort(key=lambda r: (-r.searches, r.query))
    return rows


def coverage_gaps(*, community) -> dict[str, list[str]]:
    """Basic types each compound cannot reach within 15 minutes (stored reach)."""
    from quarter.coverage import reach_store
    from quarter.coverage.selectors import get_speed
    from quarter.places.models import BusinessType, Compound, Tier

    limit_m = get_speed("standard") * 15 * 60
    reach = reach_store.distances_of(community)
    if not reach:
        return {}  # never computed: no figures to show, rather than every type
    basic = list(BusinessType.objects.filter(tier=Tier.BASIC).order_by("sort_order"))
    out: dict[str, list[str]] = {}
    for compound in Compound.objects.filter(community=community).order_by("id"):
        for bt in basic:
            metres = reach.get((compound.pk, bt.pk))
            if metres is None or metres > limit_m:
                out.setdefault(compound.name, []).append(bt.name_zh)
    return out
