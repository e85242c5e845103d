"""Rank shops for one resident: pure Python over counters, no database.

The page (`selectors.get_feed`) and the offline evaluation (`bench/feed.py`)
both call `rank()` with the same inputs, so what the bench measures is what
residents see. Score of a candidate shop, at a moment of the day:

    score = nearness × time_fit × (own + similar + type + search + compound
                                   + household prior + a small constant)

* nearness  = exp(−walking minutes / 10), walking minutes from the home compound;
* time_fit  = how much more this type is used in the current part of the day
              than on average (learned from every visit: breakfast in the
              morning), and for the resident's own shops their own hours;
* own       = the resident's visits to the shop, fading after ~4 months;
* similar   = item-item similarity to the resident's own shops (`itemsim.py`);
* type      = the share of the resident's visits in this business type;
* search    = the resident searched for this type;
* compound  = how much the resident's compound uses the shop (cold start);
* household prior = what households like theirs tend to need (cold start).

Then diversity (at most MAX_PER_TYPE of one business type) and one freshness
slot for a shop that joined lately. Every pick carries one reason, built only
from the resident's own history, the shop itself, or counts that several
different residents stand behind (MIN_NEIGHBOURS): never a neighbour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quarter.coverage.walking import walk_phrase

MAX_PER_TYPE = 2
FRESH_POSITION = 3  # the freshness slot: 4th place
MIN_NEIGHBOURS = 3  # distinct residents behind a "邻居常去" or similarity reason
NEAR_HABIT_M = 400  # "你常去的…附近新开了" within this straight-line distance
SLOT_LABELS = (
    gettext_lazy("早上"),
    gettext_lazy("中午"),
    gettext_lazy("下午"),
    gettext_lazy("晚上"),
)

# Cold start: what households of a kind tend to need (a weak, editorial prior;
# the compound's own counts soon outweigh it).
HOUSEHOLD_PRIOR = {
    "elderly": {
        "breakfast": 1.0,
        "pharmacy": 1.0,
        "clinic": 0.8,
        "wet_market": 0.9,
        "fresh_grocery": 0.9,
        "elderly_care": 0.8,
        "hair_beauty": 0.5,
        "repair": 0.5,
    },
    "family": {
        "supermarket": 1.0,
        "fresh_grocery": 0.9,
        "childcare": 0.9,
        "education": 0.9,
        "breakfast": 0.8,
        "restaurant": 0.6,
        "laundry": 0.5,
    },
    "adult": {
        "breakfast": 1.0,
        "convenience_store": 0.9,
        "parcel_post": 0.8,
        "laundry": 0.7,
        "cafe": 0.7,
        "restaurant": 0.7,
        "fitness": 0.5,
        "hair_beauty": 0.5,
    },
}


@dataclass
class Shop:
    """A candidate shop near the resident's home."""

    id: int
    name: str
    type_code: str
    type_name: str
    lat: float
    lng: float
    minutes: int
    new: bool = False
    offer: str = ""  # a live offer in words ("可用消费券", a promotion title)
    estimated: bool = True  # minutes from the straight line, not the streets
    compound_visits: int = 0
    compound_visitors: int = 0


@dataclass
class Habit:
    """One of the resident's own shops, from their own visits."""

    merchant_id: int
    name: str
    type_code: str
    type_name: str
    lat: float
    lng: float
    visits: int
    slot_visits: list[int]
    days_since: float


@dataclass
class Profile:
    """What the feed knows of one resident: only their own data."""

    habits: dict[int, Habit] = field(default_factory=dict)
    searched: dict[str, str] = field(default_factory=dict)  # type code → query
    household: str = ""  # "elderly", "family", "adult" or "" when unknown


@dataclass
class Pick:
    shop: Shop
    score: float
    reason: str


@dataclass
class _Parts:
    own: float = 0.0
    similar: float = 0.0
    similar_to: Habit | None = None
    type_share: float = 0.0
    search: float = 0.0
    compound: float = 0.0
    prior: float = 0.0
    time_fit: float = 1.0


def rank(
    shops: list[Shop],
    profile: Profile,
    *,
    slot: int,
    type_slots: dict[str, list[int]],
    neighbours: dict[int, list[tuple[int, float]]],
    limit: int = 10,
) -> list[Pick]:
    """Return up to `limit` picks, best first, each with its reason."""
    type_visits: dict[str, int] = {}
    for h in profile.habits.values():
        type_visits[h.type_code] = type_visits.get(h.type_code, 0) + h.visits
    total = sum(type_visits.values())
    similar = _similar_scores(profile, neighbours)
    top_compound = max((s.compound_visits for s in shops), default=0)
    prior = HOUSEHOLD_PRIOR.get(profile.household, {})
    scored = []
    for shop in shops:
        parts = _Parts()
        habit = profile.habits.get(shop.id)
        if habit is not None:
            parts.own = math.log1p(habit.visits) * math.exp(-habit.days_since / 120)
        parts.similar, parts.similar_to = similar.get(shop.id, (0.0, None))
        if total:
            parts.type_share = type_visits.get(shop.type_code, 0) / total
        parts.search = 1.0 if shop.type_code in profile.searched else 0.0
        if top_compound:
            parts.compound = math.log1p(shop.compound_visits) / math.log1p(top_compound)
        parts.prior = prior.get(shop.type_code, 0.0)
        parts.time_fit = _time_fit(type_slots.get(shop.type_code), slot)
        if habit is not None and habit.visits >= 3:
            parts.time_fit = _time_fit(habit.slot_visits, slot)
        base = (
            3.0 * parts.own
            + 1.5 * parts.similar
            + 1.2 * parts.type_share
            + 0.6 * parts.search
            + 0.5 * parts.compound
            + 0.2 * parts.prior
            + 0.05
        )
        score = math.exp(-shop.minutes / 10) * parts.time_fit * base
        scored.append((score, shop, parts))
    scored.sort(key=lambda row: (-row[0], row[1].minutes, row[1].id))
    picks = _diverse(scored, limit)
    picks = _with_fresh_slot(picks, scored, limit)
    return [
        Pick(shop=shop, score=score, reason=_reason(shop, parts, profile, slot))
        for score, shop, parts in picks
    ]


def _similar_scores(profile, neighbours) -> dict[int, tuple[float, Habit | None]]:
    """Sum of similarities to the resident's shops, and the shop that gave most."""
    sums: dict[int, float] = {}
    best: dict[int, tuple[float, Habit]] = {}
    for habit in profile.habits.values():
        weight = math.log1p(habit.visits)
        for other, sim in neighbours.get(habit.merchant_id, ()):
            gain = sim * weight
            sums[other] = sums.get(other, 0.0) + gain
            if other not in best or gain > best[other][0]:
                best[other] = (gain, habit)
    return {other: (total, best[other][1]) for other, total in sums.items()}


def _time_fit(counts: list[int] | None, slot: int) -> float:
    """How much more a type (or a shop) is used in `slot` than on average."""
    if not counts:
        return 1.0
    n = len(counts)
    share = (counts[slot] + 1) / (sum(counts) + n)
    return min(3.0, max(0.25, share * n))


def _diverse(scored, limit: int):
    per_type: dict[str, int] = {}
    picks = []
    for row in scored:
        code = row[1].type_code
        if per_type.get(code, 0) >= MAX_PER_TYPE:
            continue
        per_type[code] = per_type.get(code, 0) + 1
        picks.append(row)
        if len(picks) == limit:
            break
    return picks


def _with_fresh_slot(picks, scored, limit: int):
    """Make sure one new shop is shown (at FRESH_POSITION) if there is one."""
    if any(shop.new for _s, shop, _p in picks):
        return picks
    fresh = next((row for row in scored if row[1].new), None)
    if fresh is None:
        return picks
    picks = picks[: limit - 1] if len(picks) >= limit else picks
    picks.insert(min(FRESH_POSITION, len(picks)), fresh)
    return picks


def _reason(shop: Shop, parts: _Parts, profile: Profile, slot: int) -> str:
    walk = walk_phrase(shop.minutes, estimated=shop.estimated)

    def and_walk(why: str) -> str:
        return _("%(why)s · %(walk)s") % {"why": why, "walk": walk}

    slot_name = SLOT_LABELS[slot]
    habit = profile.habits.get(shop.id)
    if habit is not None and habit.visits >= 2:
        if parts.time_fit >= 1.5:
            return and_walk(_("你%(slot)s常来") % {"slot": slot_name})
        return and_walk(_("你常去"))
    if shop.new:
        near = _nearby_habit(shop, profile)
        if near is not None:
            return _("你常去的%(near)s附近新开了这家%(type)s") % {
                "near": near.name,
                "type": shop.type_name,
            }
        return and_walk(_("新开业"))
    if shop.offer:
        return and_walk(shop.offer)
    if parts.search:
        words = profile.searched[shop.type_code]
        return and_walk(_("你搜过「%(words)s」") % {"words": words})
    if parts.similar_to is not None and parts.similar >= 0.2:
        return and_walk(_("常去%(shop)s的居民也常来") % {"shop": parts.similar_to.name})
    if shop.compound_visitors >= MIN_NEIGHBOURS:
        return and_walk(_("同小区邻居常去"))
    if parts.time_fit >= 1.5:
        return and_walk(_("%(slot)s好去处") % {"slot": slot_name})
    return walk


def _nearby_habit(shop: Shop, profile: Profile) -> Habit | None:
    from quarter.core.geo import haversine_m

    best = None
    for habit in profile.habits.values():
        if habit.visits < 2:
            continue
        d = haversine_m(shop.lat, shop.lng, habit.lat, habit.lng)
        if d <= NEAR_HABIT_M and (best is None or d < best[0]):
            best = (d, habit)
    return best[1] if best else None
