"""JSON API of the places app: catalogue, communities, compounds,
merchant search and detail."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from quarter.core import clock
from quarter.core.money import format_discount
from quarter.places import everyday, selectors, services
from quarter.places.hours import is_open_at
from quarter.places.schemas import (
    BusinessTypeOut,
    CommunityOut,
    CompoundOut,
    ErrorOut,
    HoursOut,
    MerchantDetailOut,
    MerchantSummaryOut,
    SearchOut,
    ServiceOut,
)

router = Router(tags=["places"])
ERRORS = {400: ErrorOut, 404: ErrorOut, 422: dict}


@router.get("/business-types", response=list[BusinessTypeOut])
def business_types(
    request: HttpRequest, tier: Literal["basic", "quality", "public"] | None = None
):
    return list(selectors.list_business_types(tier=tier))


@router.get("/communities", response=list[CommunityOut])
def communities(request: HttpRequest):
    return list(selectors.list_communities())


@router.get(
    "/communities/{slug}/compounds", response={200: list[CompoundOut], **ERRORS}
)
def compounds(request: HttpRequest, slug: str):
    community = selectors.get_community(slug=slug)
    return list(selectors.list_compounds(community=community))


class SearchParams(Schema):
    q: str = Field("", max_length=40, description="中文搜索词,空格分隔的词都要匹配")
    type: str | None = Field(None, max_length=40, description="业态代码")
    tier: Literal["basic", "quality", "public"] | None = None
    open_now: bool = False
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    distance: int | None = Field(None, ge=1, le=50_000, description="最大直线距离(米)")
    sort: Literal["relevance", "distance"] = "relevance"
    scope: Literal["near", "all"] = Field(
        "all", description="near: 只找步行15分钟范围内(需要位置);all: 不限范围"
    )
    community: str | None = Field(None, max_length=60)
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=100_000)


@router.get("/merchants", response={200: SearchOut, **ERRORS})
def search_merchants(request: HttpRequest, params: Query[SearchParams]):
    """Search shops. A query is read as everyday words (剪头发, yaodian, 感冒药);
    without lat/lng a signed-in resident is placed at their compound, and walking
    minutes are measured from it."""
    compound = _resident_compound(request)
    at_home = None  # the origin is the resident's compound: rank by the real walk
    if params.lat is not None and params.lng is not None:
        origin = (params.lat, params.lng)
    elif compound is not None:
        origin, at_home = (compound.lat, compound.lng), compound
    else:
        origin = None
    community = (
        selectors.get_community(slug=params.community) if params.community else None
    )
    if params.q.strip():
        result = everyday.find_merchants(
            query=params.q,
            origin=origin,
            compound=at_home,
            scope="near"
            if origin and (params.scope == "near" or params.distance)
            else "all",
            radius_m=params.distance,
            type_code=params.type,
            tier=params.tier,
            community_id=community.pk if community else None,
            open_now=params.open_now,
            sort=params.sort,
            limit=params.limit,
            offset=params.offset,
        )
    else:
        result = selectors.search_merchants(
            type_code=params.type,
            tier=params.tier,
            open_now=params.open_now,
            origin=origin,
            max_distance_m=params.distance,
            sort=params.sort if origin else "relevance",
            community=community,
            limit=params.limit,
            offset=params.offset,
        )
    if params.offset == 0:
        services.log_search(
            actor=request.user,
            query=params.q,
            result_count=result.total,
            compound=compound,
        )
    walks = _walks(compound, result.hits)
    return SearchOut(
        total=result.total,
        results=[
            MerchantSummaryOut.from_hit(
                h.merchant, h.distance_m, walk=walks.get(h.merchant.pk)
            )
            for h in result.hits
        ],
    )


def _resident_compound(request: HttpRequest):
    resident = getattr(request.user, "resident", None)
    return resident.compound if resident is not None else None


def _walks(compound, hits) -> dict:
    if compound is None:
        return {}
    from quarter.coverage.walking import walks_from

    return walks_from(
        compound, {h.merchant.pk: (h.merchant.lat, h.merchant.lng) for h in hits}
    )


@router.get("/merchants/{merchant_id}", response={200: MerchantDetailOut, **ERRORS})
def merchant_detail(request: HttpRequest, merchant_id: int):
    m = selectors.get_listed_merchant(merchant_id=merchant_id)
    summary = MerchantSummaryOut.from_hit(m, None).dict()
    return MerchantDetailOut(
        **summary,
        introduction=m.introduction,
        phone=m.phone,
        contact_person=m.contact_person,
        vip_discount=format_discount(m.vip_discount_permille),
        card_offer_note=m.card_offer_note,
        brand_name=m.brand_name,
        community=m.community.slug,
        open_now=is_open_at(m, clock.local_now()),
        status_until=m.status_until.isoformat() if m.status_until else None,
        services=[
            ServiceOut(name=s.name, price_fen=s.price_fen) for s in m.services.all()
        ],
        hours=[
            HoursOut(
                weekday=h.weekday,
                open_minute=h.open_minute,
                close_minute=h.close_minute,
            )
            for h in m.hours.all()
        ],
        photos=[p.image.url for p in m.photos.all()],
    )
