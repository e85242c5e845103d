"""Reads of the coverage app: gap reports, site suggestions, what-if and isochrones.

The gap report reads the stored reach (call `services.ensure_coverage` first);
site suggestions, what-if and isochrones compute on the fly from the same
engine and store nothing. Every public selector takes `actor` and answers only
the operators of the community.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from quarter.core.errors import DomainError, NotFound
from quarter.core.geo import haversine_m, valid_lat_lng
from quarter.coverage import engine as eng
from quarter.coverage import reach_store
from quarter.coverage.errors import CoverageErrorCode as Code
from quarter.coverage.models import CoverageRun
from quarter.places.models import Admission, BusinessType, Community, Merchant, Tier

# The 2025 MOFCOM groupings: each is two needs, each need met by any of its types.
GROUPINGS: dict[str, list[list[str]]] = {
    "一店一早": [["convenience_store"], ["breakfast"]],
    "一菜一修": [["wet_market", "fresh_grocery"], ["repair"]],
    "一老一小": [["elderly_care"], ["childcare"]],
    "一收一洗": [["recycling"], ["laundry"]],
}


def list_planning_communities(*, actor) -> QuerySet[Community]:
    """Return the communities `actor` operates (all of them for a superuser)."""
    from quarter.coverage import access

    return access.list_planning_communities(actor)


def get_planning_community(*, actor, slug: str) -> Community:
    """Return the community if `actor` operates it (decided in coverage/access.py).

    Raises `unknown_community` (404), `not_community_operator` (403).
    """
    from quarter.coverage import access

    return access.get_planning_community(actor, slug=slug)


def get_speed(profile: str) -> float:
    """Return the walking speed of a profile. Raises `unknown_speed_profile`."""
    speeds = eng.speed_profiles()
    if profile not in speeds:
        raise DomainError(
            Code.UNKNOWN_SPEED_PROFILE, "没有这种步行速度", field="profile"
        )
    return speeds[profile]


def _minutes(distance_m: float | None, speed: float) -> float | None:
    return None if distance_m is None else distance_m / speed / 60


def _band(minutes: float | None) -> int | None:
    """The smallest band (5, 10 or 15) the time falls in, None beyond 15 minutes."""
    if minutes is None:
        return None
    return next((b for b in eng.BANDS_MIN if minutes <= b + 1e-9), None)


@dataclass
class TypeReach:
    business_type: BusinessType
    minutes: float | None
    band: int | None


@dataclass
class CompoundRow:
    id: int
    name: str
    lat: float
    lng: float
    households: int
    off_street_m: float
    far_from_street: bool
    reach: dict[str, TypeReach] = field(default_factory=dict)
    missing_basic: list[BusinessType] = field(default_factory=list)
    missing_quality: list[BusinessType] = field(default_factory=list)
    groupings_met: dict[str, bool] = field(default_factory=dict)

    @property
    def all_basic(self) -> bool:
        return not self.missing_basic


@dataclass
class GroupingRow:
    name: str
    type_names: list[list[str]]
    households_met: int
    share: float
    met: bool


@dataclass
class TypeCount:
    business_type: BusinessType
    count: int
    households_covered: int
    share_covered: float


@dataclass
class GapReport:
    community: Community
    profile: str
    speed: float
    estimated: bool
    network_name: str | None
    computed_at: object
    tier_counts: dict[str, int]
    type_counts: list[TypeCount]
    merchants_total: int
    chain_count: int
    chain_share: float
    households_total: int
    households_all_basic: int
    share_all_basic: float
    compounds: list[CompoundRow]
    groupings: list[GroupingRow]
    # The network in use: when it was imported, and how many of the
    # community's compounds and shops lie inside it.
    network_imported_at: object = None
    network_covered: int = 0
    network_points: int = 0
    # How the households were counted, when some compounds' counts are estimates
    # from an OSM import (quarter.coverage.osm_compounds); '' otherwise.
    households_note: str = ""

    @property
    def basic_types(self) -> list[BusinessType]:
        return [
            t.business_type
            for t in self.type_counts
            if t.business_type.tier == Tier.BASIC
        ]


def get_gap_report(
    *, actor, community: Community, profile: str = "standard"
) -> GapReport:
    """Build the community's gap report from its stored reach.

    Precondition: `services.ensure_coverage(community=...)` ran. Raises
    `not_community_operator`, `unknown_speed_profile`.
    """
    get_planning_community(actor=actor, slug=community.slug)
    return build_gap_report(community=community, profile=profile)


def _network_extent(community: Community, network) -> dict:
    if network is None:
        return {}
    covered, points = eng.covered_share(network, eng.community_points(community))
    return {
        "network_imported_at": network.imported_at,
        "network_covered": covered,
        "network_points": points,
    }


def build_gap_report(*, community: Community, profile: str = "standard") -> GapReport:
    """Build the gap report without a permission check (trusted callers, exports)."""
    speed = get_speed(profile)
    run = (
        CoverageRun.objects.select_related("network")
        .filter(community=community)
        .first()
    )
    types = list(BusinessType.objects.all())
    rows = _compound_rows(community, types, speed)
    households_total = sum(r.households for r in rows)
    listed = Merchant.objects.filter(community=community, admission=Admission.APPROVED)
    per_type = dict(listed.values_list("main_type_id").annotate(n=Count("id")))
    tier_counts = {t.value: 0 for t in Tier}
    type_counts = []
    for bt in types:
        count = per_type.get(bt.id, 0)
        tier_counts[bt.tier] += count
        covered = sum(r.households for r in rows if r.reach[bt.code].band is not None)
        type_counts.append(
            TypeCount(bt, count, covered, _share(covered, households_total))
        )
    total = listed.count()
    chains = listed.filter(is_chain=True).count()
    all_basic = sum(r.households for r in rows if r.all_basic)
    return GapReport(
        community=community,
        profile=profile,
        speed=speed,
        estimated=run.estimated if run else True,
        network_name=run.network.name if run and run.network else None,
        computed_at=run.computed_at if run else None,
        **_network_extent(community, run.network if run else None),
        tier_counts=tier_counts,
        type_counts=type_counts,
        merchants_total=total,
        chain_count=chains,
        chain_share=_share(chains, total),
        households_total=households_total,
        households_all_basic=all_basic,
        share_all_basic=_share(all_basic, households_total),
        compounds=rows,
        groupings=_grouping_rows(rows, types, households_total),
        households_note=_households_note(community),
    )


def _households_note(community: Community) -> str:
    """The estimation method, if any compound still has imported, estimated counts."""
    from quarter.coverage.osm_compounds import METHOD_NOTE
    from quarter.places.models import CompoundEvent

    estimated = (
        CompoundEvent.objects.filter(
            community=community,
            compound__isnull=False,
            kind=CompoundEvent.Kind.CREATED,
        )
        .exclude(after__households_estimated="")
        .filter(after__has_key="households_estimated")
        .values_list("compound_id", flat=True)
    )
    changed = CompoundEvent.objects.filter(
        compound_id__in=list(estimated), kind=CompoundEvent.Kind.CHANGED
    ).values_list("compound_id", flat=True)
    return _(METHOD_NOTE) if set(estimated) - set(changed) else ""


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _compound_rows(community, types, speed) -> list[CompoundRow]:
    by_id = {bt.id: bt for bt in types}
    access = reach_store.off_street_of(
        CoverageRun.objects.filter(community=community).first()
    )
    distances = reach_store.distances_of(community)
    limit = eng.max_off_street_m()
    rows = []
    for c in community.compounds.order_by("id"):
        off = access.get(c.id, 0.0)
        row = CompoundRow(
            id=c.id,
            name=c.name,
            lat=c.lat,
            lng=c.lng,
            households=c.households,
            off_street_m=off,
            far_from_street=off > limit,
        )
        for type_id, bt in by_id.items():
            minutes = _minutes(distances.get((c.id, type_id)), speed)
            row.reach[bt.code] = TypeReach(bt, minutes, _band(minutes))
            if row.reach[bt.code].band is None:
                if bt.tier == Tier.BASIC:
                    row.missing_basic.append(bt)
                elif bt.tier == Tier.QUALITY:
                    row.missing_quality.append(bt)
        rows.append(row)
    return rows


def _grouping_rows(rows, types, households_total) -> list[GroupingRow]:
    names = {bt.code: bt.name_zh for bt in types}
    out = []
    for name, needs in GROUPINGS.items():
        needs = [[code for code in need if code in names] for need in needs]
        needs = [need for need in needs if need]
        met_households = 0
        for row in rows:
            met = all(
                any(row.reach[code].band is not None for code in need) for need in needs
            )
            row.groupings_met[name] = met
            met_households += row.households if met else 0
        out.append(
            GroupingRow(
                name=name,
                type_names=[[names[c] for c in need] for need in needs],
                households_met=met_households,
                share=_share(met_households, households_total),
                met=bool(rows) and met_households == households_total,
            )
        )
    return out


# --- site suggestion, what-if, isochrones -----------------------------------------


@dataclass
class SiteSuggestion:
    rank: int
    lat: float
    lng: float
    households_gained: int
    compounds: list[str]
    # Indices into the `uncovered` origins of the compounds newly reached.
    positions: list[int] = field(default_factory=list)
    # Where it is, in words: the nearest named street of the network ('' without
    # one) and the nearest compound.
    street: str = ""
    near_compound: str = ""

    @property
    def place(self) -> str:
        """'近 学清路, 双泉嘉苑旁': how a planner tells someone where the site is."""
        return describe_place(self.street, self.near_compound)


def describe_place(street: str, compound: str) -> str:
    """A site in words from its nearest street and compound (either may be '')."""
    parts = []
    if street:
        parts.append(_("近 %(street)s") % {"street": street})
    if compound:
        parts.append(_("%(compound)s旁") % {"compound": compound})
    return _(", ").join(parts) if parts else _("位置见地图")


def _business_type(code: str) -> BusinessType:
    bt = BusinessType.objects.filter(code=code).first()
    if bt is None:
        raise DomainError(Code.UNKNOWN_BUSINESS_TYPE, "没有这个业态", field="type")
    return bt


def suggest_sites(
    *,
    actor,
    community: Community,
    type_code: str,
    profile: str = "standard",
    minutes: int = eng.TARGET_MIN,
    top: int = 5,
) -> list[SiteSuggestion]:
    """Suggest up to `top` sites for a new shop of a type, by greedy max-coverage.

    Candidates are the street-network nodes near the compounds not yet reached
    within `minutes` (a 50 m grid without a network). Each round picks the site
    that newly covers the most households, ties going to the one nearest on
    average to what it covers; rounds stop when nothing more can be gained.
    Raises `not_community_operator`, `unknown_business_type`,
    `unknown_speed_profile`, `no_compounds`.
    """
    get_planning_community(actor=actor, slug=community.slug)
    bt = _business_type(type_code)
    radius = get_speed(profile) * minutes * 60
    inputs = eng.load_inputs(community)
    if inputs.n_compounds == 0:
        raise DomainError(Code.NO_COMPOUNDS, "本社区还没有录入小区,无法计算覆盖")
    picks, _uncovered = pick_sites(inputs, bt, radius=radius, top=top)
    return picks


def pick_sites(inputs, bt: BusinessType, *, radius: float, top: int):
    """Greedy max-coverage over `inputs`' compounds not yet within `radius` of `bt`.

    Returns the picks and the uncovered origins their `positions` index into.
    """
    engine = eng.build_engine(inputs)
    origins = np.arange(inputs.n_compounds)
    current = engine.nearest(origins, inputs.facility_points(bt.id), limit=radius)
    uncovered = origins[~np.isfinite(current)]
    if len(uncovered) == 0:
        return [], uncovered
    lat, lng, dist = engine.candidates(uncovered, limit=radius)
    households = inputs.households()[uncovered]
    picks = _greedy(inputs, uncovered, households, lat, lng, dist <= radius, dist, top)
    for pick in picks:
        pick.street, pick.near_compound = _landmarks(engine, inputs, pick.lat, pick.lng)
    return picks, uncovered


def _landmarks(engine, inputs, lat: float, lng: float) -> tuple[str, str]:
    """The nearest named street (network engines only) and nearest compound."""
    index = getattr(engine, "index", None)
    street = index.nearest_street(lat, lng) if index is not None else ""
    compound = min(
        inputs.compounds,
        key=lambda c: haversine_m(lat, lng, c["lat"], c["lng"]),
        default=None,
    )
    return street, (compound["name"] if compound else "")


def _greedy(inputs, uncovered, households, lat, lng, covers, dist, top):
    picks: list[SiteSuggestion] = []
    open_mask = np.ones(len(uncovered), dtype=bool)
    mean_dist = np.where(covers, dist, 0).sum(axis=0) / np.maximum(
        covers.sum(axis=0), 1
    )
    for rank in range(1, top + 1):
        gain = (covers & open_mask[:, None]).T @ households
        if len(gain) == 0 or gain.max() <= 0:
            break
        best = np.flatnonzero(gain == gain.max())
        choice = int(best[np.argmin(mean_dist[best])])
        newly = covers[:, choice] & open_mask
        picks.append(
            SiteSuggestion(
                rank=rank,
                lat=round(float(lat[choice]), 6),
                lng=round(float(lng[choice]), 6),
                households_gained=int(gain[choice]),
                compounds=[
                    inputs.compounds[int(uncovered[i])]["name"]
                    for i in np.flatnonzero(newly)
                ],
                positions=[int(i) for i in np.flatnonzero(newly)],
            )
        )
        open_mask &= ~newly
    return picks


@dataclass
class WhatIfRow:
    name: str
    households: int
    before_minutes: float | None
    after_minutes: float | None

    @property
    def before_covered(self) -> bool:
        return self.before_minutes is not None and self.before_minutes <= eng.TARGET_MIN

    @property
    def after_covered(self) -> bool:
        return self.after_minutes is not None and self.after_minutes <= eng.TARGET_MIN

    @property
    def turns_covered(self) -> bool:
        return self.after_covered and not self.before_covered


@dataclass
class WhatIf:
    business_type: BusinessType
    lat: float
    lng: float
    estimated: bool
    off_street_m: float
    rows: list[WhatIfRow]
    households_before: int
    households_after: int
    households_total: int
    served_households: dict[str, list[int]]

    @property
    def households_gained(self) -> int:
        return self.households_after - self.households_before


def simulate_shop(
    *,
    actor,
    community: Community,
    type_code: str,
    lat: float,
    lng: float,
    profile: str = "standard",
) -> WhatIf:
    """Show how coverage of a type changes if a shop opened at (lat, lng).

    Nothing is stored. Raises `not_community_operator`, `unknown_business_type`,
    `unknown_speed_profile`, `location_outside_range`, `location_too_far`
    (more than 5 km from the community centre).
    """
    get_planning_community(actor=actor, slug=community.slug)
    bt = _business_type(type_code)
    speed = get_speed(profile)
    if lat is None or lng is None or not valid_lat_lng(lat, lng):
        raise DomainError(
            Code.LOCATION_OUTSIDE_RANGE, "请在地图上选择位置", field="location"
        )
    if haversine_m(lat, lng, community.center_lat, community.center_lng) > 5000:
        raise DomainError(
            Code.LOCATION_TOO_FAR, "位置离社区太远(超过5公里)", field="location"
        )
    inputs = eng.load_inputs(community)
    engine = eng.build_engine(inputs, extra=[(lat, lng)])
    origins = np.arange(inputs.n_compounds)
    proposed = inputs.n_compounds + len(inputs.merchants)
    before = engine.nearest(origins, inputs.facility_points(bt.id), limit=eng.cap_m())
    new = engine.pairwise(origins, [proposed], limit=eng.cap_m())[:, 0]
    after = np.minimum(before, new)
    rows = [
        WhatIfRow(
            c["name"],
            c["households"],
            _minutes(float(b) if np.isfinite(b) else None, speed),
            _minutes(float(a) if np.isfinite(a) else None, speed),
        )
        for c, b, a in zip(inputs.compounds, before, after, strict=True)
    ]
    hh = inputs.households()
    return WhatIf(
        business_type=bt,
        lat=lat,
        lng=lng,
        estimated=engine.estimated,
        off_street_m=float(engine.off_street_m[proposed]),
        rows=rows,
        households_before=sum(r.households for r in rows if r.before_covered),
        households_after=sum(r.households for r in rows if r.after_covered),
        households_total=int(hh.sum()),
        served_households=eng.households_within(new, hh),
    )


def get_isochrones(
    *,
    actor,
    community: Community,
    profile: str = "standard",
    compound_id: int | None = None,
) -> dict:
    """Return a GeoJSON FeatureCollection of 5/10/15-minute areas per compound.

    Only `compound_id`'s when given (raises `unknown_compound` if it is not the
    community's). Polygons buffer the street segments reached (partly reached
    ones cut at the radius); without a network they are circles of radius / 1.3,
    marked `estimated`. Each compound's polygons are cached under the network,
    its position and the speed, so a change is never served stale. Raises
    `not_community_operator`, `unknown_speed_profile`.
    """
    get_planning_community(actor=actor, slug=community.slug)
    speed = get_speed(profile)
    inputs = eng.load_inputs(community)
    compounds = inputs.compounds
    if compound_id is not None:
        compounds = [c for c in compounds if c["id"] == compound_id]
        if not compounds:
            raise NotFound(
                Code.UNKNOWN_COMPOUND, "本社区没有这个小区", field="compound"
            )
    features = []
    for c in compounds:
        features += _compound_isochrones(inputs.network, c, speed)
    return {"type": "FeatureCollection", "features": features}


def _compound_isochrones(network, compound: dict, speed: float) -> list[dict]:
    import shapely

    net_key = f"{network.pk}:{network.imported_at.timestamp()}" if network else "none"
    key = (
        f"coverage:iso:{eng.ENGINE_VERSION}:{net_key}:{compound['lat']}:"
        f"{compound['lng']}:{speed}"
    )
    cached = _cache_get(key)
    if cached is None:
        engine = eng.build_point_engine(network, [(compound["lat"], compound["lng"])])
        polygons = engine.isochrones(0, eng.band_radii_m(speed))
        cached = [
            {
                "minutes": minutes,
                "estimated": engine.estimated,
                # ~0.1 m precision keeps the JSON small.
                "geometry": shapely.geometry.mapping(shapely.set_precision(p, 1e-6)),
            }
            for minutes, p in zip(eng.BANDS_MIN, polygons, strict=True)
        ]
        _cache_set(key, cached)
    return [
        {
            "type": "Feature",
            "geometry": item["geometry"],
            "properties": {
                "compound_id": compound["id"],
                "compound": compound["name"],
                "minutes": item["minutes"],
                "estimated": item["estimated"],
            },
        }
        for item in cached
    ]


def _cache_get(key: str):
    from django.core.cache import cache

    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - a missing cache table must not break the map
        return None


def _cache_set(key: str, value) -> None:
    from django.core.cache import cache

    try:
        cache.set(key, value, timeout=24 * 3600)
    except Exception:  # noqa: BLE001 - see _cache_get
        pass


def list_map_points(*, community: Community, report: GapReport) -> dict:
    """Compounds (with gap colouring data) and merchants for the planning map."""
    compounds = [
        {
            "id": r.id,
            "name": r.name,
            "lat": r.lat,
            "lng": r.lng,
            "households": r.households,
            "missing_basic": [t.name_zh for t in r.missing_basic],
            "all_basic": r.all_basic,
            "reach": {code: tr.minutes for code, tr in r.reach.items()},
        }
        for r in report.compounds
    ]
    merchants = list(
        Merchant.objects.filter(
            community=community, admission=Admission.APPROVED
        ).values(
            "id",
            "name",
            "lat",
            "lng",
            "status",
            "main_type__code",
            "main_type__name_zh",
            "main_type__tier",
            "reach__households",
        )
    )
    for m in merchants:
        bands = (m.pop("reach__households") or {}).get(report.profile) or [0, 0, 0]
        m["households_15"] = bands[-1]
    return {
        "compounds": compounds,
        "merchants": merchants,
        "center": [community.center_lat, community.center_lng],
        "estimated": report.estimated,
    }


@dataclass
class PendingShop:
    """An application (or an OSM candidate) waiting for review, with its reach."""

    merchant: Merchant
    households: list[int]
    fills_gap_households: int


def list_pending_shops(*, report: GapReport, limit: int = 50) -> list[PendingShop]:
    """Applications of the report's community, biggest gap closed first.

    `fills_gap_households` counts households within 15 minutes of the shop that
    do not yet reach its type within 15 minutes: what approving it would add.
    """
    community = report.community
    qs = (
        Merchant.objects.filter(community=community, admission=Admission.APPLIED)
        .select_related("main_type", "reach")
        .order_by("id")[:500]
    )
    speed = report.speed
    limit_m = speed * eng.TARGET_MIN * 60
    rows = {r.id: r for r in report.compounds}
    pending = []
    pairs = _pending_distances(community, [m.id for m in qs], list(rows))
    for m in qs:
        reach = getattr(m, "reach", None)
        bands = (reach.households.get(report.profile) if reach else None) or [0, 0, 0]
        gain = sum(
            rows[cid].households
            for cid, d in pairs.get(m.id, {}).items()
            if d <= limit_m and rows[cid].reach[m.main_type.code].band is None
        )
        pending.append(
            PendingShop(merchant=m, households=bands, fills_gap_households=gain)
        )
    pending.sort(
        key=lambda p: (-p.fills_gap_households, -p.households[-1], p.merchant.id)
    )
    return pending[:limit]


def _pending_distances(
    community, merchant_ids, compound_ids
) -> dict[int, dict[int, float]]:
    """Return walking metres from each compound to each listed merchant, freshly."""
    if not merchant_ids or not compound_ids:
        return {}
    inputs = eng.load_inputs(community)
    positions = {m["id"]: i for i, m in enumerate(inputs.merchants)}
    wanted = [mid for mid in merchant_ids if mid in positions]
    if not wanted:
        return {}
    engine = eng.build_engine(inputs)
    matrix = engine.pairwise(
        np.arange(inputs.n_compounds),
        [inputs.merchant_point(positions[mid]) for mid in wanted],
        limit=eng.max_band_radius_m(),
    )
    return {
        mid: {c["id"]: float(matrix[i, j]) for i, c in enumerate(inputs.compounds)}
        for j, mid in enumerate(wanted)
    }


def get_merchant_households(*, merchant: Merchant, profile: str = "standard"):
    """Return households within 5/10/15 minutes of a merchant, or None if unknown.

    Reads the stored figures (kept fresh by `services.refresh_for_merchant`);
    for other apps' pages such as the merchant detail or console.
    """
    from quarter.coverage.models import MerchantReach

    reach = MerchantReach.objects.filter(merchant=merchant).first()
    if reach is None:
        return None
    return dict(zip(eng.BANDS_MIN, reach.households.get(profile) or [], strict=False))
