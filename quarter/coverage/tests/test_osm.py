"""Reading OSM extracts: walkable ways, POIs, bad files; real data from shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from quarter.coverage.osm import (
    OsmReadError,
    build_tag_map,
    classify_poi,
    is_walkable,
    parse_bbox,
    read_extract,
)
from quarter.coverage.tests.factories import LAT0, LNG0, east, write_street_osm

# The shared data sets sit beside the checkout (../shared/data); a clone
# elsewhere points at them with QUARTER_SHARED_DATA.
DATA = Path(
    os.environ.get("QUARTER_SHARED_DATA")
    or Path(__file__).resolve().parents[3].parent / "shared" / "data"
)
HELSINKI = DATA / "helsinki_centre" / "Helsinki.osm.pbf"
HONGKONG = DATA / "hongkong_tst" / "hong-kong_china_tst.osm"
SHANGHAI = DATA / "shanghai_huangpu" / "shanghai_huangpu_osmnx.osm"


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "residential"}, True),
        ({"highway": "steps"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway_link", "foot": "yes"}, False),
        ({"highway": "trunk"}, False),
        ({"highway": "trunk_link"}, False),
        ({"highway": "trunk", "foot": "yes"}, True),
        ({"highway": "cycleway"}, False),
        ({"highway": "cycleway", "foot": "designated"}, True),
        ({"highway": "footway", "foot": "no"}, False),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "service", "access": "private", "foot": "yes"}, True),
        ({"highway": "construction"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_is_walkable_follows_access_tags(tags, expected):
    assert is_walkable(tags) is expected


def test_read_extract_keeps_only_walkable_segments(tmp_path):
    """The small fixture keeps its two walkable ways: 20 + 10 segments of 100 m."""
    extract = read_extract(str(write_street_osm(tmp_path / "s.osm")))
    # 20 + 10 segments of the L, 2 of the island; motorway and foot=no dropped.
    assert len(extract.edge_u) == 32
    assert extract.walkable_ways == 3
    assert float(extract.edge_len[:30].sum()) == pytest.approx(3000, rel=2e-3)
    assert not np.any(np.isclose(extract.node_lat, LAT0 - 50 / 111195, atol=1e-6))
    names = sorted(p.name for p in extract.pois)
    assert names == ["", "大药房", "绿叶菜店"]


def test_read_extract_bbox_clips_segments(tmp_path):
    path = write_street_osm(tmp_path / "s.osm")
    extract = read_extract(
        str(path), bbox=(LAT0 - 0.001, LNG0 - 0.001, LAT0 + 0.001, east(450))
    )
    # Segments with an end inside: 0-100 … 400-500.
    assert len(extract.edge_u) == 5
    assert [p.name for p in extract.pois] == ["大药房", ""]


def test_read_extract_refuses_corrupt_and_missing_files(tmp_path):
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all" * 10)
    with pytest.raises(OsmReadError):
        read_extract(str(broken))
    with pytest.raises(OsmReadError):
        read_extract(str(tmp_path / "absent.osm.pbf"))


def test_parse_bbox_orders_and_checks():
    assert parse_bbox("111.2,30.6,111.3,30.7") == (30.6, 111.2, 30.7, 111.3)
    for bad in ("1,2,3", "a,b,c,d", "111.3,30.6,111.2,30.7", "200,0,201,1"):
        with pytest.raises(ValueError):
            parse_bbox(bad)


def test_classify_poi_prefers_specific_tags():
    tag_map = build_tag_map(
        [
            ("elderly_care", "amenity=social_facility;social_facility=nursing_home"),
            ("wet_market", "amenity=marketplace;shop=greengrocer"),
            ("pharmacy", "amenity=pharmacy;healthcare=pharmacy"),
        ]
    )
    assert (
        classify_poi(
            {"amenity": "social_facility", "social_facility": "nursing_home"}, tag_map
        )
        == "elderly_care"
    )
    assert classify_poi({"shop": "greengrocer"}, tag_map) == "wet_market"
    assert classify_poi({"amenity": "parking"}, tag_map) is None


def test_read_helsinki_pbf():
    """Helsinki centre: thousands of walkable segments and its ~1,600 POIs."""
    extract = read_extract(str(HELSINKI))
    assert 5000 < len(extract.node_lat) < 8000
    assert 6000 < len(extract.edge_u) < 9000
    assert 1500 < len(extract.pois) < 2100
    assert extract.node_lat.min() > 60.1 and extract.node_lng.max() < 25.0


def test_read_hongkong_xml_has_chinese_names():
    extract = read_extract(str(HONGKONG))
    assert len(extract.edge_u) > 500
    chinese = [
        p.name for p in extract.pois if any("\u4e00" <= ch <= "\u9fff" for ch in p.name)
    ]
    assert len(chinese) >= 20


def test_read_shanghai_drops_elevated_trunk_roads():
    """Shanghai's trunk/trunk_link are elevated expressways: not walkable."""
    walk = read_extract(str(SHANGHAI), with_pois=False)
    import osmium

    trunk_nodes = set()
    for obj in osmium.FileProcessor(str(SHANGHAI), osmium.osm.WAY):
        if obj.tags.get("highway") in ("trunk", "trunk_link"):
            trunk_nodes.update(n.ref for n in obj.nodes)
    assert len(trunk_nodes) > 100
    # The OSM ids are not kept, so compare by position: most trunk-only nodes vanish.
    kept = {
        (round(a, 7), round(b, 7))
        for a, b in zip(walk.node_lat, walk.node_lng, strict=True)
    }
    trunk_pos = set()
    for obj in osmium.FileProcessor(str(SHANGHAI), osmium.osm.NODE):
        if obj.id in trunk_nodes:
            trunk_pos.add((round(obj.location.lat, 7), round(obj.location.lon, 7)))
    assert len(trunk_pos & kept) < 0.25 * len(trunk_pos)
    assert 1500 < len(walk.node_lat) < 2500
