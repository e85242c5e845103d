"""Tile presets from the environment: page config, attribution and exact CSP hosts."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from quarter.core.middleware import build_csp
from quarter.maps.presets import csp_hosts, map_config


def img_src(csp: str) -> list[str]:
    for part in csp.split("; "):
        name, *sources = part.split(" ")
        if name == "img-src":
            return sources
    return []


def test_default_is_quarters_own_street_layer_and_no_outside_host(settings):
    settings.QUARTER_MAP_PRESET = ""
    settings.QUARTER_TILES = ""
    config = map_config()
    assert config["preset"] == "streets"
    assert config["layers"] == []
    assert config["streets"] == "/maps/streets/{z}/{x}/{y}.json"
    assert "OpenStreetMap" in config["attribution"]
    assert img_src(build_csp()) == ["'self'", "data:", "blob:"]


def test_tianditu_needs_its_key_and_allows_exactly_its_hosts(settings):
    settings.QUARTER_MAP_PRESET = "tianditu"
    settings.QUARTER_TIANDITU_TK = ""
    with pytest.raises(ImproperlyConfigured, match="QUARTER_TIANDITU_TK"):
        map_config()
    settings.QUARTER_TIANDITU_TK = "abc123"
    layers = map_config()["layers"]
    assert ["vec_w" in layers[0]["url"], "cva_w" in layers[1]["url"]] == [True, True]
    assert all("tk=abc123" in layer["url"] for layer in layers)
    assert all("TILEMATRIXSET=w" in layer["url"] for layer in layers)  # Web Mercator
    assert "天地图" in layers[0]["attribution"]
    assert map_config()["gcj02"] is False
    hosts = [f"https://t{i}.tianditu.gov.cn" for i in range(8)]
    assert csp_hosts() == hosts
    assert img_src(build_csp())[3:] == hosts


def test_amap_is_drawn_in_gcj02_with_its_attribution(settings):
    settings.QUARTER_MAP_PRESET = "amap"
    config = map_config()
    assert config["gcj02"] is True
    assert config["streets"] == ""
    assert "高德" in config["layers"][0]["attribution"]
    assert csp_hosts() == [f"https://webrd0{i}.is.autonavi.com" for i in range(1, 5)]


def test_any_xyz_url_with_its_own_attribution(settings):
    settings.QUARTER_MAP_PRESET = ""
    settings.QUARTER_TILES = "https://tiles.example.cn/{z}/{x}/{y}.png"
    settings.QUARTER_TILES_ATTRIBUTION = "© 示例图源"
    config = map_config()
    assert config["preset"] == "xyz"
    assert config["layers"][0]["attribution"] == "© 示例图源"
    assert csp_hosts() == ["https://tiles.example.cn"]


def test_unknown_preset_is_refused(settings):
    settings.QUARTER_MAP_PRESET = "baidu"
    with pytest.raises(ImproperlyConfigured, match="baidu"):
        map_config()


@pytest.mark.django_db
def test_page_carries_the_preset_config(settings):
    settings.QUARTER_MAP_PRESET = "amap"
    page = Client().get("/map/").content.decode()
    assert '<script id="quarter-map" type="application/json">' in page
    assert '"gcj02": true' in page
    assert "maps/gcj02.js" in page


def test_system_check_reports_a_preset_that_cannot_work(settings):
    from quarter.maps.apps import check_map_preset

    settings.QUARTER_MAP_PRESET = "tianditu"
    settings.QUARTER_TIANDITU_TK = ""
    errors = check_map_preset()
    assert [e.id for e in errors] == ["maps.E001"]
    assert "QUARTER_TIANDITU_TK" in errors[0].msg
    settings.QUARTER_TIANDITU_TK = "abc123"
    assert check_map_preset() == []
