"""Builders for coverage tests: a community, compounds, merchants, a small OSM file."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal
from pathlib import Path

from quarter.people.models import User
from quarter.places.models import (
    Admission,
    Community,
    Compound,
    District,
    Merchant,
    MerchantStatus,
    StreetOffice,
)
from quarter.places.tests import factories as places_factories

_seq = itertools.count(1)
LAT0, LNG0 = 30.7000, 111.2800  # 宜昌
M_PER_DEG_LAT = math.pi * 6_371_008.8 / 180
M_PER_DEG_LNG = M_PER_DEG_LAT * math.cos(math.radians(LAT0))


def east(metres: float) -> float:
    """Longitude `metres` east of LNG0."""
    return LNG0 + metres / M_PER_DEG_LNG


def north(metres: float) -> float:
    """Latitude `metres` north of LAT0."""
    return LAT0 + metres / M_PER_DEG_LAT


def make_community(name="锦绣社区", slug=None, lat=LAT0, lng=LNG0) -> Community:
    district, _ = District.objects.get_or_create(city="宜昌市", name="西陵区")
    street, _ = StreetOffice.objects.get_or_create(district=district, name="西陵街道")
    return Community.objects.create(
        name=name,
        slug=slug or f"cov{next(_seq)}",
        street_office=street,
        area_km2=Decimal("1.200"),
        center_lat=lat,
        center_lng=lng,
    )


def make_compound(
    community, name=None, *, lat=LAT0, lng=LNG0, households=100
) -> Compound:
    return places_factories.make_compound(
        community,
        name=name or f"小区{next(_seq)}",
        lat=lat,
        lng=lng,
        households=households,
    )


def make_merchant(
    community,
    *,
    type_code="convenience_store",
    lat=LAT0,
    lng=LNG0,
    admission=Admission.APPROVED,
    status=MerchantStatus.OPEN,
    name=None,
    is_chain=False,
) -> Merchant:
    return places_factories.make_merchant(
        community,
        name=name or f"店{next(_seq)}",
        type_code=type_code,
        lat=lat,
        lng=lng,
        admission=admission,
        status=status,
        is_chain=is_chain,
        brand_name="连锁" if is_chain else "",
    )


def make_operator(community, username=None) -> User:
    return places_factories.make_operator(community, username or f"op{next(_seq)}")


def write_street_osm(path: Path) -> Path:
    """Write a small .osm file: an L of walkable streets, and roads not to walk.

    Main street (residential) runs east from the origin, nodes every 100 m, 0..2000 m;
    a footway runs north from its east end. A motorway and a `foot=no` path run
    parallel 50 m south and must not be kept. A greengrocer and a pharmacy sit
    beside the street; an island path far away is a separate fragment.
    """
    nodes, ways = [], []
    nid = itertools.count(1)

    def node(lat, lng, tags=None):
        i = next(nid)
        tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in (tags or {}).items())
        nodes.append(
            f'<node id="{i}" version="1" lat="{lat:.7f}" lon="{lng:.7f}">'
            f"{tag_xml}</node>"
        )
        return i

    def way(wid, refs, tags):
        nd = "".join(f'<nd ref="{r}"/>' for r in refs)
        tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        ways.append(f'<way id="{wid}" version="1">{nd}{tag_xml}</way>')

    main = [node(LAT0, east(x)) for x in range(0, 2001, 100)]
    way(1, main, {"highway": "residential", "name": "夷陵大道"})
    north_leg = [main[-1]] + [node(north(y), east(2000)) for y in range(100, 1001, 100)]
    way(2, north_leg, {"highway": "footway"})
    motorway = [node(north(-50), east(x)) for x in range(0, 2001, 500)]
    way(3, motorway, {"highway": "motorway"})
    private = [node(north(-30), east(x)) for x in range(0, 2001, 1000)]
    way(4, private, {"highway": "path", "foot": "no"})
    node(
        north(10),
        east(1000),
        {"shop": "greengrocer", "name": "Veg", "name:zh": "绿叶菜店"},
    )
    node(north(-10), east(300), {"amenity": "pharmacy", "name": "大药房"})
    node(north(-10), east(310), {"amenity": "parking"})
    island = [node(north(5000), east(5000 + x)) for x in (0, 50, 100)]
    way(5, island, {"highway": "footway"})
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n'
        + "\n".join(nodes + ways)
        + "\n</osm>\n"
    )
    path.write_text(xml, encoding="utf-8")
    return path
