"""Residential compounds (小区) from an OpenStreetMap extract, households estimated.

Pure functions over a file, no database (the import service writes them through
places' `import_compounds`).

* A compound is a named `landuse=residential` area (closed way or multipolygon);
  unnamed areas are left out: no one can say which 小区 they are.
* Its point is the area's centroid, or a point inside the area when the
  centroid falls outside (an L-shaped compound). Its outline, simplified to
  within OUTLINE_TOLERANCE_M, is kept for the map's street layer.
* Households are estimated from the building footprints mapped inside it:
  every dwelling building (`building=residential|apartments|yes|house|…`, not
  schools, shops or offices) whose centroid lies in the area contributes
  footprint area × storeys, storeys from `building:levels` or, when untagged,
  6 (the walk-up 多层 blocks of the 1980s–2000s that most of Haidian's 小区 are
  made of; 2 for houses and villas). The total floor area divided by 90 m², a
  typical flat's gross floor area (建筑面积), gives the households.
* A compound with no building mapped falls back to its land area × 1.5 (a
  typical floor-area ratio, 容积率) ÷ 90 m².
* Population = households × 2.31, Beijing's average household size in the
  2020 census.

These are estimates for planning until the community's own counts replace them;
the import records how each was made (`Estimate.how`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FLAT_M2 = 90.0
DEFAULT_LEVELS = 6
HOUSE_LEVELS = 2
FALLBACK_FAR = 1.5
PERSONS_PER_HOUSEHOLD = 2.31
OUTLINE_TOLERANCE_M = 2.0
HOUSE_TYPES = frozenset(
    {"house", "detached", "villa", "semidetached_house", "bungalow"}
)
DWELLING_TYPES = frozenset(
    {"yes", "residential", "apartments", "dormitory", "terrace"} | HOUSE_TYPES
)
METHOD_NOTE = (
    "户数为估算:小区内住宅楼栋的占地面积 × 层数(未标注按6层,别墅按2层)"
    "÷ 每户90平方米;未绘制楼栋的小区按占地面积 × 容积率1.5 ÷ 90平方米;"
    "人口按每户2.31人(北京2020年人口普查)。"
    "数据来自OpenStreetMap,以社区实际台账为准。"
)


@dataclass
class Estimate:
    """A compound read from OSM with its estimated size."""

    ref: str  # 'w123' or 'r456'
    name: str
    lat: float
    lng: float
    land_m2: float
    buildings: int
    floor_m2: float
    households: int
    population: int
    how: str  # 'buildings' or 'land_area'
    outline: dict | None = None  # GeoJSON Polygon/MultiPolygon, [lng, lat]


def read_compounds(
    path: str, *, bbox: tuple[float, float, float, float] | None = None
) -> list[Estimate]:
    """Return the named residential areas of an OSM file whose point lies in `bbox`.

    `bbox` is (min_lat, min_lng, max_lat, max_lng). Raises OsmReadError when the
    file cannot be read.
    """
    import osmium

    from quarter.coverage.osm import OsmReadError

    areas: list[tuple[str, str, object]] = []
    buildings: list[tuple[object, float]] = []
    lat0 = None
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_areas()
            .with_filter(osmium.filter.KeyFilter("landuse", "building"))
        )
        for obj in processor:
            if not obj.is_area():
                continue
            tags = {t.k: t.v for t in obj.tags}
            rings = _rings(obj)
            if not rings:
                continue
            if lat0 is None:
                lat0 = rings[0][0][0][0]
            polygon = _polygon(rings, lat0)
            if polygon is None:
                continue
            ref = ("w" if obj.from_way() else "r") + str(obj.orig_id())
            if tags.get("landuse") == "residential":
                name = (tags.get("name:zh") or tags.get("name") or "").strip()
                if name:
                    areas.append((ref, name[:80], polygon))
            building = tags.get("building", "")
            if building in DWELLING_TYPES:
                buildings.append((polygon, _levels(tags, building)))
    except (RuntimeError, ValueError, OSError) as exc:
        raise OsmReadError(str(exc)) from exc
    if lat0 is None:
        return []
    centres = [b[0].centroid for b in buildings]
    estimates = []
    for ref, name, polygon in areas:
        inside = [
            b for b, c in zip(buildings, centres, strict=True) if polygon.contains(c)
        ]
        point = polygon.centroid
        if not polygon.contains(point):
            point = polygon.representative_point()
        lat, lng = _latlng(point.x, point.y, lat0)
        if bbox is not None and not (
            bbox[0] <= lat <= bbox[2] and bbox[1] <= lng <= bbox[3]
        ):
            continue
        estimate = _estimate(ref, name, lat, lng, polygon.area, inside)
        estimate.outline = _outline(polygon, lat0)
        estimates.append(estimate)
    return sorted(estimates, key=lambda e: e.name)


def _outline(polygon, lat0: float) -> dict | None:
    """The area as a GeoJSON geometry in [lng, lat], simplified for drawing."""
    import shapely

    shape = polygon.simplify(OUTLINE_TOLERANCE_M, preserve_topology=True)
    if shape.is_empty:
        return None

    def ring(coords) -> list[list[float]]:
        out = []
        for x, y in coords:
            lat, lng = _latlng(x, y, lat0)
            out.append([round(lng, 6), round(lat, 6)])
        return out

    def rings(part) -> list[list[list[float]]]:
        return [ring(part.exterior.coords)] + [ring(r.coords) for r in part.interiors]

    if isinstance(shape, shapely.Polygon):
        return {"type": "Polygon", "coordinates": rings(shape)}
    parts = [g for g in getattr(shape, "geoms", []) if isinstance(g, shapely.Polygon)]
    if not parts:
        return None
    return {"type": "MultiPolygon", "coordinates": [rings(g) for g in parts]}


def _estimate(ref, name, lat, lng, land_m2, inside) -> Estimate:
    floor = sum(poly.area * levels for poly, levels in inside)
    how = "buildings" if floor > 0 else "land_area"
    if how == "land_area":
        floor = land_m2 * FALLBACK_FAR
    households = max(1, round(floor / FLAT_M2))
    return Estimate(
        ref=ref,
        name=name,
        lat=round(lat, 6),
        lng=round(lng, 6),
        land_m2=round(land_m2),
        buildings=len(inside),
        floor_m2=round(floor),
        households=households,
        population=round(households * PERSONS_PER_HOUSEHOLD),
        how=how,
    )


def _levels(tags: dict[str, str], building: str) -> float:
    text = tags.get("building:levels", "").strip()
    try:
        levels = float(text)
    except ValueError:
        levels = 0
    if 0 < levels < 200:
        return levels
    return HOUSE_LEVELS if building in HOUSE_TYPES else DEFAULT_LEVELS


def _rings(area) -> list[tuple[list, list[list]]]:
    """(outer, [inner, …]) rings of (lat, lng); [] when a location is missing."""
    rings = []
    try:
        for outer in area.outer_rings():
            inner = [[(n.lat, n.lon) for n in ring] for ring in area.inner_rings(outer)]
            rings.append(([(n.lat, n.lon) for n in outer], inner))
    except Exception:  # noqa: BLE001 - an invalid location: skip the area
        return []
    return rings


def _xy(lat: float, lng: float, lat0: float) -> tuple[float, float]:
    m = math.pi * 6_371_008.8 / 180
    return lng * m * math.cos(math.radians(lat0)), lat * m


def _latlng(x: float, y: float, lat0: float) -> tuple[float, float]:
    m = math.pi * 6_371_008.8 / 180
    return y / m, x / (m * math.cos(math.radians(lat0)))


def _polygon(rings, lat0):
    """A shapely (multi)polygon in local metres, None when degenerate."""
    import shapely

    parts = []
    for outer, inner in rings:
        if len(outer) < 4:
            continue
        shell = [_xy(lat, lng, lat0) for lat, lng in outer]
        holes = [[_xy(lat, lng, lat0) for lat, lng in r] for r in inner if len(r) >= 4]
        parts.append(shapely.Polygon(shell, holes))
    if not parts:
        return None
    shape = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    shape = shape if shape.is_valid else shape.buffer(0)
    return shape if shape.area > 0 else None
