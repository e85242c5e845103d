"""The street layer endpoint: real streets of Wudaokou, simplified per zoom, cached."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from quarter.coverage.tests.factories import make_community, make_compound
from quarter.maps import selectors
from quarter.maps.streets import Tile, vertex_count
from quarter.maps.tests.conftest import CENTRE

pytestmark = pytest.mark.django_db


def tile_of(lat: float, lng: float, z: int) -> Tile:
    import math

    n = 1 << z
    x = int((lng + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return Tile(z, x, y)


def get_tile(client, tile: Tile, **headers):
    return client.get(f"/maps/streets/{tile.z}/{tile.x}/{tile.y}.json", **headers)


def lines(response) -> list[dict]:
    body = json.loads(response.content)
    return [f for f in body["features"] if f["geometry"]["type"] == "LineString"]


def test_tile_draws_named_streets_of_the_network(client, wudaokou):
    response = get_tile(client, tile_of(*CENTRE, 16))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    body = json.loads(response.content)
    assert body["network"] is True
    names = {f["properties"]["name"] for f in lines(response)}
    assert {"清华路", "新民路"} <= names, names
    assert len(lines(response)) > 20


def test_low_zoom_carries_fewer_vertices_than_the_same_area_up_close(client, wudaokou):
    """One zoom-14 tile against its 16 zoom-16 children: the same ground."""
    parent = tile_of(*CENTRE, 14)
    far = vertex_count(lines(get_tile(client, parent)))
    near = sum(
        vertex_count(
            lines(get_tile(client, Tile(16, parent.x * 4 + dx, parent.y * 4 + dy)))
        )
        for dx in range(4)
        for dy in range(4)
    )
    assert 0 < far < near / 2, (far, near)


def test_simplification_drops_vertices_within_one_zoom(client, wudaokou):
    """At zoom 15 served lines keep fewer vertices than the same lines unsimplified."""
    from quarter.coverage import engine
    from quarter.maps.streets import street_features

    tile = tile_of(*CENTRE, 15)
    graph = engine.graph_index(wudaokou).graph
    raw = vertex_count(street_features(graph, tile, tolerance_px=0))
    served = vertex_count(lines(get_tile(client, tile)))
    assert 0 < served < raw * 0.9, (served, raw)


def test_tiles_are_cached_with_etag_and_cache_control(client, wudaokou):
    tile = tile_of(*CENTRE, 17)
    cache.clear()
    first = get_tile(client, tile)
    assert cache.get(selectors._street_key(wudaokou, tile)) is not None
    assert "max-age" in first["Cache-Control"]
    again = get_tile(client, tile)
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    unchanged = get_tile(client, tile, HTTP_IF_NONE_MATCH=first["ETag"])
    assert unchanged.status_code == 304
    assert unchanged.content == b""


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/maps/streets/25/0/0.json", "缩放级别"),
        ("/maps/streets/3/8/0.json", "超出"),
        ("/maps/streets/3/0/-1.json", "非负整数"),
        ("/maps/streets/z/1/1.json", "非负整数"),
        ("/maps/streets/16/1e3/2.json", "非负整数"),
    ],
)
def test_bad_tile_is_a_clear_400(client, path, words):
    response = client.get(path)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "bad_tile"
    assert words in body["message"]


def test_compound_names_show_up_close_and_not_from_afar(client, wudaokou):
    community = make_community("东升社区", lat=CENTRE[0], lng=CENTRE[1])
    make_compound(community, "清华东门小区", lat=CENTRE[0], lng=CENTRE[1])
    near = json.loads(get_tile(client, tile_of(*CENTRE, 16)).content)
    points = [f for f in near["features"] if f["geometry"]["type"] == "Point"]
    assert [p["properties"]["name"] for p in points] == ["清华东门小区"]
    assert "households" not in points[0]["properties"]
    far = json.loads(get_tile(client, tile_of(*CENTRE, 12)).content)
    assert not [f for f in far["features"] if f["geometry"]["type"] == "Point"]


def test_a_compounds_outline_is_drawn_on_every_tile_it_meets(client, wudaokou):
    community = make_community("东升社区", lat=CENTRE[0], lng=CENTRE[1])
    compound = make_compound(community, "荷清苑", lat=CENTRE[0], lng=CENTRE[1])
    tile = tile_of(*CENTRE, 17)
    south, west, north, east = tile.bounds()
    # An area from the compound's point to beyond the tile's east edge.
    ring = [
        [CENTRE[1], CENTRE[0]],
        [east + 0.001, CENTRE[0]],
        [east + 0.001, CENTRE[0] + 0.0005],
        [CENTRE[1], CENTRE[0] + 0.0005],
        [CENTRE[1], CENTRE[0]],
    ]
    compound.outline = {"type": "Polygon", "coordinates": [ring]}
    compound.save()

    def areas(t: Tile) -> list[dict]:
        body = json.loads(get_tile(client, t).content)
        return [f for f in body["features"] if f["geometry"]["type"] == "Polygon"]

    here = areas(tile)
    assert [a["properties"] for a in here] == [
        {"kind": "compound_area", "name": "荷清苑"}
    ]
    assert here[0]["geometry"]["coordinates"] == [ring]
    # The tile east of it holds no compound point but shows the outline's end.
    beside = Tile(tile.z, tile.x + 1, tile.y)
    assert [a["properties"]["name"] for a in areas(beside)] == ["荷清苑"]
    # Two tiles east the area has ended; from afar no outlines at all.
    assert areas(Tile(tile.z, tile.x + 3, tile.y)) == []
    assert areas(tile_of(*CENTRE, 12)) == []


def test_without_a_network_the_tile_says_so_and_still_has_compounds(client):
    community = make_community("锦绣社区", lat=30.69, lng=111.28)
    make_compound(community, "葛洲坝一区", lat=30.69, lng=111.28)
    body = json.loads(get_tile(client, tile_of(30.69, 111.28, 16)).content)
    assert body["network"] is False
    assert [f["properties"]["name"] for f in body["features"]] == ["葛洲坝一区"]


def test_resident_map_page_uses_the_street_layer_without_tile_server(client, settings):
    settings.QUARTER_TILES = ""
    settings.QUARTER_MAP_PRESET = ""
    make_community(slug="donghe")
    page = client.get("/map/?community=donghe").content.decode()
    assert '"preset": "streets"' in page
    assert "/maps/streets/{z}/{x}/{y}.json" in page
