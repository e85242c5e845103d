"""Read an OpenStreetMap extract (.osm.pbf or .osm XML) into a walking graph and POIs.

Pure functions over a file, no database: the import service, the benchmark and the
tests all use them. The walking graph keeps every OSM node on a walkable way, so an
edge is one straight segment between two consecutive way nodes; a point can then be
projected exactly onto its nearest edge.

Which ways are walkable (following OSM's access tagging and the common pedestrian
routing profiles):

* `highway` in WALKABLE_HIGHWAYS, or `cycleway`/`bridleway` with explicit foot access;
* never `motorway`/`motorway_link`, nor `trunk`/`trunk_link` unless tagged `foot=yes`
  (in Chinese cities trunk roads are mostly elevated expressways);
* not `foot=no`, and not `access=private|no` unless `foot` explicitly allows it;
* not `area=yes` outlines of squares counted twice (they are still walkable edges).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

WALKABLE_HIGHWAYS = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "residential",
        "living_street",
        "service",
        "steps",
        "unclassified",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "track",
        "road",
        "corridor",
        "crossing",
        "platform",
        "elevator",
    }
)
NEEDS_FOOT_TAG = frozenset({"cycleway", "bridleway", "trunk", "trunk_link", "busway"})
NEVER_WALKABLE = frozenset(
    {
        "motorway",
        "motorway_link",
        "construction",
        "proposed",
        "raceway",
        "bus_guideway",
        "abandoned",
        "disused",
        "escape",
    }
)
FOOT_YES = frozenset({"yes", "designated", "permissive", "official"})
FOOT_NO = frozenset({"no", "private", "use_sidepath"})
ACCESS_NO = frozenset({"no", "private"})
POI_KEYS = (
    "shop",
    "amenity",
    "craft",
    "office",
    "leisure",
    "healthcare",
    "social_facility",
)


def is_walkable(tags: dict[str, str]) -> bool:
    """Return whether a way with these tags may be walked along."""
    highway = tags.get("highway")
    if not highway or highway in NEVER_WALKABLE:
        return False
    foot = tags.get("foot", "")
    if foot in FOOT_NO:
        return False
    if highway in NEEDS_FOOT_TAG:
        return foot in FOOT_YES
    if highway not in WALKABLE_HIGHWAYS:
        return False
    if tags.get("access", "") in ACCESS_NO and foot not in FOOT_YES:
        return False
    return True


@dataclass
class Poi:
    """A shop or amenity: `ref` is 'n123' for a node, 'w456' for a way (centroid)."""

    ref: str
    lat: float
    lng: float
    tags: dict[str, str]

    @property
    def name(self) -> str:
        t = self.tags
        return t.get("name:zh") or t.get("name:zh-Hans") or t.get("name") or ""


@dataclass
class Extract:
    """What one pass over an extract yields."""

    node_lat: np.ndarray
    node_lng: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_len: np.ndarray
    pois: list[Poi] = field(default_factory=list)
    buildings: list[tuple[float, float]] = field(default_factory=list)
    walkable_ways: int = 0


class OsmReadError(Exception):
    """The file could not be read as OpenStreetMap data."""


def haversine_arrays(lat1, lng1, lat2, lng2) -> np.ndarray:
    """Great-circle distances in metres, element-wise over numpy arrays."""
    r = 6_371_008.8
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lng2) - np.asarray(lng1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def _in_bbox(bbox, lat, lng) -> bool:
    min_lat, min_lng, max_lat, max_lng = bbox
    return min_lat <= lat <= max_lat and min_lng <= lng <= max_lng


def read_extract(
    path: str,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    with_pois: bool = True,
    with_buildings: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Extract:
    """Read walkable segments (and POIs, buildings) from an OSM file.

    `bbox` is (min_lat, min_lng, max_lat, max_lng): a segment is kept when one of
    its ends lies inside, a POI when it lies inside. `progress(n)` is called with
    the number of objects read since the last call. Raises OsmReadError when the
    file is missing, corrupt or not OSM data.
    """
    import osmium

    seg_a: list[int] = []
    seg_b: list[int] = []
    node_index: dict[int, int] = {}
    lats: list[float] = []
    lngs: list[float] = []
    pois: list[Poi] = []
    buildings: list[tuple[float, float]] = []
    walkable_ways = 0

    def node_id(osm_id: int, lat: float, lng: float) -> int:
        idx = node_index.get(osm_id)
        if idx is None:
            idx = node_index[osm_id] = len(lats)
            lats.append(lat)
            lngs.append(lng)
        return idx

    keys = ["highway"] + (list(POI_KEYS) if with_pois else [])
    if with_buildings:
        keys.append("building")
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_filter(osmium.filter.KeyFilter(*keys))
        )
        seen = 0
        for obj in processor:
            seen += 1
            if progress is not None and seen % 5000 == 0:
                progress(5000)
            tags = {t.k: t.v for t in obj.tags}
            if obj.is_node():
                if with_pois and any(k in tags for k in POI_KEYS):
                    loc = obj.location
                    if loc.valid() and (
                        bbox is None or _in_bbox(bbox, loc.lat, loc.lon)
                    ):
                        pois.append(Poi(f"n{obj.id}", loc.lat, loc.lon, tags))
                continue
            if not obj.is_way():
                continue
            coords = [(n.ref, n.location) for n in obj.nodes if n.location.valid()]
            if not coords:
                continue
            if "highway" in tags and is_walkable(tags):
                kept = _add_way(coords, bbox, node_id, seg_a, seg_b)
                walkable_ways += kept
            is_poi = with_pois and any(k in tags for k in POI_KEYS)
            is_building = (
                with_buildings and "building" in tags and tags["building"] != "no"
            )
            if is_poi or is_building:
                ring = (
                    coords[:-1]
                    if len(coords) > 1 and coords[0][0] == coords[-1][0]
                    else coords
                )
                lat = sum(c[1].lat for c in ring) / len(ring)
                lng = sum(c[1].lon for c in ring) / len(ring)
                if bbox is None or _in_bbox(bbox, lat, lng):
                    if is_poi:
                        pois.append(Poi(f"w{obj.id}", lat, lng, tags))
                    elif is_building:
                        buildings.append((lat, lng))
        if progress is not None:
            progress(seen % 5000)
    except (RuntimeError, ValueError, OSError) as exc:
        raise OsmReadError(str(exc)) from exc
    node_lat = np.asarray(lats, dtype=np.float64)
    node_lng = np.asarray(lngs, dtype=np.float64)
    u = np.asarray(seg_a, dtype=np.int32)
    v = np.asarray(seg_b, dtype=np.int32)
    length = (
        haversine_arrays(node_lat[u], node_lng[u], node_lat[v], node_lng[v])
        if len(u)
        else np.zeros(0)
    )
    return Extract(
        node_lat=node_lat,
        node_lng=node_lng,
        edge_u=u,
        edge_v=v,
        edge_len=length.astype(np.float32),
        pois=pois,
        buildings=buildings,
        walkable_ways=walkable_ways,
    )


def _add_way(coords, bbox, node_id, seg_a, seg_b) -> int:
    kept = 0
    for (ref_a, loc_a), (ref_b, loc_b) in zip(coords, coords[1:], strict=False):
        if ref_a == ref_b:
            continue
        if bbox is not None and not (
            _in_bbox(bbox, loc_a.lat, loc_a.lon) or _in_bbox(bbox, loc_b.lat, loc_b.lon)
        ):
            continue
        seg_a.append(node_id(ref_a, loc_a.lat, loc_a.lon))
        seg_b.append(node_id(ref_b, loc_b.lat, loc_b.lon))
        kept = 1
    return kept


def parse_osm_tags(text: str) -> list[tuple[str, str]]:
    """Split 'shop=convenience;amenity=pharmacy' into (key, value) pairs."""
    pairs = []
    for part in (text or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key and value:
            pairs.append((key.strip(), value.strip()))
    return pairs


def build_tag_map(types: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Map (key, value) → business type code from (code, osm_tags) pairs.

    The first type to claim a tag wins, so the catalogue order decides ties.
    """
    mapping: dict[tuple[str, str], str] = {}
    for code, osm_tags in types:
        for pair in parse_osm_tags(osm_tags):
            mapping.setdefault(pair, code)
    return mapping


def classify_poi(
    tags: dict[str, str], tag_map: dict[tuple[str, str], str]
) -> str | None:
    """Return the business type code of a POI, or None if none fits.

    A more specific key wins over a general one: `social_facility=nursing_home`
    beats `amenity=social_facility`, `healthcare=*` beats a bare `amenity`.
    """
    order = (
        "social_facility",
        "shop",
        "craft",
        "healthcare",
        "amenity",
        "office",
        "leisure",
    )
    for key in order:
        value = tags.get(key)
        if value and (key, value) in tag_map:
            return tag_map[(key, value)]
    return None


def bbox_of(lat: np.ndarray, lng: np.ndarray) -> tuple[float, float, float, float]:
    """Return (min_lat, min_lng, max_lat, max_lng) of the points."""
    return float(lat.min()), float(lng.min()), float(lat.max()), float(lng.max())


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """Parse 'min_lng,min_lat,max_lng,max_lat' (the osmium/OSM order) into our order.

    Raises ValueError with a readable reason.
    """
    parts = [p.strip() for p in (text or "").split(",")]
    if len(parts) != 4:
        raise ValueError("bbox 应为 最小经度,最小纬度,最大经度,最大纬度")
    try:
        min_lng, min_lat, max_lng, max_lat = (float(p) for p in parts)
    except ValueError:
        raise ValueError("bbox 只能包含数字") from None
    if not (-180 <= min_lng < max_lng <= 180 and -90 <= min_lat < max_lat <= 90):
        raise ValueError("bbox 的范围不合理(最小值须小于最大值)")
    if any(math.isnan(x) for x in (min_lng, min_lat, max_lng, max_lat)):
        raise ValueError("bbox 只能包含数字")
    return min_lat, min_lng, max_lat, max_lng
