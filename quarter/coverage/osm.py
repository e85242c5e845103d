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
# How prominent a walkable way is on a street map (0 most): a map drops the
# minor ranks at low zoom. Stored per edge beside the way's name (the street
# layer of quarter.maps); routing ignores both.
STREET_RANKS = {
    "primary": 0,
    "primary_link": 0,
    "trunk": 0,
    "trunk_link": 0,
    "secondary": 1,
    "secondary_link": 1,
    "tertiary": 1,
    "tertiary_link": 1,
    "unclassified": 2,
    "residential": 2,
    "living_street": 2,
    "pedestrian": 2,
    "road": 2,
}
MINOR_RANK = 3  # footways, paths, service roads, steps


def street_name(tags: dict[str, str]) -> str:
    """The name a street map shows: Chinese first, then the plain name."""
    return (
        tags.get("name:zh")
        or tags.get("name:zh-Hans")
        or tags.get("name")
        or tags.get("ref")
        or ""
    ).strip()[:60]


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


# No footway runs this far between two consecutive nodes; such an edge is a node
# with bad coordinates (e.g. 0,0) and would join the city to the Gulf of Guinea.
MAX_SEGMENT_M = 5_000.0
_UNDEFINED = 2**31 - 1  # osmium's coordinate of a location it never saw


@dataclass
class Skipped:
    """What an import left out, and why: reported, never a traceback."""

    missing_nodes: int = 0  # a way names a node the file does not hold
    nodes_out_of_range: int = 0  # latitude beyond ±90 or longitude beyond ±180
    long_segments: int = 0  # consecutive nodes further apart than MAX_SEGMENT_M
    ways: int = 0  # ways with at least one of the above
    pois: int = 0  # shops or amenities without usable coordinates

    @property
    def total(self) -> int:
        return self.missing_nodes + self.nodes_out_of_range + self.long_segments

    def describe(self) -> str:
        """One Chinese sentence for the operator, empty when nothing was skipped."""
        if not (self.total or self.pois):
            return ""
        return (
            f"已跳过有问题的数据:{self.ways} 条道路受影响"
            f"(缺失节点 {self.missing_nodes} 个,坐标超出范围的节点 "
            f"{self.nodes_out_of_range} 个,异常长的路段 {self.long_segments} 段),"
            f"无坐标的商店 {self.pois} 个"
        )


@dataclass
class Extract:
    """What one pass over an extract yields."""

    node_lat: np.ndarray
    node_lng: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_len: np.ndarray
    pois: list[Poi] = field(default_factory=list)
    # Per edge: index into `names` of its way's name (-1: unnamed) and its rank.
    edge_name: np.ndarray | None = None
    edge_rank: np.ndarray | None = None
    names: list[str] = field(default_factory=list)
    buildings: list[tuple[float, float]] = field(default_factory=list)
    walkable_ways: int = 0
    skipped: Skipped = field(default_factory=Skipped)


class OsmReadError(Exception):
    """The file could not be read as OpenStreetMap data."""


def haversine_arrays(lat1, lng1, lat2, lng2) -> np.ndarray:
    """Great-circle distances in metres, element-wise over numpy arrays."""
    r = 6_371_008.8
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lng2) - np.asarray(lng1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def mean_point(points: list[tuple[float, float]]) -> tuple[float, float]:
    """The mean of (lat, lng) points (an open way: a shop drawn as a line)."""
    return (
        sum(p[0] for p in points) / len(points),
        sum(p[1] for p in points) / len(points),
    )


def centroid(ring: list[tuple[float, float]]) -> tuple[float, float]:
    """Area-weighted centroid of a closed ring of (lat, lng), first == last.

    Computed on a local plane (longitude scaled by cos(latitude)), exact
    enough for a building. A degenerate ring (no area) falls back to the
    mean of its distinct vertices.
    """
    lat0, lng0 = ring[0]
    k = math.cos(math.radians(lat0))
    xy = [((lng - lng0) * k, lat - lat0) for lat, lng in ring]
    area2 = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(xy, xy[1:], strict=False):
        cross = x1 * y2 - x2 * y1
        area2 += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if abs(area2) < 1e-18:
        return mean_point(ring[:-1])
    return lat0 + cy / (3 * area2), lng0 + cx / (3 * area2) / k


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
    skipped = Skipped()
    seg_name: list[int] = []
    seg_rank: list[int] = []
    name_index: dict[str, int] = {}

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
                    if not loc.valid():
                        skipped.pois += 1
                    elif bbox is None or _in_bbox(bbox, loc.lat, loc.lon):
                        pois.append(Poi(f"n{obj.id}", loc.lat, loc.lon, tags))
                continue
            if not obj.is_way():
                continue
            nodes = [(n.ref, n.location) for n in obj.nodes]
            coords = [(ref, loc) for ref, loc in nodes if loc.valid()]
            if "highway" in tags and is_walkable(tags):
                before = len(seg_a)
                kept = _add_way(nodes, bbox, node_id, seg_a, seg_b, skipped)
                walkable_ways += kept
                added = len(seg_a) - before
                if added:
                    label = street_name(tags)
                    idx = name_index.setdefault(label, len(name_index)) if label else -1
                    seg_name.extend([idx] * added)
                    seg_rank.extend(
                        [STREET_RANKS.get(tags["highway"], MINOR_RANK)] * added
                    )
            if not coords:
                continue
            is_poi = with_pois and any(k in tags for k in POI_KEYS)
            is_building = (
                with_buildings and "building" in tags and tags["building"] != "no"
            )
            if is_poi or is_building:
                closed = len(coords) > 3 and coords[0][0] == coords[-1][0]
                lat, lng = (centroid if closed else mean_point)(
                    [(c[1].lat, c[1].lon) for c in coords]
                )
                if len(coords) < len(nodes) and is_poi:
                    skipped.pois += 1
                    continue
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
        edge_name=np.asarray(seg_name, dtype=np.int32),
        edge_rank=np.asarray(seg_rank, dtype=np.uint8),
        names=list(name_index),
        buildings=buildings,
        walkable_ways=walkable_ways,
        skipped=skipped,
    )


def _add_way(nodes, bbox, node_id, seg_a, seg_b, skipped: Skipped) -> int:
    """Add a way's segments; a missing or impossible node breaks the way there.

    A segment is kept only between two consecutive usable nodes, so a missing
    node never becomes a shortcut between its neighbours. Returns 1 if any
    segment was kept.
    """
    kept = 0
    damaged = False
    for _ref, loc in nodes:
        if not loc.valid():
            damaged = True
            if loc.x == _UNDEFINED or loc.y == _UNDEFINED:
                skipped.missing_nodes += 1
            else:
                skipped.nodes_out_of_range += 1
    for (ref_a, loc_a), (ref_b, loc_b) in zip(nodes, nodes[1:], strict=False):
        if ref_a == ref_b or not (loc_a.valid() and loc_b.valid()):
            continue
        if bbox is not None and not (
            _in_bbox(bbox, loc_a.lat, loc_a.lon) or _in_bbox(bbox, loc_b.lat, loc_b.lon)
        ):
            continue
        if not _segment_m(loc_a.lat, loc_a.lon, loc_b.lat, loc_b.lon) <= MAX_SEGMENT_M:
            skipped.long_segments += 1
            damaged = True
            continue
        seg_a.append(node_id(ref_a, loc_a.lat, loc_a.lon))
        seg_b.append(node_id(ref_b, loc_b.lat, loc_b.lon))
        kept = 1
    skipped.ways += damaged
    return kept


def _segment_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle metres between two points (scalar twin of haversine_arrays)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(min(a, 1.0)))


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
