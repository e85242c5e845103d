"""Plane geometry on WGS-84 coordinates good enough at neighbourhood scale."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8
METERS_PER_DEG_LAT = math.pi * EARTH_RADIUS_M / 180


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def meters_per_deg_lng(lat: float) -> float:
    return METERS_PER_DEG_LAT * math.cos(math.radians(lat))


def bbox_around(
    lat: float, lng: float, radius_m: float
) -> tuple[float, float, float, float]:
    """Return (min_lat, max_lat, min_lng, max_lng) of a square holding the circle."""
    dlat = radius_m / METERS_PER_DEG_LAT
    dlng = radius_m / max(meters_per_deg_lng(lat), 1e-6)
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


def valid_lat_lng(lat: float, lng: float) -> bool:
    return -90 <= lat <= 90 and -180 <= lng <= 180
