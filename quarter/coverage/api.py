"""JSON API of coverage: gap report, site suggestions, what-if, isochrones.

Operators only. Register with `api.add_router("/coverage/", router)` in
quarter/api.py. A ninja router can be attached to one API only, so
`build_router()` makes a fresh one (tests mount theirs on a private NinjaAPI).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.security import django_auth
from pydantic import Field

from quarter.coverage import selectors, services
from quarter.coverage.schemas import (
    GapReportOut,
    Profile,
    SiteOut,
    WhatIfIn,
    WhatIfOut,
    WhatIfRowOut,
)

ERRORS = {400: dict, 403: dict, 404: dict, 422: dict}


class ProfileParams(Schema):
    profile: Profile = "standard"


class IsochroneParams(Schema):
    profile: Profile = "standard"
    compound: int | None = Field(None, description="只要这个小区的等时圈")


class SuggestParams(Schema):
    type: str = Field(max_length=40, description="业态代码,如 wet_market")
    profile: Profile = "standard"


def _community(request: HttpRequest, slug: str):
    community = selectors.get_planning_community(actor=request.user, slug=slug)
    # A read never recomputes stored figures (see `services.coverage_for_page`).
    services.coverage_for_page(actor=request.user, community=community)
    return community


def gap_report(request: HttpRequest, slug: str, params: Query[ProfileParams]):
    """The community's 15-minute gap report (walking minutes per compound and type)."""
    community = _community(request, slug)
    report = selectors.get_gap_report(
        actor=request.user, community=community, profile=params.profile
    )
    return GapReportOut.from_report(report)


def suggestions(request: HttpRequest, slug: str, params: Query[SuggestParams]):
    """Top 5 sites for a new shop of a type, by households newly within 15 minutes."""
    community = _community(request, slug)
    picks = selectors.suggest_sites(
        actor=request.user,
        community=community,
        type_code=params.type,
        profile=params.profile,
    )
    return [
        SiteOut(
            rank=p.rank,
            lat=p.lat,
            lng=p.lng,
            households_gained=p.households_gained,
            compounds=p.compounds,
            street=p.street,
            near_compound=p.near_compound,
            place=p.place,
        )
        for p in picks
    ]


def what_if(request: HttpRequest, slug: str, payload: WhatIfIn):
    """How coverage of a type would change with a shop at (lat, lng); stores nothing."""
    community = _community(request, slug)
    result = selectors.simulate_shop(
        actor=request.user,
        community=community,
        type_code=payload.type,
        lat=payload.lat,
        lng=payload.lng,
        profile=payload.profile,
    )
    return WhatIfOut(
        type=result.business_type.code,
        estimated=result.estimated,
        households_before=result.households_before,
        households_after=result.households_after,
        households_gained=result.households_gained,
        households_total=result.households_total,
        rows=[
            WhatIfRowOut(
                name=r.name,
                households=r.households,
                before_minutes=r.before_minutes,
                after_minutes=r.after_minutes,
                turns_covered=r.turns_covered,
            )
            for r in result.rows
        ],
    )


def isochrones(request: HttpRequest, slug: str, params: Query[IsochroneParams]):
    """GeoJSON FeatureCollection of 5/10/15-minute areas per compound."""
    community = _community(request, slug)
    return selectors.get_isochrones(
        actor=request.user,
        community=community,
        profile=params.profile,
        compound_id=params.compound,
    )


def build_router() -> Router:
    """Return a new router with every coverage endpoint."""
    r = Router(tags=["coverage"], auth=django_auth)
    errors = ERRORS
    r.get("/communities/{slug}/report", response={200: GapReportOut, **errors})(
        gap_report
    )
    r.get("/communities/{slug}/suggestions", response={200: list[SiteOut], **errors})(
        suggestions
    )
    r.post("/communities/{slug}/what-if", response={200: WhatIfOut, **errors})(what_if)
    r.get("/communities/{slug}/isochrones", response={200: dict, **errors})(isochrones)
    return r


router = build_router()
