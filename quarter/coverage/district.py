"""A district or street at once: every community's coverage ranked, shared sites.

The district commerce bureau (the issuer of the district) and district-wide
planners plan the whole district; a street-office planner plans the
communities of one street office (街道) with the same table, map, site
suggestions and exports. One row per community from its stored figures, and
site suggestions over all the area's compounds together, so a shop near a
boundary is weighed by every household it would serve, whichever community
they live in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from quarter.core.errors import DomainError
from quarter.coverage import engine as eng
from quarter.coverage import services
from quarter.coverage.access import require_district_planner, require_street_planner
from quarter.coverage.errors import CoverageErrorCode as Code
from quarter.coverage.selectors import (
    GapReport,
    _business_type,
    build_gap_report,
    describe_place,
    get_speed,
    pick_sites,
)
from quarter.places.models import (
    Admission,
    Community,
    Compound,
    District,
    Merchant,
    StreetOffice,
)


@dataclass
class CommunityRow:
    rank: int
    report: GapReport
    missing_basic: list[str] = field(default_factory=list)
    stale: bool = False

    @property
    def community(self) -> Community:
        return self.report.community

    @property
    def groupings_met(self) -> int:
        return sum(1 for g in self.report.groupings if g.met)


@dataclass
class DistrictReport:
    district: District
    profile: str
    rows: list[CommunityRow]
    # Set for a street view: the rows are this street office's communities.
    street_office: StreetOffice | None = None

    @property
    def area_name(self) -> str:
        if self.street_office is not None:
            return f"{self.district.name}{self.street_office.name}"
        return self.district.name

    @property
    def households_total(self) -> int:
        return sum(r.report.households_total for r in self.rows)

    @property
    def households_all_basic(self) -> int:
        return sum(r.report.households_all_basic for r in self.rows)

    @property
    def share_all_basic(self) -> float:
        total = self.households_total
        return self.households_all_basic / total if total else 0.0


def district_report(*, actor, district: District, profile: str = "standard"):
    """Rank the district's communities by the share of households with every
    basic type within 15 minutes (best first), from their stored figures.

    A community never computed is computed once; a stale one is shown as
    stored and flagged. Raises `not_district_planner`, `unknown_speed_profile`.
    """
    require_district_planner(actor, district)
    get_speed(profile)
    return DistrictReport(
        district=district,
        profile=profile,
        rows=_ranked_rows(_communities(district), profile, actor=actor),
    )


def street_report(*, actor, street_office: StreetOffice, profile: str = "standard"):
    """The district report restricted to one street office's communities.

    Raises `not_street_planner`, `unknown_speed_profile`.
    """
    require_street_planner(actor, street_office)
    get_speed(profile)
    return DistrictReport(
        district=street_office.district,
        profile=profile,
        rows=_ranked_rows(_street_communities(street_office), profile, actor=actor),
        street_office=street_office,
    )


def _ranked_rows(communities, profile: str, *, actor) -> list[CommunityRow]:
    rows = []
    for community in communities:
        _run, stale = services.coverage_for_page(actor=actor, community=community)
        report = build_gap_report(community=community, profile=profile)
        missing = [
            t.business_type.name_zh
            for t in report.type_counts
            if t.business_type.tier == "basic"
            and t.households_covered < report.households_total
        ]
        rows.append(CommunityRow(0, report, missing, stale))
    rows.sort(
        key=lambda r: (-r.report.share_all_basic, -r.groupings_met, r.community.pk)
    )
    for rank, row in enumerate(rows, start=1):
        row.rank = rank
    return rows


def _communities(district: District):
    return Community.objects.filter(street_office__district=district).order_by("id")


def _street_communities(street_office: StreetOffice):
    return Community.objects.filter(street_office=street_office).order_by("id")


@dataclass
class AreaSite:
    rank: int
    lat: float
    lng: float
    households_gained: int
    # (community name, compound name) of each compound newly within reach.
    compounds: list[tuple[str, str]]
    street: str = ""
    near_compound: str = ""

    @property
    def place(self) -> str:
        """'近 学清路, 双泉嘉苑旁' (see selectors.describe_place)."""
        return describe_place(self.street, self.near_compound)

    @property
    def communities(self) -> list[str]:
        return list(dict.fromkeys(c for c, _ in self.compounds))


def suggest_sites_in_district(
    *,
    actor,
    district: District,
    type_code: str,
    profile: str = "standard",
    minutes: int = eng.TARGET_MIN,
    top: int = 5,
) -> list[AreaSite]:
    """Suggest sites for a type over every compound of the district at once.

    The same greedy max-coverage as one community's suggestions, over the
    union of the district's compounds and every shop that can serve them.
    Raises `not_district_planner`, `unknown_business_type`,
    `unknown_speed_profile`, `no_compounds`.
    """
    require_district_planner(actor, district)
    return _suggest(area_inputs(district), type_code, profile, minutes, top)


def suggest_sites_in_street(
    *,
    actor,
    street_office: StreetOffice,
    type_code: str,
    profile: str = "standard",
    minutes: int = eng.TARGET_MIN,
    top: int = 5,
) -> list[AreaSite]:
    """Suggest sites over every compound of one street office's communities.

    Shops of neighbouring streets that can serve them count. Raises
    `not_street_planner`, `unknown_business_type`, `unknown_speed_profile`,
    `no_compounds`.
    """
    require_street_planner(actor, street_office)
    return _suggest(street_inputs(street_office), type_code, profile, minutes, top)


def _suggest(inputs: eng.Inputs, type_code, profile, minutes, top) -> list[AreaSite]:
    bt = _business_type(type_code)
    radius = get_speed(profile) * minutes * 60
    if inputs.n_compounds == 0:
        raise DomainError(Code.NO_COMPOUNDS, "本区还没有录入小区,无法计算覆盖")
    picks, uncovered = pick_sites(inputs, bt, radius=radius, top=top)
    return [
        AreaSite(
            rank=p.rank,
            lat=p.lat,
            lng=p.lng,
            households_gained=p.households_gained,
            street=p.street,
            near_compound=p.near_compound,
            compounds=[
                (
                    inputs.compounds[int(uncovered[i])]["community"],
                    inputs.compounds[int(uncovered[i])]["name"],
                )
                for i in p.positions
            ],
        )
        for p in picks
    ]


def area_inputs(district: District) -> eng.Inputs:
    """Inputs over every compound of the district and every shop that may serve them."""
    return _area_inputs(
        Compound.objects.filter(community__street_office__district=district),
        list(_communities(district)),
    )


def street_inputs(street_office: StreetOffice) -> eng.Inputs:
    """Inputs over one street office's compounds and every shop that may serve them."""
    return _area_inputs(
        Compound.objects.filter(community__street_office=street_office),
        list(_street_communities(street_office)),
    )


def _area_inputs(compounds_qs, communities: list[Community]) -> eng.Inputs:
    compounds = list(
        compounds_qs.order_by("id").values(
            "id", "name", "lat", "lng", "households", "community__name"
        )
    )
    for c in compounds:
        c["community"] = c.pop("community__name")
    boxes = [eng.reach_box(c) for c in communities]
    # The database narrows to the boxes' common extent; Python keeps the
    # shops inside one of the boxes.
    candidates = Merchant.objects.exclude(
        admission__in=[Admission.REJECTED, Admission.REMOVED]
    ).filter(
        lat__gte=min((b[0] for b in boxes), default=0),
        lng__gte=min((b[1] for b in boxes), default=0),
        lat__lte=max((b[2] for b in boxes), default=0),
        lng__lte=max((b[3] for b in boxes), default=0),
    )
    merchants = [
        m
        for m in candidates.order_by("id").values(*eng.MERCHANT_FIELDS)
        if any(b[0] <= m["lat"] <= b[2] and b[1] <= m["lng"] <= b[3] for b in boxes)
    ]
    points = [(c["lat"], c["lng"]) for c in compounds] or [
        (c.center_lat, c.center_lng) for c in communities
    ]
    network = eng.network_for(communities[0], points=points) if communities else None
    return eng.Inputs(
        community=None, network=network, compounds=compounds, merchants=merchants
    )
