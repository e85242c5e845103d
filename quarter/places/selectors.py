"""Reads of the places app: catalogue, communities, merchant search and detail."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL

from quarter.core import clock
from quarter.core.errors import DomainError, NotFound
from quarter.core.geo import METERS_PER_DEG_LAT, bbox_around, haversine_m
from quarter.places import search
from quarter.places.errors import PlacesErrorCode
from quarter.places.hours import open_now_q
from quarter.places.models import (
    Admission,
    BusinessType,
    Community,
    Compound,
    Merchant,
    MerchantSearchDocument,
    MerchantStatus,
    Tier,
)

MAX_DISTANCE_M = 50_000
HIDDEN_FROM_SEARCH = [MerchantStatus.CLOSED, MerchantStatus.SUSPENDED]


def list_business_types(*, tier: str | None = None) -> QuerySet[BusinessType]:
    qs = BusinessType.objects.all()
    return qs.filter(tier=tier) if tier else qs


def list_communities() -> QuerySet[Community]:
    return Community.objects.select_related("street_office__district").order_by("id")


def get_community(*, slug: str) -> Community:
    try:
        return list_communities().get(slug=slug)
    except Community.DoesNotExist:
        raise NotFound(
            PlacesErrorCode.UNKNOWN_COMMUNITY, "没有这个社区", field="community"
        ) from None


def list_compounds(*, community: Community | None = None) -> QuerySet[Compound]:
    qs = Compound.objects.select_related("community").order_by("community_id", "id")
    return qs.filter(community=community) if community else qs


def listed_merchants() -> QuerySet[Merchant]:
    """Merchants residents can see: admitted and not removed."""
    return Merchant.objects.filter(admission=Admission.APPROVED)


def get_listed_merchant(*, merchant_id: int) -> Merchant:
    qs = (
        listed_merchants()
        .select_related("main_type", "community")
        .prefetch_related("services", "photos", "hours", "exceptions")
    )
    try:
        return qs.get(pk=merchant_id)
    except Merchant.DoesNotExist:
        raise NotFound(
            PlacesErrorCode.MERCHANT_NOT_LISTED, "商户不存在或未入驻"
        ) from None


@dataclass
class SearchHit:
    merchant: Merchant
    distance_m: float | None
    walk: object = None  # coverage.walking.Walk from the resident's compound, if set


@dataclass
class SearchResult:
    total: int
    hits: list[SearchHit] = field(default_factory=list)


def search_merchants(
    *,
    query: str = "",
    type_code: str | None = None,
    tier: str | None = None,
    open_now: bool = False,
    origin: tuple[float, float] | None = None,
    max_distance_m: float | None = None,
    sort: str = "relevance",
    community: Community | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchResult:
    """Find listed merchants by Chinese words, type, tier, opening and distance.

    Raises `query_too_long`, `invalid_distance`, `unknown_business_type`.
    Words match name, type, services, introduction, brand and address; every
    word must match. With an origin the hits carry straight-line distances and
    `sort="distance"` orders by them.
    """
    query = (query or "").strip()
    if len(query) > search.MAX_QUERY_CHARS:
        raise DomainError(
            PlacesErrorCode.QUERY_TOO_LONG,
            f"搜索词不能超过{search.MAX_QUERY_CHARS}个字",
            field="q",
        )
    qs = listed_merchants().exclude(status__in=HIDDEN_FROM_SEARCH)
    if community is not None:
        qs = qs.filter(community=community)
    if type_code:
        if not BusinessType.objects.filter(code=type_code).exists():
            raise DomainError(
                PlacesErrorCode.UNKNOWN_BUSINESS_TYPE, "没有这个业态", field="type"
            )
        qs = qs.filter(main_type__code=type_code)
    if tier:
        if tier not in Tier.values:
            raise DomainError(
                PlacesErrorCode.UNKNOWN_BUSINESS_TYPE, "没有这个类别", field="tier"
            )
        qs = qs.filter(main_type__tier=tier)
    phrases = search.query_phrases(query)
    if connection.vendor == "sqlite" and (phrases or type_code or tier):
        return _search_fts5(
            phrases,
            type_code=type_code,
            tier=tier,
            open_now=open_now,
            origin=origin,
            max_distance_m=max_distance_m,
            sort=sort,
            community=community,
            limit=limit,
            offset=offset,
        )
    if phrases:
        qs = qs.filter(pk__in=_matching_ids(phrases))
    if open_now:
        qs = qs.filter(open_now_q(clock.local_now()))
    if max_distance_m is not None:
        if origin is None or not (0 < max_distance_m <= MAX_DISTANCE_M):
            raise DomainError(
                PlacesErrorCode.INVALID_DISTANCE,
                f"距离应在1到{MAX_DISTANCE_M}米之间,并需提供位置",
                field="distance",
            )
        min_lat, max_lat, min_lng, max_lng = bbox_around(*origin, max_distance_m)
        qs = qs.filter(lat__range=(min_lat, max_lat), lng__range=(min_lng, max_lng))
    qs = _order(
        qs, phrases=phrases, origin=origin, sort=sort, max_distance_m=max_distance_m
    )
    return _page(
        qs, origin=origin, max_distance_m=max_distance_m, limit=limit, offset=offset
    )


def _matching_ids(phrases: list[str]):
    if connection.vendor == "postgresql":
        where = " AND ".join(
            ["to_tsvector('simple', tokens) @@ phraseto_tsquery('simple', %s)"]
            * len(phrases)
        )
        return RawSQL(
            f"SELECT merchant_id FROM places_merchantsearchdocument WHERE {where}",
            tuple(phrases),
        )
    condition = Q()
    for phrase in phrases:
        condition &= Q(tokens__contains=phrase)
    return MerchantSearchDocument.objects.filter(condition).values("merchant_id")


def _order(qs, *, phrases, origin, sort, max_distance_m):
    by_distance = origin is not None and (
        sort == "distance" or max_distance_m is not None or not phrases
    )
    if origin is not None:
        lat, lng = origin
        # Squared planar distance in degrees² is enough to order by nearness.
        k = math.cos(math.radians(lat))
        qs = qs.annotate(
            d2=(F("lat") - lat) * (F("lat") - lat)
            + (F("lng") - lng) * (F("lng") - lng) * (k * k)
        )
    if by_distance:
        return qs.order_by("d2", "id")
    if phrases:
        first = phrases[0].replace(" ", "")
        qs = qs.annotate(
            name_rank=Case(
                When(name__contains=first, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        return qs.order_by("name_rank", "id")
    return qs.order_by("id")


def _page(qs, *, origin, max_distance_m, limit, offset) -> SearchResult:
    limit = max(1, min(int(limit), 100))
    offset = max(0, int(offset))
    qs = qs.select_related("main_type")
    if origin is not None and max_distance_m is not None:
        # The bbox holds corners beyond the radius: trim them with a d2 bound.
        bound = (max_distance_m / METERS_PER_DEG_LAT) ** 2
        qs = qs.filter(d2__lte=bound)
    # One pass: the window count rides along with the page instead of a second query.
    page = list(qs.annotate(total_count=Window(Count("id")))[offset : offset + limit])
    total = page[0].total_count if page else (qs.count() if offset else 0)
    hits = []
    for merchant in page:
        distance = None
        if origin is not None:
            distance = haversine_m(origin[0], origin[1], merchant.lat, merchant.lng)
        hits.append(SearchHit(merchant=merchant, distance_m=distance))
    return SearchResult(total=total, hits=hits)


def _search_fts5(
    phrases,
    *,
    type_code,
    tier,
    open_now,
    origin,
    max_distance_m,
    sort,
    community,
    limit,
    offset,
) -> SearchResult:
    """Answer a search on SQLite from the FTS5 index and the narrow document table.

    Same results as the SQL path PostgreSQL takes: documents exist only for
    searchable merchants; relevance puts name matches first, then id; with an
    origin and sort="distance" (or a radius, or no words), nearest first. Only
    row ids leave the index.
    """
    if max_distance_m is not None and (
        origin is None or not 0 < max_distance_m <= MAX_DISTANCE_M
    ):
        raise DomainError(
            PlacesErrorCode.INVALID_DISTANCE,
            f"距离应在1到{MAX_DISTANCE_M}米之间,并需提供位置",
            field="distance",
        )
    limit = max(1, min(int(limit), 100))
    offset = max(0, int(offset))
    keep = _open_now_filter if open_now else None
    by_distance = origin is not None and (
        sort == "distance" or max_distance_m is not None or not phrases
    )
    community_id = community.pk if community else None
    terms = [search.fts5_gram_expression(phrases)] if phrases else []
    filters = search.fts5_filter_expression(
        type_code=type_code, tier=tier, community_id=community_id
    )
    if filters:
        terms.append(filters)
    expression = " AND ".join(terms)
    if by_distance:
        # Nearness reads the narrow document table by box; words, if any, are
        # checked against the index's matches.
        columns = {"type_code": type_code, "tier": tier, "community_ref": community_id}
        matching = _fts5_ids(expression) if phrases else None
        total, page_ids = _nearest(
            matching,
            origin=origin,
            max_distance_m=max_distance_m,
            wanted=offset + limit,
            keep=keep,
            filters=columns,
        )
        if max_distance_m is None:
            everything = matching if matching is not None else _document_ids(columns)
            total = len(keep(everything)) if keep else len(everything)
        return _hits(page_ids[offset:], origin=origin, total=total)
    matching = _fts5_ids(expression)
    if keep is not None:
        matching = keep(matching)
    in_name = set()
    if phrases:
        first = search.fts5_phrase(phrases[0])
        in_name = _fts5_ids(f"{{name_grams}} : {first} AND {expression}") & matching
    ordered = sorted(in_name) + sorted(matching - in_name)
    return _hits(ordered[offset : offset + limit], origin=origin, total=len(ordered))


def _hits(page_ids: list[int], *, origin, total: int) -> SearchResult:
    merchants = Merchant.objects.select_related("main_type").in_bulk(page_ids)
    hits = []
    for pk in page_ids:
        merchant = merchants[pk]
        distance = None
        if origin is not None:
            distance = haversine_m(origin[0], origin[1], merchant.lat, merchant.lng)
        hits.append(SearchHit(merchant=merchant, distance_m=distance))
    return SearchResult(total=total, hits=hits)


def _open_now_filter(ids) -> set[int]:
    ids = list(ids)
    if not ids:
        return set()
    return set(
        listed_merchants()
        .filter(pk__in=ids)
        .filter(open_now_q(clock.local_now()))
        .values_list("pk", flat=True)
    )


def _fts5_ids(expression: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM places_merchant_fts WHERE places_merchant_fts MATCH %s",
            [expression],
        )
        return {row[0] for row in cursor.fetchall()}


def _equalities(filters: dict | None) -> tuple[str, list]:
    """Render the set filters as ' AND column = %s' clauses (columns are ours)."""
    where, params = "", []
    for column, value in (filters or {}).items():
        if value:
            where += f" AND {column} = %s"
            params.append(value)
    return where, params


def _document_ids(filters: dict) -> set[int]:
    where, params = _equalities(filters)
    where = "1 = 1" + where
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT merchant_id FROM places_merchantsearchdocument WHERE {where}",
            params,
        )
        return {row[0] for row in cursor.fetchall()}


# Rings searched outward for the nearest matches when no radius is given.
_RINGS_M = (800, 2500, 8000, 25000, 20_000_000)


def _nearest(ids, *, origin, max_distance_m, wanted: int, keep=None, filters=None):
    """Return (how many match, ids nearest first up to `wanted`).

    `ids` is the set of text matches, or None for no words. With a radius, one
    box around it is read; without, boxes widen until enough matches are found.
    `filters` are equalities on the document table; `keep` (e.g. "open now")
    filters the candidates found.
    """
    if ids is not None and not ids:
        return 0, []
    where, params = _equalities(filters)
    k2 = math.cos(math.radians(origin[0])) ** 2
    rings = (max_distance_m,) if max_distance_m is not None else _RINGS_M
    for radius in rings:
        min_lat, max_lat, min_lng, max_lng = bbox_around(*origin, radius)
        bound = (radius / METERS_PER_DEG_LAT) ** 2
        with connection.cursor() as cursor:
            # Raw rows: thousands of tuples per request, no model overhead.
            cursor.execute(
                "SELECT merchant_id, lat, lng FROM places_merchantsearchdocument "
                "WHERE lat BETWEEN %s AND %s AND lng BETWEEN %s AND %s" + where,
                [min_lat, max_lat, min_lng, max_lng, *params],
            )
            rows = cursor.fetchall()
        near = []
        for pk, lat, lng in rows:
            if ids is None or pk in ids:
                d2 = (lat - origin[0]) ** 2 + (lng - origin[1]) ** 2 * k2
                if d2 <= bound:
                    near.append((d2, pk))
        if keep is not None:
            kept = keep(pk for _, pk in near)
            near = [item for item in near if item[1] in kept]
        if len(near) >= wanted or radius == rings[-1]:
            near.sort()
            return len(near), [pk for _, pk in near[:wanted]]
    return 0, []


def list_map_merchants(*, community: Community | None = None) -> list[dict]:
    """Everything the map draws, in one query:
    id, name, type, tier, position, status."""
    qs = listed_merchants()
    if community is not None:
        qs = qs.filter(community=community)
    rows = qs.values(
        "id",
        "name",
        "lat",
        "lng",
        "status",
        "card_discount_permille",
        "main_type__name_zh",
        "main_type__tier",
        "address",
    )
    return list(rows)


def list_merchants_for_staff(*, user) -> QuerySet[Merchant]:
    return (
        Merchant.objects.filter(staff__user=user)
        .select_related("main_type")
        .order_by("id")
    )
