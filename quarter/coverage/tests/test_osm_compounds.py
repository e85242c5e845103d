"""Compounds from OSM residential areas (households from buildings) and street names."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from django.core.management import call_command

from quarter.core.errors import PermissionDenied
from quarter.coverage import services
from quarter.coverage.engine import graph_index
from quarter.coverage.models import StreetNetwork
from quarter.coverage.osm_compounds import read_compounds
from quarter.coverage.selectors import suggest_sites
from quarter.coverage.tests.factories import (
    LAT0,
    east,
    make_community,
    make_merchant,
    make_operator,
    north,
)
from quarter.places.models import Compound, CompoundEvent


def write_compound_osm(path: Path) -> Path:
    """夷陵大道 runs east 0..1500 m; 桃花岭小区 (200 m square north of it) has
    a 6-storey block of 40 × 25 m, an untagged block of 30 × 20 m and a
    school of 40 × 25 m; 江景苑 (100 m square at 1200 m) has no building
    mapped; an unnamed residential area lies beside them."""
    nodes, ways = [], []
    nid, wid = itertools.count(1), itertools.count(1)

    def node(lat, lng, tags=None):
        i = next(nid)
        tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in (tags or {}).items())
        nodes.append(
            f'<node id="{i}" version="1" lat="{lat:.7f}" lon="{lng:.7f}">'
            f"{tag_xml}</node>"
        )
        return i

    def way(refs, tags):
        nd = "".join(f'<nd ref="{r}"/>' for r in refs)
        tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        ways.append(f'<way id="{next(wid)}" version="1">{nd}{tag_xml}</way>')

    def box(x0, y0, w, h, tags):
        ids = [
            node(north(y), east(x))
            for x, y in ((x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h))
        ]
        way(ids + ids[:1], tags)

    street = [node(LAT0, east(x)) for x in range(0, 1501, 100)]
    way(street, {"highway": "residential", "name": "夷陵大道"})
    box(100, 20, 200, 200, {"landuse": "residential", "name": "桃花岭小区"})
    box(120, 40, 40, 25, {"building": "residential", "building:levels": "6"})
    box(200, 40, 30, 20, {"building": "yes"})
    box(120, 120, 40, 25, {"building": "school"})
    box(1200, 20, 100, 100, {"landuse": "residential", "name": "江景苑"})
    box(600, 20, 100, 100, {"landuse": "residential"})
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n'
        + "\n".join(nodes + ways)
        + "\n</osm>\n"
    )
    path.write_text(xml, encoding="utf-8")
    return path


def test_households_come_from_dwelling_floor_area_over_a_flat(tmp_path):
    estimates = {
        e.name: e for e in read_compounds(write_compound_osm(tmp_path / "a.osm"))
    }
    assert set(estimates) == {"桃花岭小区", "江景苑"}  # the unnamed area is left out
    taohua = estimates["桃花岭小区"]
    # 1000 m² × 6 storeys + 600 m² × 6 (untagged) = 9600 m²; the school is no home.
    assert taohua.buildings == 2
    assert taohua.floor_m2 == pytest.approx(9600, rel=0.01)
    assert taohua.households == round(taohua.floor_m2 / 90)
    assert taohua.population == round(taohua.households * 2.31)
    assert taohua.how == "buildings"
    jiangjing = estimates["江景苑"]
    # No building mapped: 10 000 m² of land × floor-area ratio 1.5 ÷ 90 m².
    assert jiangjing.how == "land_area"
    assert jiangjing.households == pytest.approx(167, abs=2)
    assert LAT0 < jiangjing.lat < north(120) and east(1200) < jiangjing.lng < east(1300)


def test_a_compounds_outline_is_its_area_in_lng_lat(tmp_path):
    estimates = {
        e.name: e for e in read_compounds(write_compound_osm(tmp_path / "a.osm"))
    }
    outline = estimates["江景苑"].outline
    assert outline["type"] == "Polygon"
    ring = outline["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5  # a closed square
    lngs = sorted({p[0] for p in ring})
    lats = sorted({p[1] for p in ring})
    assert lngs == pytest.approx([east(1200), east(1300)], abs=2e-6)
    assert lats == pytest.approx([north(20), north(120)], abs=2e-6)


@pytest.mark.django_db
def test_import_osm_compounds_creates_estimated_compounds_and_names_streets(tmp_path):
    path = write_compound_osm(tmp_path / "a.osm")
    community = make_community("桃花社区", slug="taohua", lng=east(700))
    call_command(
        "import_osm", str(path), "--compounds", "--community", "taohua", "--no-progress"
    )
    compounds = {c.name: c for c in Compound.objects.filter(community=community)}
    assert set(compounds) == {"桃花岭小区", "江景苑"}
    assert compounds["桃花岭小区"].households == pytest.approx(107, abs=1)
    assert compounds["桃花岭小区"].outline["type"] == "Polygon"
    event = CompoundEvent.objects.get(compound=compounds["桃花岭小区"])
    assert "OpenStreetMap" in event.reason
    assert "2栋楼" in event.after["households_estimated"]
    network = StreetNetwork.objects.get()
    assert graph_index(network).nearest_street(north(30), east(400)) == "夷陵大道"
    # Importing again adds nothing: the names exist.
    call_command(
        "import_osm", str(path), "--compounds", "--community", "taohua", "--no-progress"
    )
    assert Compound.objects.filter(community=community).count() == 2


@pytest.mark.django_db
def test_site_suggestion_names_the_street_and_the_compound(tmp_path):
    path = write_compound_osm(tmp_path / "a.osm")
    community = make_community("桃花社区", slug="taohua", lng=east(700))
    operator = make_operator(community)
    services.import_network(
        actor=operator, path=path, community=community, import_compounds=True
    )
    make_merchant(community, type_code="laundry", lat=LAT0, lng=east(1500))
    picks = suggest_sites(actor=operator, community=community, type_code="pharmacy")
    assert picks
    assert picks[0].street == "夷陵大道"
    assert picks[0].near_compound in {"桃花岭小区", "江景苑"}
    assert picks[0].place.startswith("近 夷陵大道")
    assert picks[0].place.endswith(f"{picks[0].near_compound}旁")


@pytest.mark.django_db
def test_another_communitys_operator_cannot_import_compounds(tmp_path):
    path = write_compound_osm(tmp_path / "a.osm")
    community = make_community("桃花社区", slug="taohua", lng=east(700))
    stranger = make_operator(make_community("别的社区"))
    with pytest.raises(PermissionDenied):
        services.import_network(
            actor=stranger, path=path, community=community, import_compounds=True
        )
    assert not Compound.objects.filter(community=community).exists()
    assert not StreetNetwork.objects.exists()
