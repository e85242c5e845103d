"""A synthetic year of residents' shop visits, for judging the feed offline.

Independent of the recommender: it imports nothing from `quarter.feed` and
shares no code with it (distances and walking times are computed here, with
their own constants). It takes real shops and compounds (id, business type,
position) and returns visits (resident, shop, moment). The behaviour:

* home location: each resident lives in a compound (chosen in proportion to
  its households), at a random spot up to `home_jitter_m` from its centre;
* household type (`household_mix`): elderly, family or young; it sets the
  category preferences (`preferences`), the visits per week (`visits_per_week`)
  and the walking tolerance (`walking_tolerance_min`: the minutes at which a
  shop's pull has fallen to 1/e; elderly people walk slower, `speed_mps`);
* habit strength (`habit_strength`): the chance that a visit goes to one of
  the resident's `favourites_per_type` shops of that type (chosen once, by
  nearness and each shop's appeal) rather than to any shop (by nearness and
  appeal); shops have a hidden appeal (lognormal, `appeal_sigma`);
* time of day (`hours`): each type has its hours of the day (breakfast in the
  morning, laundry in the evening); a visit first draws an hour, then a type
  in proportion to preference × how much that type is wanted at that hour;
  weekends shift leisure types up (`weekend_boost`).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

EARTH_M_PER_DEG = 111_195.0
DETOUR = 1.3


@dataclass
class Settings:
    seed: int = 7
    days: int = 365
    start: dt.date = dt.date(2025, 12, 1)
    residents_per_1000_households: float = 60
    home_jitter_m: float = 120
    household_mix: dict = field(
        default_factory=lambda: {"elderly": 0.3, "family": 0.35, "young": 0.35}
    )
    visits_per_week: dict = field(
        default_factory=lambda: {"elderly": 5.0, "family": 4.0, "young": 3.0}
    )
    walking_tolerance_min: dict = field(
        default_factory=lambda: {"elderly": 5.0, "family": 8.0, "young": 11.0}
    )
    speed_mps: dict = field(
        default_factory=lambda: {"elderly": 0.8, "family": 1.2, "young": 1.3}
    )
    habit_strength: float = 0.75
    favourites_per_type: int = 2
    appeal_sigma: float = 0.6
    weekend_boost: float = 1.8
    preferences: dict = field(
        default_factory=lambda: {
            "elderly": {
                "breakfast": 5,
                "wet_market": 4,
                "fresh_grocery": 4,
                "pharmacy": 2,
                "clinic": 1.5,
                "hair_beauty": 1,
                "elderly_care": 1.5,
                "repair": 0.5,
                "convenience_store": 1,
                "supermarket": 1,
                "leisure": 1,
            },
            "family": {
                "breakfast": 3,
                "supermarket": 3,
                "fresh_grocery": 3,
                "education": 2,
                "childcare": 2,
                "restaurant": 2,
                "laundry": 1,
                "convenience_store": 2,
                "hair_beauty": 1,
                "pharmacy": 1,
                "parcel_post": 1,
                "photo_print": 0.5,
                "pet_service": 0.5,
            },
            "young": {
                "breakfast": 3,
                "convenience_store": 3,
                "cafe": 2,
                "restaurant": 3,
                "parcel_post": 2,
                "laundry": 1.5,
                "fitness": 1.5,
                "hair_beauty": 1,
                "bookstore": 0.5,
                "leisure": 1,
                "pet_service": 0.5,
            },
        }
    )
    # Hours of the day (start, end, weight) when a type is wanted; others: 9-21.
    hours: dict = field(
        default_factory=lambda: {
            "breakfast": [(6, 9, 1.0)],
            "wet_market": [(6, 10, 1.0)],
            "fresh_grocery": [(7, 10, 0.7), (16, 19, 0.5)],
            "cafe": [(8, 11, 0.6), (14, 17, 0.6)],
            "restaurant": [(11, 13, 0.8), (17, 20, 1.0)],
            "laundry": [(17, 21, 1.0), (9, 11, 0.3)],
            "convenience_store": [(7, 9, 0.4), (18, 23, 0.8)],
            "parcel_post": [(12, 14, 0.5), (17, 21, 0.8)],
            "fitness": [(18, 22, 1.0), (6, 8, 0.4)],
            "education": [(16, 20, 1.0)],
            "childcare": [(7, 9, 0.6), (16, 18, 0.8)],
            "clinic": [(8, 11, 1.0)],
            "pharmacy": [(8, 11, 0.6), (15, 18, 0.5)],
            "leisure": [(14, 21, 1.0)],
        }
    )

    def describe(self) -> list[str]:
        return [
            f"seed={self.seed} days={self.days} start={self.start}",
            f"residents per 1000 households={self.residents_per_1000_households}",
            f"household mix={self.household_mix}",
            f"visits/week={self.visits_per_week}",
            f"walking tolerance (min)={self.walking_tolerance_min}",
            f"walking speed (m/s)={self.speed_mps}",
            f"habit strength={self.habit_strength} "
            f"favourites/type={self.favourites_per_type} "
            f"appeal sigma={self.appeal_sigma} weekend boost={self.weekend_boost}",
            f"home jitter={self.home_jitter_m} m",
        ]


@dataclass
class Person:
    id: int
    compound_id: int
    kind: str
    lat: float
    lng: float


@dataclass
class Visit:
    person: int
    shop: int
    at: dt.datetime


def _metres(lat1, lng1, lat2, lng2) -> float:
    dy = (lat2 - lat1) * EARTH_M_PER_DEG
    dx = (lng2 - lng1) * EARTH_M_PER_DEG * math.cos(math.radians(lat1))
    return math.hypot(dx, dy)


def _hour_weight(windows, hour: int) -> float:
    windows = windows or [(9, 21, 0.6)]
    return sum(w for a, b, w in windows if a <= hour < b) + 0.02


def generate(shops: list[dict], compounds: list[dict], s: Settings):
    """shops: {id, type, lat, lng}; compounds: {id, lat, lng, households}.

    Returns (people, visits) with visits sorted by time.
    """
    rng = random.Random(s.seed)
    appeal = {sh["id"]: rng.lognormvariate(0, s.appeal_sigma) for sh in shops}
    by_type: dict[str, list[dict]] = {}
    for sh in shops:
        by_type.setdefault(sh["type"], []).append(sh)
    people: list[Person] = []
    for c in compounds:
        n = max(3, round(c["households"] * s.residents_per_1000_households / 1000))
        for _ in range(n):
            kind = rng.choices(
                list(s.household_mix), weights=list(s.household_mix.values())
            )[0]
            r = s.home_jitter_m * math.sqrt(rng.random())
            a = rng.random() * 2 * math.pi
            lat = c["lat"] + r * math.sin(a) / EARTH_M_PER_DEG
            lng = c["lng"] + r * math.cos(a) / (
                EARTH_M_PER_DEG * math.cos(math.radians(c["lat"]))
            )
            people.append(Person(len(people), c["id"], kind, lat, lng))
    visits: list[Visit] = []
    for p in people:
        visits += _person_year(p, by_type, appeal, s, rng)
    visits.sort(key=lambda v: (v.at, v.person))
    return people, visits


def _pull(p: Person, shop: dict, appeal, s: Settings) -> float:
    minutes = (
        _metres(p.lat, p.lng, shop["lat"], shop["lng"]) * DETOUR / s.speed_mps[p.kind]
    ) / 60
    return appeal[shop["id"]] * math.exp(-minutes / s.walking_tolerance_min[p.kind])


def _person_year(p: Person, by_type, appeal, s: Settings, rng) -> list[Visit]:
    prefs = {t: w for t, w in s.preferences[p.kind].items() if t in by_type}
    pulls = {
        t: [(sh["id"], _pull(p, sh, appeal, s)) for sh in by_type[t]] for t in prefs
    }
    favourites = {}
    for t, options in pulls.items():
        chosen = []
        pool = list(options)
        for _ in range(min(s.favourites_per_type, len(pool))):
            pick = rng.choices(pool, weights=[w + 1e-12 for _i, w in pool])[0]
            chosen.append(pick[0])
            pool.remove(pick)
        favourites[t] = chosen
    rate = s.visits_per_week[p.kind] / 7 * rng.uniform(0.6, 1.4)
    out = []
    for day in range(s.days):
        date = s.start + dt.timedelta(days=day)
        weekend = date.weekday() >= 5
        for _ in range(_poisson(rate, rng)):
            hour = rng.choices(range(6, 23), weights=[1] * 17)[0]
            types = list(prefs)
            weights = [
                prefs[t]
                * _hour_weight(s.hours.get(t), hour)
                * (s.weekend_boost if weekend and t in ("leisure", "cafe") else 1)
                for t in types
            ]
            t = rng.choices(types, weights=weights)[0]
            if rng.random() < s.habit_strength:
                favs = favourites[t]
                shop = rng.choices(favs, weights=[2**-i for i in range(len(favs))])[0]
            else:
                ids, w = zip(*pulls[t], strict=True)
                shop = rng.choices(ids, weights=[x + 1e-12 for x in w])[0]
            at = dt.datetime(date.year, date.month, date.day, hour, rng.randint(0, 59))
            out.append(Visit(p.id, shop, at))
    return out


def _poisson(lam: float, rng) -> int:
    n, p, limit = 0, 1.0, math.exp(-lam)
    while True:
        p *= rng.random()
        if p <= limit:
            return n
        n += 1
