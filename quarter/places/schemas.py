"""Input and output schemas of the places API."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from quarter.core.money import format_discount


class BusinessTypeOut(Schema):
    code: str
    name_zh: str
    name_en: str
    tier: str
    groupings: list[str]

    @staticmethod
    def resolve_groupings(obj) -> list[str]:
        return obj.grouping_list


class CommunityOut(Schema):
    slug: str
    name: str
    street_office: str
    district: str
    city: str
    area_km2: float
    center_lat: float
    center_lng: float

    @staticmethod
    def resolve_street_office(obj) -> str:
        return obj.street_office.name

    @staticmethod
    def resolve_district(obj) -> str:
        return obj.street_office.district.name

    @staticmethod
    def resolve_city(obj) -> str:
        return obj.street_office.district.city


class CompoundOut(Schema):
    id: int
    community: str
    name: str
    kind: str
    lat: float
    lng: float
    households: int
    population: int

    @staticmethod
    def resolve_community(obj) -> str:
        return obj.community.slug


class MerchantSummaryOut(Schema):
    id: int
    name: str
    type_code: str
    type_name: str
    tier: str
    address: str
    lat: float
    lng: float
    status: str
    card_discount: str
    card_discount_permille: int | None
    is_chain: bool
    distance_m: int | None = None
    walk_minutes: int | None = Field(None, description="成年人步行分钟(从居民所在小区)")
    elderly_walk_minutes: int | None = Field(None, description="老年人步行分钟")
    walk_estimated: bool | None = Field(
        None, description="true: 按直线估算(约);false: 按路网计算"
    )

    @staticmethod
    def from_hit(
        merchant, distance_m: float | None, *, walk=None
    ) -> MerchantSummaryOut:
        return MerchantSummaryOut(
            id=merchant.id,
            name=merchant.name,
            type_code=merchant.main_type.code,
            type_name=merchant.main_type.name_zh,
            tier=merchant.main_type.tier,
            address=merchant.address,
            lat=merchant.lat,
            lng=merchant.lng,
            status=merchant.status,
            card_discount=format_discount(merchant.card_discount_permille),
            card_discount_permille=merchant.card_discount_permille,
            is_chain=merchant.is_chain,
            distance_m=None if distance_m is None else round(distance_m),
            walk_minutes=walk.adult_minutes if walk else None,
            elderly_walk_minutes=walk.elderly_minutes if walk else None,
            walk_estimated=walk.estimated if walk else None,
        )


class SearchOut(Schema):
    total: int
    results: list[MerchantSummaryOut]


class ServiceOut(Schema):
    name: str
    price_fen: int | None


class HoursOut(Schema):
    weekday: int
    open_minute: int
    close_minute: int


class MerchantDetailOut(MerchantSummaryOut):
    introduction: str
    phone: str
    contact_person: str
    vip_discount: str
    card_offer_note: str
    brand_name: str
    community: str
    open_now: bool
    status_until: str | None
    services: list[ServiceOut]
    hours: list[HoursOut]
    photos: list[str]


class ErrorOut(Schema):
    code: str
    field: str | None
    message: str
