"""Which map the pages draw under their markers, from the environment.

QUARTER_MAP_PRESET picks one:

* "" or "streets"  Quarter's own street layer (no outside service; the default
                   unless QUARTER_TILES is set);
* "tianditu"       天地图 vector map + Chinese labels (vec_w + cva_w, Web
                   Mercator, CGCS2000 which matches WGS-84 to well under a metre
                   at city scale); needs QUARTER_TIANDITU_TK;
* "amap"           高德 street tiles, drawn in GCJ-02: the browser converts every
                   position for display and every pick back to WGS-84;
* "xyz"            any XYZ template in QUARTER_TILES ({s} taken from
                   QUARTER_TILES_SUBDOMAINS), with QUARTER_TILES_ATTRIBUTION.

`map_config()` is what the page script reads; `csp_hosts()` the exact origins
the Content-Security-Policy lets images come from. A preset that cannot work
(天地图 without a key, xyz without a URL) raises ImproperlyConfigured when the
server starts, not a grey map later.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

PRESETS = ("streets", "tianditu", "amap", "xyz")
TIANDITU_SUBDOMAINS = "01234567"
TIANDITU_LAYER = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
    "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}"
)
TIANDITU_ATTRIBUTION = "© 天地图 国家地理信息公共服务平台"
AMAP_URL = (
    "https://webrd0{s}.is.autonavi.com/appmaptile"
    "?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
)
AMAP_SUBDOMAINS = "1234"
AMAP_ATTRIBUTION = "© 高德地图 AutoNavi"
STREETS_ATTRIBUTION = "路网 © OpenStreetMap contributors"


def preset() -> str:
    """The preset in force: QUARTER_MAP_PRESET, else xyz when QUARTER_TILES is set."""
    name = (getattr(settings, "QUARTER_MAP_PRESET", "") or "").strip().lower()
    if not name:
        return "xyz" if settings.QUARTER_TILES else "streets"
    if name not in PRESETS:
        raise ImproperlyConfigured(
            f"QUARTER_MAP_PRESET={name!r}: use one of {', '.join(PRESETS)}"
        )
    return name


def _layers(name: str) -> list[dict]:
    if name == "tianditu":
        tk = (getattr(settings, "QUARTER_TIANDITU_TK", "") or "").strip()
        if not tk:
            raise ImproperlyConfigured(
                "QUARTER_MAP_PRESET=tianditu needs QUARTER_TIANDITU_TK (天地图 key)"
            )
        return [
            {
                "url": TIANDITU_LAYER.replace("{layer}", layer).replace("{tk}", tk),
                "subdomains": TIANDITU_SUBDOMAINS,
                "attribution": TIANDITU_ATTRIBUTION if layer == "vec" else "",
                "maxZoom": 18,
            }
            for layer in ("vec", "cva")
        ]
    if name == "amap":
        return [
            {
                "url": AMAP_URL,
                "subdomains": AMAP_SUBDOMAINS,
                "attribution": AMAP_ATTRIBUTION,
                "maxZoom": 18,
            }
        ]
    if name == "xyz":
        if not settings.QUARTER_TILES:
            raise ImproperlyConfigured("QUARTER_MAP_PRESET=xyz needs QUARTER_TILES")
        return [
            {
                "url": settings.QUARTER_TILES,
                "subdomains": getattr(settings, "QUARTER_TILES_SUBDOMAINS", "abc"),
                "attribution": settings.QUARTER_TILES_ATTRIBUTION,
                "maxZoom": 19,
            }
        ]
    return []


def map_config() -> dict:
    """What static/maps/base.js needs to draw the base map of every page."""
    name = preset()
    return {
        "preset": name,
        "layers": _layers(name),
        "gcj02": name == "amap",
        "streets": reverse("maps:street_tile", args=[0, 0, 0]).replace(
            "/0/0/0.json", "/{z}/{x}/{y}.json"
        )
        if name == "streets"
        else "",
        "attribution": STREETS_ATTRIBUTION if name == "streets" else "",
    }


def csp_hosts() -> list[str]:
    """The exact origins tiles come from ({s} expanded), in a stable order."""
    hosts: list[str] = []
    for layer in _layers(preset()):
        template = layer["url"]
        subdomains = layer["subdomains"] if "{s}" in template else " "
        for sub in subdomains:
            parts = urlsplit(template.replace("{s}", sub.strip()))
            if not parts.scheme or not parts.netloc:
                continue  # a relative template: tiles served by this site
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in hosts:
                hosts.append(origin)
    return hosts
