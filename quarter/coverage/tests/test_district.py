"""District view: communities ranked, a boundary shop counted for both, area sites."""

from __future__ import annotations

import pytest

from quarter.core.actors import SYSTEM
from quarter.core.errors import PermissionDenied
from quarter.coverage import district, services
from quarter.coverage.tests.factories import (
    LAT0,
    east,
    make_community,
    make_compound,
    make_merchant,
    make_operator,
    north,
    write_street_osm,
)
from quarter.people.models import Issuer, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_communities(tmp_path):
    """West (西苑 at 0 m, 东苑 at 1,900 m) and East (北苑 at 2,000 m, up the footway),
    on one L-shaped street, in one district."""
    services.import_network(
        actor=SYSTEM, path=write_street_osm(tmp_path / "s.osm"), name="测试路网"
    )
    west = make_community("西社区", slug="west", lat=LAT0, lng=east(900))
    east_c = make_community("东社区", slug="east", lat=north(500), lng=east(2000))
    make_compound(west, "西苑", lat=north(15), lng=east(0), households=300)
    make_compound(west, "东苑", lat=north(15), lng=east(1900), households=200)
    make_compound(east_c, "北苑", lat=north(200), lng=east(2015), households=120)
    planner = User.objects.create_user("shangwuju", password="x-Quarter-2026")
    Issuer.objects.create(
        user=planner,
        organisation="西陵区商务局",
        district=west.street_office.district,
    )
    return west, east_c, planner


def test_a_boundary_shop_counts_for_both_communities(two_communities):
    west, east_c, planner = two_communities
    # One pharmacy of East, at the corner: 东苑 (West) and 北苑 (East) reach it.
    make_merchant(east_c, type_code="pharmacy", lat=north(5), lng=east(1990))
    report = district.district_report(
        actor=planner, district=west.street_office.district
    )
    by_name = {r.community.name: r for r in report.rows}
    pharmacy = {
        name: next(
            t for t in r.report.type_counts if t.business_type.code == "pharmacy"
        )
        for name, r in by_name.items()
    }
    assert pharmacy["西社区"].households_covered == 200  # 东苑, across the boundary
    assert pharmacy["东社区"].households_covered == 120
    assert [r.rank for r in report.rows] == [1, 2]


def test_area_sites_serve_two_communities_at_once(two_communities):
    west, east_c, planner = two_communities
    picks = district.suggest_sites_in_district(
        actor=planner,
        district=west.street_office.district,
        type_code="pharmacy",
        minutes=5,
    )
    first = picks[0]
    assert first.households_gained == 320  # 东苑 200 + 北苑 120 from one site
    assert set(first.communities) == {"西社区", "东社区"}
    assert {c for _, c in first.compounds} == {"东苑", "北苑"}


def test_only_the_districts_planner_sees_it(two_communities):
    west, east_c, planner = two_communities
    with pytest.raises(PermissionDenied):
        district.district_report(
            actor=make_operator(west), district=west.street_office.district
        )


def test_the_page_ranks_exports_and_suggests(two_communities, client):
    west, east_c, planner = two_communities
    district_id = west.street_office.district.pk
    client.force_login(planner)
    page = client.get(f"/planning/district/{district_id}/").content.decode()
    assert "西社区" in page and "东社区" in page and 'id="district-data"' in page
    sites = client.get(
        f"/planning/district/{district_id}/suggest/?type=pharmacy"
    ).content.decode()
    assert "新增覆盖" in sites and "东社区 · 北苑" in sites
    bad = client.get(f"/planning/district/{district_id}/suggest/?type=nope")
    assert bad.status_code == 400 and "没有这个业态" in bad.content.decode()
    csv = client.get(f"/planning/district/{district_id}/export.csv")
    text = csv.content.decode("utf-8-sig")
    assert csv.status_code == 200 and text.splitlines()[0].startswith("排名,社区")
    assert client.get("/planning/district/999999/").status_code == 404


def test_planners_see_their_district_or_only_their_street(two_communities):
    from quarter.coverage.access import districts_planned_by
    from quarter.people.models import Planner
    from quarter.places.access import communities_planned_by
    from quarter.places.models import District, StreetOffice

    west, east_c, _ = two_communities
    district_obj = west.street_office.district
    whole = User.objects.create_user("quhua", password="x-Quarter-2026")
    Planner.objects.create(user=whole, district=district_obj)
    other_street = StreetOffice.objects.create(name="别的街道", district=district_obj)
    street = User.objects.create_user("jiedao", password="x-Quarter-2026")
    Planner.objects.create(
        user=street, district=district_obj, street_office=other_street
    )
    elsewhere = User.objects.create_user("biequ", password="x-Quarter-2026")
    Planner.objects.create(
        user=elsewhere, district=District.objects.create(name="别区", city="别市")
    )

    assert set(communities_planned_by(whole)) == {west, east_c}
    assert list(districts_planned_by(whole)) == [district_obj]
    # A street-office planner sees no community outside the street, and no
    # district-wide view.
    assert list(communities_planned_by(street)) == []
    assert list(districts_planned_by(street)) == []
    assert list(communities_planned_by(elsewhere)) == []
    with pytest.raises(PermissionDenied):
        district.district_report(actor=elsewhere, district=district_obj)
