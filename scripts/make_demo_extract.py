"""Build the Haidian demo extract shipped in quarter/demo/data/ from ../shared.

    .venv/bin/python scripts/make_demo_extract.py [SOURCE.osm] [OUT.osm.pbf]

Source: QUARTER_SHARED_DATA (default ../shared/data) /beijing_haidian/
qinghua_east_road.osm, an OpenStreetMap export (2026-03, ODbL 1.0) of the
neighbourhood along 清华东路 / 学清路 in 海淀区, Beijing. The script keeps
what the demo reads and nothing else: walkable highways (with their names),
buildings, landuse=residential areas and shops/amenities, inside CLIP, plus
every node those ways reference (osmium's BackReferenceWriter), and writes a
PBF with the object metadata stripped. Deterministic: the same source gives
the same bytes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import osmium

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("QUARTER_SHARED_DATA") or ROOT.parent / "shared" / "data")
SOURCE = SHARED / "beijing_haidian" / "qinghua_east_road.osm"
OUT = ROOT / "quarter" / "demo" / "data" / "haidian_qinghua_east_road.osm.pbf"
# min_lng, min_lat, max_lng, max_lat: 清华东路 to 双泉堡, 学院路 to 小月河.
CLIP = (116.3440, 39.9975, 116.3600, 40.0100)
KEYS = (
    "highway",
    "building",
    "landuse",
    "shop",
    "amenity",
    "craft",
    "office",
    "leisure",
    "healthcare",
    "social_facility",
    "name",
)


def _inside(lat: float, lng: float) -> bool:
    return CLIP[1] <= lat <= CLIP[3] and CLIP[0] <= lng <= CLIP[2]


def _wanted(tags) -> bool:
    return any(k in tags for k in KEYS)


def build(source: Path = SOURCE, out: Path = OUT) -> Path:
    """Write the clipped extract to `out` (replaced) and return it."""
    if not source.is_file():
        raise SystemExit(f"source not found: {source} (set QUARTER_SHARED_DATA)")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    ways, nodes = [], []
    for obj in osmium.FileProcessor(str(source)).with_locations():
        if obj.is_node():
            if obj.tags and _wanted(obj.tags) and _inside(obj.lat, obj.lon):
                nodes.append(obj.id)
        elif obj.is_way() and _wanted(obj.tags):
            locs = [n.location for n in obj.nodes if n.location.valid()]
            if any(_inside(loc.lat, loc.lon) for loc in locs):
                ways.append(obj.id)
    keep_nodes, keep_ways = set(nodes), set(ways)
    header = osmium.io.Header()
    header.set("generator", "quarter scripts/make_demo_extract.py")
    with osmium.BackReferenceWriter(
        str(out), ref_src=str(source), overwrite=True, remove_tags=False
    ) as writer:
        for obj in osmium.FileProcessor(str(source)):
            if (obj.is_node() and obj.id in keep_nodes) or (
                obj.is_way() and obj.id in keep_ways
            ):
                writer.add(_stripped(obj))
    return out


def _stripped(obj):
    """The object without user names and changeset metadata (not needed)."""
    return obj.replace(user="", uid=0, changeset=0)


if __name__ == "__main__":
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    dst = Path(sys.argv[2]) if len(sys.argv) > 2 else OUT
    path = build(src, dst)
    print(
        f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
        f"{path.stat().st_size / 1024:.0f} KiB"
    )
