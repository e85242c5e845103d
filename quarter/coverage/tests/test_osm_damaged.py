"""Damaged OSM data is skipped with a count: no traceback, no 20,000 km edge."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import osmium
import pytest
from django.core.management import call_command

from quarter.coverage.models import StreetNetwork
from quarter.coverage.osm import MAX_SEGMENT_M, read_extract
from quarter.coverage.tests.factories import LAT0, east, north

STREET = {"highway": "footway"}


def write_osm(path: Path, nodes: dict[int, tuple[float, float]], ways, pois=()):
    """Write nodes {id: (lat, lng)}, ways [(id, [refs])] and POI nodes with osmium."""
    with osmium.SimpleWriter(str(path)) as writer:
        for nid, (lat, lng) in sorted(nodes.items()):
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=(lng, lat)))
        for nid, (lat, lng), tags in pois:
            writer.add_node(
                osmium.osm.mutable.Node(id=nid, location=(lng, lat), tags=tags)
            )
        for wid, refs in ways:
            writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=STREET))
    return path


def _street(n: int, start: int = 1) -> dict[int, tuple[float, float]]:
    return {start + i: (LAT0, east(100 * i)) for i in range(n)}


def test_way_with_a_missing_node_is_broken_there_not_bridged(tmp_path):
    nodes = _street(5)
    del nodes[3]  # the way names node 3, the file does not hold it
    path = write_osm(tmp_path / "missing.osm", nodes, [(10, [1, 2, 3, 4, 5])])
    extract = read_extract(str(path))
    assert extract.skipped.missing_nodes == 1 and extract.skipped.ways == 1
    lengths = sorted(np.round(extract.edge_len).tolist())
    assert len(lengths) == 2 and max(lengths) < 101  # 1-2 and 4-5, never 2-4


@pytest.mark.parametrize(
    ("lat", "lng"), [(95.0, 120.0), (30.0, 200.0), (-91.0, 0.0), (0.0, 0.0)]
)
def test_node_with_impossible_or_far_coordinates_is_skipped(tmp_path, lat, lng):
    nodes = _street(3)
    nodes[4] = (lat, lng)
    path = write_osm(tmp_path / "far.osm", nodes, [(10, [1, 2, 3, 4])])
    extract = read_extract(str(path))
    assert float(extract.edge_len.max()) <= MAX_SEGMENT_M
    assert len(extract.edge_u) == 2
    s = extract.skipped
    assert s.ways == 1
    assert s.nodes_out_of_range + s.long_segments == 1
    assert np.all(np.abs(extract.node_lat) <= 90)
    assert np.all(np.abs(extract.node_lng) <= 180)


def test_poi_without_coordinates_is_counted(tmp_path):
    path = write_osm(
        tmp_path / "poi.osm",
        _street(3),
        [(10, [1, 2, 3])],
        pois=[(50, (95.0, 120.0), {"shop": "bakery", "name": "坏坐标面包"})],
    )
    extract = read_extract(str(path))
    assert extract.skipped.pois == 1 and extract.pois == []


def test_import_command_reports_what_it_skipped(tmp_path, db):
    nodes = {**_street(21), 30: (north(100), east(2000)), 31: (0.0, 0.0)}
    del nodes[7]
    path = write_osm(
        tmp_path / "damaged.osm",
        nodes,
        [(10, list(range(1, 22))), (11, [21, 30, 31]), (12, [30, 99])],
    )
    out = io.StringIO()
    call_command("import_osm", str(path), "--no-progress", stdout=out)
    text = out.getvalue()
    assert "已跳过有问题的数据" in text
    assert "缺失节点 2 个" in text and "异常长的路段 1 段" in text
    network = StreetNetwork.objects.get()
    assert network.length_km < 3  # about 2.1 km of street, not 13,000 km
