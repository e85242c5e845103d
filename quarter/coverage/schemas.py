"""Input and output schemas of the coverage API."""

from __future__ import annotations

from typing import Literal

from ninja import Schema
from pydantic import Field

Profile = Literal["standard", "elderly"]


class TypeReachOut(Schema):
    code: str
    name_zh: str
    tier: str
    minutes: float | None = Field(description="步行分钟数;超过计算上限为 null")
    band: int | None = Field(description="5/10/15 分钟圈;15 分钟外为 null")


class CompoundGapOut(Schema):
    id: int
    name: str
    households: int
    lat: float
    lng: float
    off_street_m: float
    far_from_street: bool
    all_basic: bool
    missing_basic: list[str]
    missing_quality: list[str]
    reach: list[TypeReachOut]


class TypeCountOut(Schema):
    code: str
    name_zh: str
    tier: str
    count: int
    households_covered: int
    share_covered: float


class GroupingOut(Schema):
    name: str
    needs: list[list[str]]
    households_met: int
    share: float
    met: bool


class GapReportOut(Schema):
    community: str
    profile: Profile
    speed_mps: float
    estimated: bool = Field(description="true: 无路网,按直线距离×1.3估算")
    network: str | None
    tier_counts: dict[str, int]
    merchants_total: int
    chain_share: float
    households_total: int
    share_all_basic: float
    groupings: list[GroupingOut]
    types: list[TypeCountOut]
    compounds: list[CompoundGapOut]

    @classmethod
    def from_report(cls, report) -> GapReportOut:
        return cls(
            community=report.community.slug,
            profile=report.profile,
            speed_mps=report.speed,
            estimated=report.estimated,
            network=report.network_name,
            tier_counts=report.tier_counts,
            merchants_total=report.merchants_total,
            chain_share=report.chain_share,
            households_total=report.households_total,
            share_all_basic=report.share_all_basic,
            groupings=[
                GroupingOut(
                    name=g.name,
                    needs=g.type_names,
                    households_met=g.households_met,
                    share=g.share,
                    met=g.met,
                )
                for g in report.groupings
            ],
            types=[
                TypeCountOut(
                    code=t.business_type.code,
                    name_zh=t.business_type.name_zh,
                    tier=t.business_type.tier,
                    count=t.count,
                    households_covered=t.households_covered,
                    share_covered=t.share_covered,
                )
                for t in report.type_counts
            ],
            compounds=[_compound(r) for r in report.compounds],
        )


def _compound(r) -> CompoundGapOut:
    return CompoundGapOut(
        id=r.id,
        name=r.name,
        households=r.households,
        lat=r.lat,
        lng=r.lng,
        off_street_m=r.off_street_m,
        far_from_street=r.far_from_street,
        all_basic=r.all_basic,
        missing_basic=[t.code for t in r.missing_basic],
        missing_quality=[t.code for t in r.missing_quality],
        reach=[
            TypeReachOut(
                code=code,
                name_zh=tr.business_type.name_zh,
                tier=tr.business_type.tier,
                minutes=tr.minutes,
                band=tr.band,
            )
            for code, tr in r.reach.items()
        ],
    )


class SiteOut(Schema):
    rank: int
    lat: float
    lng: float
    households_gained: int
    compounds: list[str]
    street: str = Field("", description="最近的有名道路")
    near_compound: str = Field("", description="最近的小区")
    place: str = Field("", description="位置描述,如“近 学清路,静淑苑旁”")


class WhatIfIn(Schema):
    type: str = Field(max_length=40, description="业态代码")
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    profile: Profile = "standard"


class WhatIfRowOut(Schema):
    name: str
    households: int
    before_minutes: float | None
    after_minutes: float | None
    turns_covered: bool


class WhatIfOut(Schema):
    type: str
    estimated: bool
    households_before: int
    households_after: int
    households_gained: int
    households_total: int
    rows: list[WhatIfRowOut]
