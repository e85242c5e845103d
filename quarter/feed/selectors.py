"""Read the feed for one resident: their own counters plus cached shop facts.

`get_feed(actor=...)` is the only entry: it answers for the signed-in resident
themself, never for someone else (there is no resident argument). Shop facts
per compound (candidates within reach, compound counts, offers, new shops, the
item-item neighbours and the time-of-day profile of each type) are cached in
the process for CACHE_SECONDS; the resident's own rows are read on every call
(a handful of indexed queries), and the final picks are checked against the
database once more, so a shop closed a second ago never shows.
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
import time
from dataclasses import dataclass

from django.db.models import Q

from quarter.core import clock
from quarter.core.geo import bbox_around, haversine_m
from quarter.coverage.walking import walks_from
from quarter.feed import ranking
from quarter.feed.models import (
    CompoundMerchantCount,
    ItemNeighbour,
    MerchantAffinity,
    SearchInterest,
    TypeSlotCount,
    slot_of,
)
from quarter.places.models import Admission, Merchant, MerchantEvent, MerchantStatus

CACHE_SECONDS = 60
REACH_MINUTES = 20  # candidates: shops within this walk of home
NEW_DAYS = 30  # a shop admitted this recently is "new"
BULK_ADMISSIONS = 10  # ... one by one, not in a batch (see _new_shops)
_cache: dict[tuple, tuple[float, object]] = {}
_lock = threading.Lock()


@dataclass
class FeedItem:
    merchant_id: int
    name: str
    type_name: str
    minutes: int
    reason: str
    offer: str
    new: bool


def clear_cache() -> None:
    """Forget the cached shop facts (tests; the demo after loading)."""
    with _lock:
        _cache.clear()


def _cached(key: tuple, build):
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = build()
    with _lock:
        _cache[key] = (now, value)
    return value


def open_merchants() -> Q:
    """Shops the feed may show: admitted, not removed, open for business."""
    return Q(admission=Admission.APPROVED, status=MerchantStatus.OPEN)


def get_feed(*, actor, limit: int = 10) -> list[FeedItem]:
    """The signed-in resident's own feed, best first; empty for anyone else
    or for a resident with no home compound yet."""
    resident = getattr(actor, "resident", None) if actor.is_authenticated else None
    if resident is None:
        return []
    household = resident.household
    compound = household.compound if household is not None else None
    if compound is None:
        return []
    now = clock.now()
    slot = slot_of(now.astimezone(clock.SHANGHAI).hour)
    shops = _shops_near(compound)
    profile = _profile(resident, household, now)
    offers = _voucher_shops(resident, now)
    for shop in shops:
        if shop.id in offers and not shop.offer:
            shop.offer = "可用消费券"
    picks = ranking.rank(
        shops,
        profile,
        slot=slot,
        type_slots=_cached(("type_slots",), _type_slots),
        neighbours=_cached(("neighbours",), _neighbours),
        limit=limit,
    )
    still_open = set(
        Merchant.objects.filter(open_merchants())
        .filter(pk__in=[p.shop.id for p in picks])
        .values_list("pk", flat=True)
    )
    return [
        FeedItem(
            merchant_id=p.shop.id,
            name=p.shop.name,
            type_name=p.shop.type_name,
            minutes=p.shop.minutes,
            reason=p.reason,
            offer=p.shop.offer if p.shop.offer not in p.reason else "",
            new=p.shop.new,
        )
        for p in picks
        if p.shop.id in still_open
    ]


def _shops_near(compound) -> list[ranking.Shop]:
    """Fresh copies of the compound's candidate shops (the cache holds the facts)."""
    facts = _cached(("shops", compound.pk), lambda: _build_shops(compound))
    return [ranking.Shop(**vars(s)) for s in facts]


def reach_radius_m() -> float:
    from quarter.coverage.engine import speed_profiles
    from quarter.places.everyday import WALK_DETOUR

    return speed_profiles()["standard"] * REACH_MINUTES * 60 / WALK_DETOUR


def _build_shops(compound) -> list[ranking.Shop]:
    radius = reach_radius_m()
    min_lat, max_lat, min_lng, max_lng = bbox_around(compound.lat, compound.lng, radius)
    rows = (
        Merchant.objects.filter(open_merchants())
        .filter(lat__range=(min_lat, max_lat), lng__range=(min_lng, max_lng))
        .values("pk", "name", "lat", "lng", "main_type__code", "main_type__name_zh")
    )
    counts = {
        c["merchant_id"]: c
        for c in CompoundMerchantCount.objects.filter(compound=compound).values(
            "merchant_id", "visits", "visitors"
        )
    }
    since = clock.now() - dt.timedelta(days=NEW_DAYS)
    rows = [
        r
        for r in rows
        if haversine_m(compound.lat, compound.lng, r["lat"], r["lng"]) <= radius
    ]
    # Walking minutes on the streets where the community has a network.
    walks = walks_from(compound, {r["pk"]: (r["lat"], r["lng"]) for r in rows})
    shops = []
    for r in rows:
        walk = walks[r["pk"]]
        c = counts.get(r["pk"], {})
        shops.append(
            ranking.Shop(
                id=r["pk"],
                name=r["name"],
                type_code=r["main_type__code"],
                type_name=r["main_type__name_zh"],
                lat=r["lat"],
                lng=r["lng"],
                minutes=walk.adult_minutes,
                estimated=walk.estimated,
                compound_visits=max(0, c.get("visits", 0)),
                compound_visitors=max(0, c.get("visitors", 0)),
            )
        )
    ids = [s.id for s in shops]
    new_ids = _new_shops(ids, since)
    promotions = _promotions(ids)
    for shop in shops:
        shop.new = shop.id in new_ids
        shop.offer = promotions.get(shop.id, "")
    return shops


def _new_shops(ids: list[int], since) -> set[int]:
    """Shops admitted one by one since `since`, or announced as new on the board.

    Admissions in bulk (more than BULK_ADMISSIONS in a community within a day
    of each other, as when a map is first set up or imported) are the map
    itself, not new shops.
    """
    from quarter.board.models import NoticeKind
    from quarter.board.selectors import visible_notices

    approved = MerchantEvent.objects.filter(kind=MerchantEvent.Kind.APPROVED)
    recent = list(
        approved.filter(merchant_id__in=ids, created_at__gte=since).values_list(
            "merchant_id", "merchant__community_id", "created_at"
        )
    )
    times: dict[int, list] = {}
    for c, at in approved.filter(
        merchant__community_id__in={r[1] for r in recent},
        created_at__gte=since - dt.timedelta(days=1),
    ).values_list("merchant__community_id", "created_at"):
        times.setdefault(c, []).append(at)
    for values in times.values():
        values.sort()
    day = dt.timedelta(days=1)
    out = set()
    for m, c, at in recent:
        near = bisect.bisect_right(times[c], at + day) - bisect.bisect_left(
            times[c], at - day
        )
        if near <= BULK_ADMISSIONS:
            out.add(m)
    out |= set(
        visible_notices(kind=NoticeKind.NEW_SHOP)
        .filter(merchant_id__in=ids, publish_at__gte=since)
        .values_list("merchant_id", flat=True)
    )
    return out


def _promotions(ids: list[int]) -> dict[int, str]:
    from quarter.board.models import NoticeKind
    from quarter.board.selectors import visible_notices

    out: dict[int, str] = {}
    for notice in visible_notices(kind=NoticeKind.PROMOTION).filter(
        merchant_id__in=ids
    ):
        out.setdefault(notice.merchant_id, notice.title[:24])
    return out


def _type_slots() -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for row in TypeSlotCount.objects.values("business_type__code", "slot", "visits"):
        counts = out.setdefault(
            row["business_type__code"], [0] * len(ranking.SLOT_LABELS)
        )
        counts[row["slot"]] = max(0, row["visits"])
    return out


def _neighbours() -> dict[int, list[tuple[int, float]]]:
    out: dict[int, list[tuple[int, float]]] = {}
    for m, n, s in ItemNeighbour.objects.values_list(
        "merchant_id", "neighbour_id", "score"
    ):
        out.setdefault(m, []).append((n, s))
    return out


def _profile(resident, household, now) -> ranking.Profile:
    habits = {}
    for a in MerchantAffinity.objects.filter(resident=resident, visits__gt=0).values(
        "merchant_id",
        "visits",
        "slot_visits",
        "last_at",
        "merchant__name",
        "merchant__lat",
        "merchant__lng",
        "merchant__main_type__code",
        "merchant__main_type__name_zh",
    ):
        habits[a["merchant_id"]] = ranking.Habit(
            merchant_id=a["merchant_id"],
            name=a["merchant__name"],
            type_code=a["merchant__main_type__code"],
            type_name=a["merchant__main_type__name_zh"],
            lat=a["merchant__lat"],
            lng=a["merchant__lng"],
            visits=a["visits"],
            slot_visits=list(a["slot_visits"]),
            days_since=max(0.0, (now - a["last_at"]).total_seconds() / 86400),
        )
    searched = dict(
        SearchInterest.objects.filter(resident=resident)
        .order_by("last_at")
        .values_list("business_type__code", "query")
    )
    return ranking.Profile(
        habits=habits, searched=searched, household=household_kind(household, now)
    )


def household_kind(household, now) -> str:
    """The household profile for cold start: from the birth years on file."""
    from quarter.people.models import Resident

    years = [
        y
        for y in Resident.objects.filter(household=household).values_list(
            "birth_year", flat=True
        )
        if y
    ]
    if not years:
        return ""
    ages = [now.year - y for y in years]
    if any(a < 14 for a in ages):
        return "family"
    if min(ages) >= 60:
        return "elderly"
    return "adult"


def _voucher_shops(resident, now) -> set[int]:
    """Shops where one of the resident's own unused vouchers can be spent now."""
    from quarter.vouchers.models import MerchantPledge, Voucher

    vouchers = list(
        Voucher.objects.filter(
            resident=resident,
            status=Voucher.Status.UNUSED,
            valid_from__lte=now,
            valid_until__gt=now,
        ).values("round__campaign_id", "business_type_id")
    )
    if not vouchers:
        return set()
    out: set[int] = set()
    pledges = MerchantPledge.objects.filter(
        campaign_id__in={v["round__campaign_id"] for v in vouchers}
    ).values("campaign_id", "merchant_id", "merchant__main_type_id")
    for p in pledges:
        for v in vouchers:
            if v["round__campaign_id"] != p["campaign_id"]:
                continue
            if v["business_type_id"] in (None, p["merchant__main_type_id"]):
                out.add(p["merchant_id"])
    return out
