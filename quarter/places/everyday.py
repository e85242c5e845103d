"""Everyday search: what residents type, ranked by relevance and walking time.

`find_merchants` answers the resident's search page. It reads the query's
intent (`intent.understand`), gathers candidates from three sources and ranks
them with one documented score:

    relevance = 3.0  if the whole query is in the shop's name
              | 2.0  if the whole query is elsewhere in its text
                       (type, services, introduction, brand, address)
              + 2.0 × weight of the shop's type in the intent (0..1)
              + 1.0 × share of the query's words found in its text
    rank      = relevance − 0.1 × walking minutes (when we know where the
                resident lives), ties by distance then id.

So a shop of the asked-for type beats one that merely mentions a word, and
among equally relevant shops the nearer wins; a shop ten minutes further
gives up one point, as much as a type's full word share.

Walking minutes are first estimated from the straight line (× 1.3 for the
streets' detours, at the coverage app's adult and elderly speeds). When the
resident's compound is known, the page's candidates are then measured on the
street network (`coverage.walking`) and re-ranked with the real walk; a shop
the network does not reach keeps its estimate, shown as 约.
By default the search is scoped to the resident's 15-minute area (straight
line 15 min × speed / 1.3); `scope="all"` looks further, reading rings of
2.5, 8 and 25 km outward until no shop beyond the ring could still enter the
page (its rank would be at most 6 − its minutes' cost), then everywhere.
With no result in scope the answer names the type we think was meant and
the nearest such shops anywhere, with their distance, so a search is never a
dead end.
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass, field

from django.db import connection

from quarter.core.errors import DomainError
from quarter.core.geo import METERS_PER_DEG_LAT, bbox_around, haversine_m
from quarter.places import search, selectors
from quarter.places.errors import PlacesErrorCode
from quarter.places.intent import Intent, understand
from quarter.places.models import BusinessType, Merchant, Tier

WALK_DETOUR = 1.3
SCOPE_MINUTES = 15
MINUTE_COST = 0.1
NAME_QUERY, TEXT_QUERY, TYPE_MATCH, WORDS = 3.0, 2.0, 2.0, 1.0
MAX_WORDS = 6
SUGGESTED = 3
SCOPES = ("near", "all")


@dataclass
class Hit:
    merchant: Merchant
    distance_m: float | None  # straight line
    walk_minutes: int | None  # adult speed
    elderly_minutes: int | None
    score: float
    walk_estimated: bool = True  # False: measured on the street network


@dataclass
class EverydayResult:
    total: int
    hits: list[Hit] = field(default_factory=list)
    intent: Intent = field(default_factory=Intent)
    scope: str = "all"
    scope_minutes: int = SCOPE_MINUTES
    suggested_type: BusinessType | None = None
    suggestions: list[Hit] = field(default_factory=list)  # nearest, any distance
    within_m: float | None = None  # scope "all": shops beyond this were not read
    radius_m: float | None = None  # scope "near" with a radius of the resident's

    @property
    def within_km(self) -> str:
        return f"{self.within_m / 1000:g}" if self.within_m else ""


def validate_query(query: str) -> str:
    """Return the query stripped; raise `query_too_long` or `query_invalid`."""
    query = (query or "").strip()
    if len(query) > search.MAX_QUERY_CHARS:
        raise DomainError(
            PlacesErrorCode.QUERY_TOO_LONG,
            f"搜索词不能超过{search.MAX_QUERY_CHARS}个字",
            field="q",
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in query):
        raise DomainError(
            PlacesErrorCode.QUERY_INVALID,
            "搜索词里有无法识别的控制字符,请重新输入",
            field="q",
        )
    return query


def walking_minutes(distance_m: float | None) -> tuple[int | None, int | None]:
    """Estimate (adult, elderly) walking minutes from a straight-line distance."""
    if distance_m is None:
        return None, None
    from quarter.coverage.walking import Walk

    walk = Walk.of(distance_m * WALK_DETOUR, estimated=True)
    return walk.adult_minutes, walk.elderly_minutes


def scope_radius_m() -> float:
    """Straight-line radius of the 15-minute area at the adult speed."""
    from quarter.coverage.engine import speed_profiles

    return speed_profiles()["standard"] * SCOPE_MINUTES * 60 / WALK_DETOUR


def find_merchants(
    *,
    query: str,
    origin: tuple[float, float] | None = None,
    compound=None,
    scope: str = "near",
    radius_m: float | None = None,
    type_code: str | None = None,
    tier: str | None = None,
    community_id: int | None = None,
    open_now: bool = False,
    sort: str = "relevance",
    limit: int = 20,
    offset: int = 0,
) -> EverydayResult:
    """Find shops for an everyday query, nearest and most relevant first.

    Raises `query_too_long`, `query_invalid`, `unknown_business_type`,
    `invalid_scope`. Without an origin the scope is everywhere. `compound`
    (the resident's home, usually also the origin) gives walking minutes on
    the streets. `radius_m` replaces the 15-minute radius of the "near" scope;
    `sort="distance"` orders by walking distance alone. Reads only.
    """
    query = validate_query(query)
    _check_filters(type_code=type_code, tier=tier, scope=scope)
    if origin is None:
        scope = "all"
    limit = max(1, min(int(limit), 100))
    offset = max(0, int(offset))
    wanted = limit + offset
    intent = understand(query) if query else Intent()
    matches = _text_matches(query, intent)
    if scope == "near":
        rings = (radius_m or scope_radius_m(),)
    else:
        rings = _WIDER_RINGS_M if origin is not None else (None,)
    for radius in rings:
        ranked = _ranked(
            query,
            intent,
            matches,
            origin=origin,
            radius=radius,
            filters=(type_code, tier, open_now, community_id),
        )
        if scope == "near" or radius is None or _settled(ranked, wanted, radius):
            break
    if sort == "distance" and origin is not None:
        ranked.sort(key=lambda r: (r["d"], r["pk"]))
    walks = _walk_window(ranked, compound, wanted, by_distance=sort == "distance")
    result = EverydayResult(
        total=len(ranked),
        hits=_hits(
            ranked[offset:wanted], with_distance=origin is not None, walks=walks
        ),
        intent=intent,
        scope=scope,
        within_m=radius if scope == "all" else None,
        radius_m=radius_m if scope == "near" and origin is not None else None,
    )
    if not ranked and intent.best_type:
        result.suggested_type = BusinessType.objects.get(code=intent.best_type)
        result.suggestions = _nearest_of_type(
            intent.best_type, origin=origin, compound=compound
        )
    return result


WALK_WINDOW = 20  # candidates beyond the page re-ranked with their real walk


def _walk_window(ranked: list[dict], compound, wanted: int, *, by_distance: bool):
    """Measure the page's candidates on the streets from `compound`, re-rank them.

    The straight-line estimate decided which shops are candidates; the first
    `wanted + WALK_WINDOW` of them are measured and re-sorted in place, so a
    shop across a river or behind a wall drops down the page. Returns the walks.
    """
    if compound is None or not ranked:
        return {}
    from quarter.coverage.walking import walks_from

    window = ranked[: wanted + WALK_WINDOW]
    positions = _positions([r["pk"] for r in window])
    walks = walks_from(compound, {pk: (lat, lng) for pk, lat, lng in positions})
    for row in window:
        walk = walks.get(row["pk"])
        if walk is None or walk.estimated:
            continue
        if "rank" in row:
            row["rank"] = row["relevance"] - MINUTE_COST * walk.metres / _speed() / 60
        row["walk_m"] = walk.metres
    if by_distance:
        key = lambda r: (r.get("walk_m", r["d"] * WALK_DETOUR), r["pk"])  # noqa: E731
    else:
        key = lambda r: (-r.get("rank", 0.0), r["d"], r["pk"])  # noqa: E731
    ranked[: len(window)] = sorted(window, key=key)
    return walks


def _speed() -> float:
    from quarter.coverage.engine import speed_profiles

    return speed_profiles()["standard"]


def _check_filters(*, type_code, tier, scope) -> None:
    if type_code and not BusinessType.objects.filter(code=type_code).exists():
        raise DomainError(
            PlacesErrorCode.UNKNOWN_BUSINESS_TYPE, "没有这个业态", field="type"
        )
    if tier and tier not in Tier.values:
        raise DomainError(
            PlacesErrorCode.UNKNOWN_BUSINESS_TYPE, "没有这个类别", field="tier"
        )
    if scope not in SCOPES:
        raise DomainError(
            PlacesErrorCode.INVALID_SCOPE, "范围只能是附近或全部", field="scope"
        )


# Rings read outward for scope "all": a shop beyond a ring has a rank of at
# most MAX_RELEVANCE minus its walking minutes' cost, so once the page is full
# of shops ranked above that, nothing further can enter it.
_WIDER_RINGS_M = (2500, 8000, 25000, None)
MAX_RELEVANCE = NAME_QUERY + TYPE_MATCH + WORDS


def _minutes(distance_m: float, speed: float) -> float:
    return distance_m * WALK_DETOUR / speed / 60


def _settled(ranked: list[dict], limit: int, radius: float) -> bool:
    from quarter.coverage.engine import speed_profiles

    if len(ranked) < limit:
        return False
    beyond = MAX_RELEVANCE - MINUTE_COST * _minutes(
        radius, speed_profiles()["standard"]
    )
    return ranked[limit - 1]["rank"] >= beyond


@dataclass
class _Matches:
    whole: set[int]
    in_name: set[int]
    word_ids: list[set[int]]
    text_ids: set[int]


def _text_matches(query: str, intent: Intent) -> _Matches:
    """Find the shops whose text holds the whole query or one of its words."""
    phrases = search.query_phrases(query)
    whole = _all_phrases_ids(phrases) if phrases else set()
    in_name = _name_ids(phrases[0]) & whole if phrases else set()
    words = [w for w in intent.words if search.tokenize(w)][:MAX_WORDS]
    word_ids = [_phrase_ids(" ".join(search.tokenize(w))) for w in words]
    return _Matches(whole, in_name, word_ids, whole.union(*word_ids))


def _ranked(query, intent, matches: _Matches, *, origin, radius, filters):
    """Score the matching shops inside the radius; return them best first."""
    from quarter.coverage.engine import speed_profiles

    type_code, tier, open_now, community_id = filters
    speed = speed_profiles()["standard"]
    if query:
        rows = _rows(matches.text_ids, origin=origin, radius=radius, types=intent.types)
    else:
        rows = _rows(None, origin=origin, radius=radius)
    scored = {}
    for pk, row in rows.items():
        if (
            (type_code and row["type_code"] != type_code)
            or (tier and row["tier"] != tier)
            or (community_id and row["community"] != community_id)
        ):
            continue
        relevance = 0.0
        if pk in matches.in_name:
            relevance += NAME_QUERY
        elif pk in matches.whole:
            relevance += TEXT_QUERY
        relevance += TYPE_MATCH * intent.types.get(row["type_code"], 0.0)
        if matches.word_ids:
            found = sum(pk in ids for ids in matches.word_ids)
            relevance += WORDS * found / len(matches.word_ids)
        if query and relevance <= 0:
            continue
        minutes = _minutes(row["d"], speed) if origin is not None else 0.0
        row["relevance"] = relevance
        row["rank"] = relevance - MINUTE_COST * minutes
        scored[pk] = row
    if open_now and scored:
        keep = selectors._open_now_filter(scored)
        scored = {pk: row for pk, row in scored.items() if pk in keep}
    return sorted(scored.values(), key=lambda r: (-r["rank"], r["d"], r["pk"]))


_COLUMNS = (
    "merchant_id, lat, lng, type_code, tier, community_ref"
    " FROM places_merchantsearchdocument"
)


def _rows(ids, *, origin, radius, types=None) -> dict[int, dict]:
    """Read the search documents of `ids` and of `types` (all if ids is None)."""
    where, params = "", []
    if radius is not None:
        min_lat, max_lat, min_lng, max_lng = bbox_around(*origin, radius)
        where = " AND lat BETWEEN %s AND %s AND lng BETWEEN %s AND %s"
        params = [min_lat, max_lat, min_lng, max_lng]
    raw: list[tuple] = []
    with connection.cursor() as cursor:
        if ids is None or radius is not None:
            # In an area, read its box once (indexed on lat, lng), keeping
            # only the matches in SQL: cheaper than looking thousands of ids
            # up by key, and far fewer rows than the box holds.
            if ids is not None:
                match, match_params = _match_clause(ids, types)
                where += match
                params += match_params
            cursor.execute(f"SELECT {_COLUMNS} WHERE 1 = 1{where}", params)
            raw = cursor.fetchall()
        else:
            if types:
                marks = ", ".join(["%s"] * len(types))
                sql = f"SELECT {_COLUMNS} WHERE type_code IN ({marks})"
                cursor.execute(sql, list(types))
                raw = cursor.fetchall()
            # Shops of those types are read already: fetch only the others.
            wanted = sorted(ids - {row[0] for row in raw})
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ", ".join(["%s"] * len(chunk))
                sql = f"SELECT {_COLUMNS} WHERE merchant_id IN ({marks})"
                cursor.execute(sql, chunk)
                raw += cursor.fetchall()
    rows = {}
    if origin is not None:
        # Equirectangular metres: within a city it differs from the great
        # circle by far less than a metre per kilometre, and is cheap.
        lat0, lng0 = origin
        kx = METERS_PER_DEG_LAT * math.cos(math.radians(lat0))
    for pk, lat, lng, type_code, tier, community in raw:
        d = 0.0
        if origin is not None:
            d = math.hypot((lat - lat0) * METERS_PER_DEG_LAT, (lng - lng0) * kx)
            if radius is not None and d > radius:
                continue
        rows[pk] = {
            "pk": pk,
            "d": d,
            "type_code": type_code,
            "tier": tier,
            "community": community,
        }
    return rows


def _match_clause(ids: set[int], types) -> tuple[str, list]:
    """SQL keeping the documents whose id is in `ids` or whose type is in `types`."""
    alternatives, params = [], []
    if types:
        alternatives.append(f"type_code IN ({', '.join(['%s'] * len(types))})")
        params += list(types)
    if ids:
        if connection.vendor == "postgresql":
            alternatives.append("merchant_id = ANY(%s)")
            params.append(sorted(ids))
        else:  # one parameter however many ids (SQLite allows 999 a statement)
            alternatives.append("merchant_id IN (SELECT value FROM json_each(%s))")
            params.append(json.dumps(sorted(ids)))
    if not alternatives:
        return " AND 1 = 0", []
    return f" AND ({' OR '.join(alternatives)})", params


def _phrase_ids(phrase: str) -> set[int]:
    """Ids of searchable shops whose text holds the phrase of tokens."""
    if connection.vendor == "sqlite":
        return selectors._fts5_ids(search.fts5_phrase(phrase))
    return _all_phrases_ids([phrase])


def _all_phrases_ids(phrases: list[str]) -> set[int]:
    if connection.vendor == "sqlite":
        return selectors._fts5_ids(search.fts5_gram_expression(phrases))
    with connection.cursor() as cursor:
        where = " AND ".join(
            ["to_tsvector('simple', tokens) @@ phraseto_tsquery('simple', %s)"]
            * len(phrases)
        )
        cursor.execute(
            f"SELECT merchant_id FROM places_merchantsearchdocument WHERE {where}",
            phrases,
        )
        return {row[0] for row in cursor.fetchall()}


def _name_ids(phrase: str) -> set[int]:
    if connection.vendor == "sqlite":
        return selectors._fts5_ids(f"{{name_grams}} : {search.fts5_phrase(phrase)}")
    return set(
        selectors.listed_merchants()
        .filter(name__contains=phrase.replace(" ", ""))
        .values_list("pk", flat=True)
    )


def _hits(rows: list[dict], *, with_distance: bool, walks=None) -> list[Hit]:
    merchants = Merchant.objects.select_related("main_type").in_bulk(
        [r["pk"] for r in rows]
    )
    hits = []
    for row in rows:
        distance = row["d"] if with_distance else None
        walk = (walks or {}).get(row["pk"])
        if walk is not None:
            adult, elderly = walk.adult_minutes, walk.elderly_minutes
        else:
            adult, elderly = walking_minutes(distance)
        hits.append(
            Hit(
                merchant=merchants[row["pk"]],
                distance_m=distance,
                walk_minutes=adult,
                elderly_minutes=elderly,
                score=round(row.get("rank", 0.0), 3),
                walk_estimated=walk is None or walk.estimated,
            )
        )
    return hits


def _nearest_of_type(code: str, *, origin, compound=None) -> list[Hit]:
    """The nearest shops of a type anywhere (or the first ones without origin)."""
    if origin is None:
        ids = list(
            selectors.listed_merchants()
            .exclude(status__in=selectors.HIDDEN_FROM_SEARCH)
            .filter(main_type__code=code)
            .order_by("id")
            .values_list("pk", flat=True)[:SUGGESTED]
        )
        return _hits([{"pk": pk, "d": 0.0} for pk in ids], with_distance=False)
    _total, ids = selectors._nearest(
        None,
        origin=origin,
        max_distance_m=None,
        wanted=SUGGESTED,
        filters={"type_code": code},
    )
    rows, places = [], {}
    for pk, lat, lng in _positions(ids):
        rows.append({"pk": pk, "d": haversine_m(origin[0], origin[1], lat, lng)})
        places[pk] = (lat, lng)
    walks = {}
    if compound is not None:
        from quarter.coverage.walking import walks_from

        walks = walks_from(compound, places)
    return _hits(rows, with_distance=True, walks=walks)


def _positions(ids: list[int]) -> list[tuple[int, float, float]]:
    found = dict(
        (pk, (lat, lng))
        for pk, lat, lng in Merchant.objects.filter(pk__in=ids).values_list(
            "pk", "lat", "lng"
        )
    )
    return [(pk, *found[pk]) for pk in ids if pk in found]
