"""Cut a walking network into z/x/y tiles of simplified street lines.

Pure functions over a `StreetGraph`: which edges cross a tile (with a margin so
lines run on past the edge and tiles join without seams), merged into one line
per street and simplified to about half a pixel at the tile's zoom, so a tile at
zoom 13 carries a fraction of the vertices of the same streets at zoom 18. Below
`MINOR_WAYS_FROM_ZOOM` footways, paths and service roads are left out; below
`STREETS_FROM_ZOOM` a tile carries no streets at all (a district at a glance
would be a grey felt of lines).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quarter.coverage.graph import StreetGraph
from quarter.coverage.osm import MINOR_RANK

MAX_ZOOM = 20
STREETS_FROM_ZOOM = 12
MINOR_WAYS_FROM_ZOOM = 15
TILE_PX = 256
TOLERANCE_PX = 0.5
MARGIN_PX = 8


class BadTile(ValueError):
    """z/x/y that name no tile."""


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int

    @classmethod
    def parse(cls, z: str | int, x: str | int, y: str | int) -> Tile:
        """Check a z/x/y from a URL; raise BadTile with a sentence saying why."""
        try:
            z, x, y = (_whole(v) for v in (z, x, y))
        except ValueError:
            raise BadTile(f"瓦片坐标须为非负整数:z={z}、x={x}、y={y}") from None
        if not 0 <= z <= MAX_ZOOM:
            raise BadTile(f"缩放级别 z={z} 超出范围(0–{MAX_ZOOM})")
        side = 1 << z
        if not (0 <= x < side and 0 <= y < side):
            raise BadTile(f"瓦片 x={x}、y={y} 超出缩放级别 {z} 的范围(0–{side - 1})")
        return cls(z, x, y)

    def bounds(self) -> tuple[float, float, float, float]:
        """(south, west, north, east) in degrees (Web Mercator tile)."""
        side = 1 << self.z
        west = self.x / side * 360.0 - 180.0
        east = (self.x + 1) / side * 360.0 - 180.0
        north = _lat_of(self.y / side)
        south = _lat_of((self.y + 1) / side)
        return south, west, north, east

    def degrees_per_px(self) -> float:
        return 360.0 / (TILE_PX * (1 << self.z))


def _whole(value: str | int) -> int:
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 8:
        raise ValueError(text)
    return int(text)


def _lat_of(fraction: float) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * fraction))))


def edges_in(graph: StreetGraph, tile: Tile) -> np.ndarray:
    """Indices of the edges whose bounding box meets the tile (plus a margin)."""
    south, west, north, east = tile.bounds()
    pad = MARGIN_PX * tile.degrees_per_px()
    lat_u, lat_v = graph.node_lat[graph.edge_u], graph.node_lat[graph.edge_v]
    lng_u, lng_v = graph.node_lng[graph.edge_u], graph.node_lng[graph.edge_v]
    hit = (
        (np.minimum(lat_u, lat_v) <= north + pad)
        & (np.maximum(lat_u, lat_v) >= south - pad)
        & (np.minimum(lng_u, lng_v) <= east + pad)
        & (np.maximum(lng_u, lng_v) >= west - pad)
    )
    if tile.z < STREETS_FROM_ZOOM:
        return np.zeros(0, dtype=np.int64)
    if tile.z < MINOR_WAYS_FROM_ZOOM and graph.edge_rank is not None:
        hit &= graph.edge_rank < MINOR_RANK
    return np.flatnonzero(hit)


def street_features(
    graph: StreetGraph, tile: Tile, *, tolerance_px: float = TOLERANCE_PX
) -> list[dict]:
    """GeoJSON LineString features of the tile's streets, one per merged line.

    Segments of one street (same name and rank) are merged into lines and
    simplified with a tolerance of `tolerance_px` at this zoom; properties are
    `name` ("" when the data has none) and `rank` (0 main road … 3 footway).
    """
    from shapely import MultiLineString, line_merge, simplify

    edges = edges_in(graph, tile)
    if edges.size == 0:
        return []
    names = graph.names if graph.names is not None else np.asarray([], dtype=str)
    name_idx = (
        graph.edge_name[edges]
        if graph.edge_name is not None
        else np.full(edges.size, -1, dtype=np.int32)
    )
    rank = (
        graph.edge_rank[edges]
        if graph.edge_rank is not None
        else np.full(edges.size, MINOR_RANK - 1, dtype=np.uint8)
    )
    tolerance = tolerance_px * tile.degrees_per_px()
    features = []
    keys = np.stack([name_idx.astype(np.int64), rank.astype(np.int64)], axis=1)
    groups, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    for g, (idx, rnk) in enumerate(groups):
        chosen = edges[inverse == g]
        u, v = graph.edge_u[chosen], graph.edge_v[chosen]
        segments = np.stack(
            [
                np.stack([graph.node_lng[u], graph.node_lat[u]], axis=1),
                np.stack([graph.node_lng[v], graph.node_lat[v]], axis=1),
            ],
            axis=1,
        )
        merged = simplify(line_merge(MultiLineString(list(segments))), tolerance)
        lines = getattr(merged, "geoms", [merged])
        name = str(names[idx]) if idx >= 0 else ""
        for line in lines:
            if line.is_empty:
                continue
            coords = np.round(np.asarray(line.coords), 6).tolist()
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": coords},
                    "properties": {"name": name, "rank": int(rnk)},
                }
            )
    return features


def vertex_count(features: list[dict]) -> int:
    """How many vertices the line features carry (what simplification saves)."""
    return sum(
        len(f["geometry"]["coordinates"])
        for f in features
        if f["geometry"]["type"] == "LineString"
    )
