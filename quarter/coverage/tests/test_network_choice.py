"""Which network a community uses: a smaller import never silently replaces a larger.

Also: re-importing the same file is a no-op, and shops mapped as buildings sit
at the building's true (area-weighted) centroid.
"""

from __future__ import annotations

import pytest

from quarter.core import clock
from quarter.core.actors import SYSTEM
from quarter.core.errors import DomainError
from quarter.coverage import engine as eng
from quarter.coverage import services
from quarter.coverage.models import StreetNetwork
from quarter.coverage.osm import centroid, read_extract
from quarter.coverage.tests.factories import (
    LAT0,
    east,
    make_community,
    make_compound,
    north,
    write_street_osm,
)

pytestmark = pytest.mark.django_db

# --bbox cutting the L street at 1,200 m east: the far compound falls outside.
WEST_HALF = (north(-100), east(-100), north(100), east(1200))


@pytest.fixture
def community_on_full_network(tmp_path):
    path = write_street_osm(tmp_path / "street.osm")
    full = services.import_network(actor=SYSTEM, path=path, name="全路网").network
    community = make_community(lat=LAT0, lng=east(1000))
    make_compound(community, "西苑", lat=north(15), lng=east(0), households=300)
    make_compound(community, "东苑", lat=north(15), lng=east(1900), households=200)
    services.refresh_community(actor=SYSTEM, community=community)
    return community, full, path


def test_a_smaller_import_is_refused_without_the_flag(community_on_full_network):
    community, full, path = community_on_full_network
    with pytest.raises(DomainError) as err:
        # Same file cut smaller: still the newest, and still covers 西苑 —
        # but not 东苑, so the full network stays in use; a network that
        # covers everything but has a smaller extent is what needs the flag.
        services.import_network(
            actor=SYSTEM,
            path=path,
            name="小范围",
            bbox=(north(-100), east(-100), north(100), east(1950)),
        )
    assert err.value.code == "network_smaller_than_in_use"
    assert "全路网" in err.value.message and community.name in err.value.message
    assert StreetNetwork.objects.count() == 1
    assert eng.network_for(community) == full


def test_with_the_flag_it_replaces_and_says_so(community_on_full_network):
    community, full, path = community_on_full_network
    result = services.import_network(
        actor=SYSTEM,
        path=path,
        name="小范围",
        bbox=(north(-100), east(-100), north(100), east(1950)),
        allow_smaller=True,
    )
    assert [(r.community, r.previous, r.smaller) for r in result.replaces] == [
        (community, full, True)
    ]
    assert eng.network_for(community) == result.network


def test_a_network_covering_fewer_places_never_takes_over(community_on_full_network):
    """Cut at 1,200 m: it misses 东苑, so the community keeps the full network
    (no flag needed: nothing is replaced) and the recompute names nobody."""
    community, full, path = community_on_full_network
    result = services.import_network(
        actor=SYSTEM, path=path, name="西半段", bbox=WEST_HALF
    )
    assert result.replaces == []
    assert eng.network_for(community) == full
    assert services.refresh_communities_on(actor=SYSTEM, network=result.network) == []


def test_reimporting_the_same_file_is_a_no_op(community_on_full_network):
    community, full, path = community_on_full_network
    result = services.import_network(actor=SYSTEM, path=path, name="再来一次")
    assert result.already_imported and result.network == full
    assert StreetNetwork.objects.count() == 1


def test_the_planning_page_names_the_network_in_use(community_on_full_network, client):
    from quarter.coverage.tests.factories import make_operator

    community, full, path = community_on_full_network
    client.force_login(make_operator(community))
    page = client.get(f"/planning/{community.slug}/").content.decode()
    assert "全路网" in page
    assert f"{full.imported_at.astimezone(clock.SHANGHAI):%Y-%m-%d}" in page
    assert "2 处小区和商户中 2 处在路网范围内" in page


def test_centroid_of_an_l_shaped_building_is_area_weighted():
    """An L of two 20 m × 10 m blocks: centroid (7.5 m, 12.5 m) from the corner,
    where the mean of the six vertices would be (10 m, 13.3 m)."""
    corners_m = [(0, 0), (20, 0), (20, 10), (10, 10), (10, 30), (0, 30), (0, 0)]
    ring = [(north(y), east(x)) for x, y in corners_m]
    lat, lng = centroid(ring)
    assert lat == pytest.approx(north(12.5), abs=1e-7)
    assert lng == pytest.approx(east(7.5), abs=1e-7)


def test_a_shop_mapped_as_an_l_shaped_building_is_placed_at_its_centroid(tmp_path):
    corners_m = [(0, 0), (20, 0), (20, 10), (10, 10), (10, 30), (0, 30)]
    nodes = "".join(
        f'<node id="{i + 1}" version="1" lat="{north(y):.9f}" lon="{east(x):.9f}"/>'
        for i, (x, y) in enumerate(corners_m)
    )
    refs = "".join(f'<nd ref="{i + 1}"/>' for i in range(6)) + '<nd ref="1"/>'
    path = tmp_path / "shop.osm"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><osm version="0.6">'
        f'{nodes}<way id="9" version="1">{refs}'
        '<tag k="building" v="yes"/><tag k="shop" v="bakery"/></way></osm>',
        encoding="utf-8",
    )
    (poi,) = read_extract(str(path)).pois
    assert poi.lat == pytest.approx(north(12.5), abs=1e-6)
    assert poi.lng == pytest.approx(east(7.5), abs=1e-6)
