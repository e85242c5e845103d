"""The inputs of a community's coverage and the distance engine built over them.

Shared by services (which store results) and selectors (which answer what-if and
site questions without storing). A community's points are its compounds first,
then its merchants that are not rejected or removed; facilities are the approved
merchants that are open. Coverage is per community: shops of a neighbouring
community do not count, as in the seeds' community reports.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import Max, Min, Q

from quarter.core.geo import METERS_PER_DEG_LAT, meters_per_deg_lng
from quarter.coverage import engine_cache, parallel
from quarter.coverage.graph import (
    GraphIndex,
    NetworkReach,
    StraightLineReach,
)
from quarter.coverage.models import StreetNetwork
from quarter.places.models import (
    Admission,
    Community,
    Compound,
    Merchant,
    MerchantStatus,
)

BANDS_MIN = (5, 10, 15)
TARGET_MIN = 15
ENGINE_VERSION = 2  # bump when the computation changes, so stored figures refresh


def speed_profiles() -> dict[str, float]:
    """Walking speeds in m/s by profile (settings or environment may override)."""
    return {
        "standard": float(
            getattr(settings, "QUARTER_WALK_SPEED_MPS", None)
            or os.environ.get("QUARTER_WALK_SPEED_MPS", 1.2)
        ),
        "elderly": float(
            getattr(settings, "QUARTER_ELDERLY_SPEED_MPS", None)
            or os.environ.get("QUARTER_ELDERLY_SPEED_MPS", 0.8)
        ),
    }


PROFILE_LABELS = {"standard": "成年人(1.2米/秒)", "elderly": "老年人(0.8米/秒)"}


def cap_m() -> float:
    """The farthest walk computed and stored, in metres (30 min at 1.33 m/s)."""
    return float(getattr(settings, "QUARTER_COVERAGE_CAP_M", 2400))


def max_off_street_m() -> float:
    """Beyond this distance from any walkable way a compound's figures are doubtful."""
    return float(getattr(settings, "QUARTER_MAX_OFF_STREET_M", 300))


def band_radii_m(speed: float) -> list[float]:
    return [speed * minutes * 60 for minutes in BANDS_MIN]


def max_band_radius_m() -> float:
    return max(band_radii_m(max(speed_profiles().values())))


@dataclass
class Inputs:
    community: Community
    network: StreetNetwork | None
    compounds: list[dict] = field(default_factory=list)
    merchants: list[dict] = field(default_factory=list)
    digest: str | None = None  # of the compounds, computed when first wanted
    box: tuple[float, float, float, float] | None = None  # reach_box, likewise

    @property
    def n_compounds(self) -> int:
        return len(self.compounds)

    def merchant_point(self, position: int) -> int:
        return self.n_compounds + position

    def facility_points(self, type_id: int) -> np.ndarray:
        """Point indices of the approved, open merchants of one type."""
        if getattr(self, "_facilities", None) is None:
            by_type: dict[int, list[int]] = {}
            for i, m in enumerate(self.merchants):
                if is_facility(m):
                    by_type.setdefault(m["main_type_id"], []).append(
                        self.n_compounds + i
                    )
            self._facilities = {
                t: np.array(points, dtype=np.int64) for t, points in by_type.items()
            }
        return self._facilities.get(type_id, np.zeros(0, dtype=np.int64))

    def households(self) -> np.ndarray:
        return np.array([c["households"] for c in self.compounds], dtype=np.int64)

    def fingerprint(self, *, replace: list[dict] | dict | None = None) -> str:
        """Hash the inputs; `replace` swaps in merchant rows (lat None drops one).

        The compounds' part is hashed once per change of the compounds (see
        `community_compounds`): a shop's update hashes the inputs twice, and
        most page views hash the same compounds as the last one.
        """
        if isinstance(replace, dict):
            replace = [replace]
        replace = replace or []
        replaced = {r["id"] for r in replace}
        merchants = [m for m in self.merchants if m["id"] not in replaced]
        merchants += [r for r in replace if r.get("lat") is not None]
        payload = [
            ENGINE_VERSION,
            cap_m(),
            sorted(speed_profiles().items()),  # households per band depend on it
            self.network.pk if self.network else None,
            self.compounds_digest(),
            sorted(
                [
                    m["id"],
                    m["lat"],
                    m["lng"],
                    m["main_type_id"],
                    m["admission"],
                    m["status"],
                ]
                for m in merchants
            ),
        ]
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()

    def compounds_digest(self) -> str:
        if self.digest is None:
            self.digest = digest_of(self.compounds)
        return self.digest

    def reach_box(self) -> tuple[float, float, float, float]:
        if self.box is None:
            self.box = reach_box(self.community, self.compounds)
        return self.box


def digest_of(compounds: list[dict]) -> str:
    """SHA-256 of the compounds' ids, places and household counts, in order."""
    ids = np.array([c["id"] for c in compounds], dtype="<i8")
    values = np.array(
        [(c["lat"], c["lng"], c["households"]) for c in compounds], dtype="<f8"
    )
    digest = hashlib.sha256(ids.tobytes())
    digest.update(values.tobytes())
    return digest.hexdigest()


def is_facility(m: dict) -> bool:
    return m["admission"] == Admission.APPROVED and m["status"] == MerchantStatus.OPEN


MERCHANT_FIELDS = (
    "id",
    "name",
    "lat",
    "lng",
    "main_type_id",
    "admission",
    "status",
    "community_id",
)


def load_inputs(community: Community) -> Inputs:
    """Read what a community's coverage depends on, in a stable order.

    Shops serve whoever can walk to them: besides the community's own shops,
    the inputs hold every other community's shop inside `reach_box` (a
    resident may walk across the boundary). Only the community's own shops
    get their household counts (`MerchantReach`) from this community's run.
    """
    compounds, digest = community_compounds(community)
    candidates = Merchant.objects.exclude(
        admission__in=[Admission.REJECTED, Admission.REMOVED]
    )
    box = reach_box(community, compounds)
    merchants = list(
        candidates.filter(
            Q(community=community)
            | Q(
                lat__gte=box[0],
                lng__gte=box[1],
                lat__lte=box[2],
                lng__lte=box[3],
            )
        )
        .order_by("id")
        .values(*MERCHANT_FIELDS)
    )
    own = [m for m in merchants if m["community_id"] == community.pk]
    return Inputs(
        community=community,
        network=network_for(
            community, points=community_points(community, compounds, own)
        ),
        compounds=compounds,
        merchants=merchants,
        digest=digest,
        box=box,
    )


_COMPOUNDS: dict[int, tuple[str, list[dict], str]] = {}
_COMPOUNDS_LOCK = threading.Lock()
_COMPOUNDS_KEPT = 64  # communities


def community_compounds(community: Community) -> tuple[list[dict], str]:
    """The community's compounds in id order, and their digest.

    Read from the database once per change of the compounds: the process
    keeps them under the community's `compounds_stamp`, which every write to
    a compound replaces (places' receivers and CompoundQuerySet), in this
    process or any other. The dicts are shared: read them, never change them.
    """
    stamp = (
        Community.objects.filter(pk=community.pk)
        .values_list("compounds_stamp", flat=True)
        .first()
    )
    with _COMPOUNDS_LOCK:
        kept = _COMPOUNDS.get(community.pk)
    if kept is not None and kept[0] == stamp:
        return list(kept[1]), kept[2]
    compounds = list(
        Compound.objects.filter(community=community)
        .order_by("id")
        .values("id", "name", "lat", "lng", "households")
    )
    digest = digest_of(compounds)
    if stamp is not None:
        with _COMPOUNDS_LOCK:
            _COMPOUNDS.pop(community.pk, None)
            while len(_COMPOUNDS) >= _COMPOUNDS_KEPT:
                _COMPOUNDS.pop(next(iter(_COMPOUNDS)))
            _COMPOUNDS[community.pk] = (stamp, compounds, digest)
    return list(compounds), digest


def reach_box(
    community: Community, compounds=None
) -> tuple[float, float, float, float]:
    """(min_lat, min_lng, max_lat, max_lng) a shop must lie in to serve the compounds.

    The compounds' extent (the centre without compounds) widened by the
    computation cap: a shop farther away than that is out of anyone's reach.
    """
    if compounds is None:
        compounds = list(
            Compound.objects.filter(community=community).values("lat", "lng")
        )
    lats = [c["lat"] for c in compounds] or [community.center_lat]
    lngs = [c["lng"] for c in compounds] or [community.center_lng]
    dlat = cap_m() / METERS_PER_DEG_LAT
    dlng = cap_m() / meters_per_deg_lng(max(abs(x) for x in lats))
    return min(lats) - dlat, min(lngs) - dlng, max(lats) + dlat, max(lngs) + dlng


def communities_reaching(points) -> list[int]:
    """Ids of the communities whose `reach_box` holds any of `points` (lat, lng)."""
    extents = {
        row["community_id"]: row
        for row in Compound.objects.values("community_id").annotate(
            lo_lat=Min("lat"), lo_lng=Min("lng"), hi_lat=Max("lat"), hi_lng=Max("lng")
        )
    }
    ids = []
    for community in Community.objects.order_by("id"):
        e = extents.get(community.pk)
        corners = (
            [
                {"lat": e["lo_lat"], "lng": e["lo_lng"]},
                {"lat": e["hi_lat"], "lng": e["hi_lng"]},
            ]
            if e
            else []
        )
        lo_lat, lo_lng, hi_lat, hi_lng = reach_box(community, corners)
        if any(lo_lat <= a <= hi_lat and lo_lng <= b <= hi_lng for a, b in points):
            ids.append(community.pk)
    return ids


def community_points(
    community: Community, compounds: list[dict] | None = None, merchants=None
) -> list[tuple[float, float]]:
    """The places a community's figures are about: its compounds and its shops.

    A community with neither is represented by its centre.
    """
    if compounds is None:
        compounds = list(
            Compound.objects.filter(community=community).values("lat", "lng")
        )
    if merchants is None:
        merchants = list(
            Merchant.objects.filter(community=community)
            .exclude(admission__in=[Admission.REJECTED, Admission.REMOVED])
            .values("lat", "lng")
        )
    points = [(c["lat"], c["lng"]) for c in compounds]
    points += [(m["lat"], m["lng"]) for m in merchants]
    return points or [(community.center_lat, community.center_lng)]


def covered_share(network: StreetNetwork, points) -> tuple[int, int]:
    """How many of `points` lie in the network's extent, and of how many.

    The extent is widened by the largest distance a place may be from a
    walkable way (`max_off_street_m`): a compound beside the last street is in.
    """
    if not len(points):
        return 0, 0
    pts = np.asarray(points, dtype=np.float64)
    lat, lng = pts[:, 0], pts[:, 1]
    margin = max_off_street_m()
    dlat = margin / METERS_PER_DEG_LAT
    dlng = margin / (METERS_PER_DEG_LAT * np.cos(np.radians(lat)))
    inside = (
        (network.min_lat - dlat <= lat)
        & (lat <= network.max_lat + dlat)
        & (network.min_lng - dlng <= lng)
        & (lng <= network.max_lng + dlng)
    )
    return int(inside.sum()), len(pts)


def network_for(
    community: Community, *, points=None, extra: StreetNetwork | None = None
) -> StreetNetwork | None:
    """Return the network a community's figures use.

    The one that covers the most of the community's compounds and shops (all
    of them, normally); among equals the newest. A network that covers fewer
    places never replaces one that covers more, so importing a small area
    cannot silently cut a community off. `extra` is an unsaved network to
    weigh as the newest (an import deciding what it would replace).
    """
    points = points if points is not None else community_points(community)
    candidates = list(
        StreetNetwork.objects.defer("data").order_by("-imported_at", "-id")
    )
    if extra is not None:
        candidates.insert(0, extra)
    best, best_covered = None, 0
    for network in candidates:
        covered, _ = covered_share(network, points)
        if covered > best_covered:
            best, best_covered = network, covered
    return best


_INDEX_CACHE: dict[tuple, GraphIndex] = {}
_INDEX_LOCK = threading.Lock()
_INDEX_CACHE_SIZE = 2
_REACH_CACHE: dict[str, NetworkReach] = {}
_REACH_CACHE_SIZE = 4


def graph_index(network: StreetNetwork) -> GraphIndex:
    """Load (once per process) a network's graph and spatial index.

    A network row never changes after import, so caching it by primary key is
    safe on any number of servers; each reads it from the database. Across
    processes the index's arrays come memory-mapped from the engine cache
    (engine_cache.py), keyed by the hash of the stored graph.
    """
    # The key holds more than the pk: a rolled-back import may free a pk for reuse.
    key = (
        network.pk,
        network.source_sha256,
        network.imported_at.isoformat(),
        network.node_count,
        network.edge_count,
    )
    with _INDEX_LOCK:
        index = _INDEX_CACHE.get(key)
    if index is not None:
        return index
    data = StreetNetwork.objects.values_list("data", flat=True).get(pk=network.pk)
    index, index.cache_key = engine_cache.load_index(data)
    with _INDEX_LOCK:
        while len(_INDEX_CACHE) >= _INDEX_CACHE_SIZE:
            _INDEX_CACHE.pop(next(iter(_INDEX_CACHE)))
        _INDEX_CACHE[key] = index
    return index


def spread(fn, shared, tasks) -> list:
    """A recompute's searches, shared with `QUARTER_COVERAGE_HELPERS` processes."""
    return parallel.spread(fn, shared, tasks, helpers=settings.QUARTER_COVERAGE_HELPERS)


def network_reach(index: GraphIndex, lat, lng) -> NetworkReach:
    """A NetworkReach over these points, reusing a snap of the same points.

    The same points on the same network (a shop approved, suspended or
    reinstated moves no point) reuse the built engine in this process, and
    the snap from the engine cache in another; a NetworkReach is read-only
    once built.
    """
    lat = np.asarray(lat, dtype=np.float64)
    lng = np.asarray(lng, dtype=np.float64)
    network_key = getattr(index, "cache_key", None)
    if network_key is None or len(lat) == 0:
        return NetworkReach(index, lat, lng, spread=spread)
    points_key = engine_cache.points_hash(network_key, lat, lng)
    with _INDEX_LOCK:
        reach = _REACH_CACHE.get(points_key)
    if reach is not None:
        return reach
    snap = engine_cache.load_snap(network_key, points_key)
    reach = NetworkReach(index, lat, lng, snap=snap, spread=spread)
    if snap is None:
        engine_cache.store_snap(network_key, points_key, reach.snap)
    with _INDEX_LOCK:
        while len(_REACH_CACHE) >= _REACH_CACHE_SIZE:
            _REACH_CACHE.pop(next(iter(_REACH_CACHE)))
        _REACH_CACHE[points_key] = reach
    return reach


def forget_process_caches() -> None:
    """Drop this process's indices and engines (as a new process would start)."""
    with _INDEX_LOCK:
        _INDEX_CACHE.clear()
        _REACH_CACHE.clear()
    with _COMPOUNDS_LOCK:
        _COMPOUNDS.clear()


def build_engine(inputs: Inputs, extra: list[tuple[float, float]] = ()):
    """Return a distance engine over compounds, merchants, then `extra` points."""
    lat = [c["lat"] for c in inputs.compounds] + [m["lat"] for m in inputs.merchants]
    lng = [c["lng"] for c in inputs.compounds] + [m["lng"] for m in inputs.merchants]
    lat += [p[0] for p in extra]
    lng += [p[1] for p in extra]
    if inputs.network is not None:
        return network_reach(graph_index(inputs.network), lat, lng)
    return StraightLineReach(lat, lng)


def build_point_engine(
    network: StreetNetwork | None, points: list[tuple[float, float]]
):
    """Return a distance engine over just these points (e.g. one compound)."""
    lat = [p[0] for p in points]
    lng = [p[1] for p in points]
    if network is not None:
        return network_reach(graph_index(network), lat, lng)
    return StraightLineReach(lat, lng)


def households_within(dist: np.ndarray, households: np.ndarray) -> dict[str, list[int]]:
    """Households within each band per profile, from a (compounds,) distance column."""
    out = {}
    for profile, speed in speed_profiles().items():
        out[profile] = [int(households[dist <= r].sum()) for r in band_radii_m(speed)]
    return out


def households_within_points(
    engine, points, compounds, households: np.ndarray
) -> list[dict[str, list[int]]]:
    """`households_within` for each of `points` (shops), searched from the shops.

    One call for every profile's bands: {"standard": [h5, h10, h15], ...} each.
    """
    profiles = speed_profiles()
    radii = [r for speed in profiles.values() for r in band_radii_m(speed)]
    sums = np.rint(engine.weight_within(points, compounds, households, radii)).astype(
        np.int64
    )
    n = len(BANDS_MIN)
    names = list(profiles)
    # tolist() makes Python ints in one C pass (per-element int() was ~1/4
    # of the bands' cost at city scale).
    return [
        {profile: row[k * n : (k + 1) * n] for k, profile in enumerate(names)}
        for row in sums.tolist()
    ]
