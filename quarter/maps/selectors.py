"""Read side of the street layer: one tile's streets and compounds, cached."""

from __future__ import annotations

import hashlib
import json

from django.core.cache import cache

from quarter.coverage import engine
from quarter.coverage.models import StreetNetwork
from quarter.maps.streets import Tile, street_features
from quarter.places.models import Compound

STREET_CACHE_SECONDS = 7 * 24 * 3600  # a network never changes after import
COMPOUNDS_FROM_ZOOM = 14
# A compound's outline is looked for among compounds whose point lies within
# this many degrees (~1.1 km) of the tile: a 小区 wider than 2 km is unheard of.
OUTLINE_REACH_DEG = 0.01


def networks_on(tile: Tile) -> list[StreetNetwork]:
    """The imported networks whose extent meets the tile (blob not loaded)."""
    south, west, north, east = tile.bounds()
    return list(
        StreetNetwork.objects.defer("data")
        .filter(
            min_lat__lte=north, max_lat__gte=south, min_lng__lte=east, max_lng__gte=west
        )
        .order_by("id")
    )


def _street_key(network: StreetNetwork, tile: Tile) -> str:
    return (
        f"maps:streets:v1:{network.pk}:{network.source_sha256[:16]}:"
        f"{network.imported_at.timestamp():.0f}:{tile.z}/{tile.x}/{tile.y}"
    )


def network_streets(network: StreetNetwork, tile: Tile) -> list[dict]:
    """One network's street features on a tile, from the cache when there."""
    key = _street_key(network, tile)
    features = cache.get(key)
    if features is None:
        features = street_features(engine.graph_index(network).graph, tile)
        cache.set(key, features, STREET_CACHE_SECONDS)
    return features


def compounds_on(tile: Tile) -> list[dict]:
    """Compound points and names on the tile (none below COMPOUNDS_FROM_ZOOM)."""
    if tile.z < COMPOUNDS_FROM_ZOOM:
        return []
    south, west, north, east = tile.bounds()
    rows = Compound.objects.filter(
        lat__gte=south, lat__lt=north, lng__gte=west, lng__lt=east
    ).values_list("name", "lat", "lng")
    return [
        {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [round(lng, 6), round(lat, 6)],
            },
            "properties": {"kind": "compound", "name": name},
        }
        for name, lat, lng in rows.order_by("name", "id")
    ]


def compound_areas_on(tile: Tile) -> list[dict]:
    """Compound outlines meeting the tile (none below COMPOUNDS_FROM_ZOOM)."""
    if tile.z < COMPOUNDS_FROM_ZOOM:
        return []
    south, west, north, east = tile.bounds()
    pad = OUTLINE_REACH_DEG
    rows = (
        Compound.objects.filter(
            outline__isnull=False,
            lat__gte=south - pad,
            lat__lt=north + pad,
            lng__gte=west - pad,
            lng__lt=east + pad,
        )
        .order_by("name", "id")
        .values_list("name", "outline")
    )
    features = []
    for name, outline in rows:
        lngs, lats = _extent(outline)
        if lngs[1] < west or lngs[0] > east or lats[1] < south or lats[0] > north:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": outline,
                "properties": {"kind": "compound_area", "name": name},
            }
        )
    return features


def _extent(geometry: dict) -> tuple[tuple[float, float], tuple[float, float]]:
    """((min lng, max lng), (min lat, max lat)) of a Polygon or MultiPolygon."""
    polygons = (
        geometry["coordinates"]
        if geometry["type"] == "MultiPolygon"
        else [geometry["coordinates"]]
    )
    points = [p for polygon in polygons for p in polygon[0]]
    lngs = [p[0] for p in points]
    lats = [p[1] for p in points]
    return (min(lngs), max(lngs)), (min(lats), max(lats))


def street_tile(tile: Tile) -> tuple[bytes, str]:
    """The tile as GeoJSON bytes and its ETag.

    A FeatureCollection of compound outlines (kind "compound_area", name),
    street lines (name, rank) and compound points (kind "compound", name);
    `network` says whether any imported network
    reaches the tile, so the page can say why it shows no streets.
    """
    networks = networks_on(tile)
    features: list[dict] = compound_areas_on(tile)
    for network in networks:
        features.extend(network_streets(network, tile))
    features.extend(compounds_on(tile))
    body = json.dumps(
        {
            "type": "FeatureCollection",
            "network": bool(networks),
            "zoom": tile.z,
            "features": features,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
