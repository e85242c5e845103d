"""WGS-84 <-> GCJ-02 (the "Mars" datum of 高德/Amap and other Chinese maps).

The forward transform is the published one (also in eviltransform and
coordtransform); the inverse has no closed form and is found by iterating the
forward transform until it lands within 1e-9 degrees (a millimetre), so a round
trip is exact for any practical purpose. Outside mainland China the datums
coincide. static/maps/gcj02.js is the same code for the browser; both are
tested against the same reference points.
"""

from __future__ import annotations

import math

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_TOLERANCE_DEG = 1e-9
_MAX_STEPS = 30


def out_of_china(lat: float, lng: float) -> bool:
    """Whether the point lies outside the rough box GCJ-02 shifts."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift_lat(x: float, y: float) -> float:
    sin, pi = math.sin, math.pi
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
    ret += 0.2 * math.sqrt(abs(x))
    ret += (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2 / 3
    ret += (20.0 * sin(y * pi) + 40.0 * sin(y / 3.0 * pi)) * 2 / 3
    ret += (160.0 * sin(y / 12.0 * pi) + 320 * sin(y * pi / 30.0)) * 2 / 3
    return ret


def _shift_lng(x: float, y: float) -> float:
    sin, pi = math.sin, math.pi
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y
    ret += 0.1 * math.sqrt(abs(x))
    ret += (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2 / 3
    ret += (20.0 * sin(x * pi) + 40.0 * sin(x / 3.0 * pi)) * 2 / 3
    ret += (150.0 * sin(x / 12.0 * pi) + 300.0 * sin(x / 30.0 * pi)) * 2 / 3
    return ret


def wgs_to_gcj(lat: float, lng: float) -> tuple[float, float]:
    """Return the GCJ-02 (lat, lng) of a WGS-84 point."""
    if out_of_china(lat, lng):
        return lat, lng
    dlat = _shift_lat(lng - 105.0, lat - 35.0)
    dlng = _shift_lng(lng - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return lat + dlat, lng + dlng


def gcj_to_wgs(lat: float, lng: float) -> tuple[float, float]:
    """Return the WGS-84 (lat, lng) whose GCJ-02 image is the given point."""
    if out_of_china(lat, lng):
        return lat, lng
    wlat, wlng = lat, lng
    for _ in range(_MAX_STEPS):
        glat, glng = wgs_to_gcj(wlat, wlng)
        dlat, dlng = glat - lat, glng - lng
        if abs(dlat) < _TOLERANCE_DEG and abs(dlng) < _TOLERANCE_DEG:
            break
        wlat -= dlat
        wlng -= dlng
    return wlat, wlng
