"""Street view: one street office's communities, for its planner and the district's."""

from __future__ import annotations

import pytest

from quarter.core.errors import PermissionDenied
from quarter.coverage import district
from quarter.coverage.tests.factories import (
    east,
    make_community,
    make_compound,
    north,
)
from quarter.coverage.tests.test_district import two_communities  # noqa: F401
from quarter.people.models import Planner, User
from quarter.places.models import StreetOffice

pytestmark = pytest.mark.django_db


@pytest.fixture
def streets(two_communities):  # noqa: F811
    """West and East in 西陵街道; a third community in 葛洲坝街道 of the district."""
    west, east_c, issuer = two_communities
    district_obj = west.street_office.district
    other = StreetOffice.objects.create(name="葛洲坝街道", district=district_obj)
    far = make_community("葛洲坝社区", slug="gezhouba", lat=north(900), lng=east(0))
    far.street_office = other
    far.save(update_fields=["street_office"])
    make_compound(far, "葛洲坝小区", lat=north(15), lng=east(100), households=90)
    street_planner = User.objects.create_user("xiling_jd", password="x-Quarter-2026")
    Planner.objects.create(
        user=street_planner, district=district_obj, street_office=west.street_office
    )
    other_planner = User.objects.create_user("gzb_jd", password="x-Quarter-2026")
    Planner.objects.create(
        user=other_planner, district=district_obj, street_office=other
    )
    whole = User.objects.create_user("xiling_qu", password="x-Quarter-2026")
    Planner.objects.create(user=whole, district=district_obj)
    return west, east_c, far, street_planner, other_planner, whole


def test_the_street_view_holds_only_the_streets_communities(streets):
    west, east_c, far, street_planner, _, whole = streets
    report = district.street_report(
        actor=street_planner, street_office=west.street_office
    )
    assert {r.community.name for r in report.rows} == {"西社区", "东社区"}
    assert report.households_total == 300 + 200 + 120
    # The district-wide planner ranks all three, and may open the street too.
    whole_report = district.district_report(
        actor=whole, district=west.street_office.district
    )
    assert len(whole_report.rows) == 3
    assert district.street_report(actor=whole, street_office=far.street_office).rows


def test_a_street_planner_sees_no_other_street_and_no_district(streets):
    west, east_c, far, street_planner, other_planner, _ = streets
    with pytest.raises(PermissionDenied):
        district.street_report(actor=other_planner, street_office=west.street_office)
    with pytest.raises(PermissionDenied):
        district.suggest_sites_in_street(
            actor=other_planner, street_office=west.street_office, type_code="pharmacy"
        )
    with pytest.raises(PermissionDenied):
        district.district_report(
            actor=street_planner, district=west.street_office.district
        )


def test_street_sites_serve_two_communities_of_the_street(streets):
    west, east_c, far, street_planner, _, _ = streets
    picks = district.suggest_sites_in_street(
        actor=street_planner,
        street_office=west.street_office,
        type_code="pharmacy",
        minutes=5,
    )
    assert picks[0].households_gained == 320  # 东苑 200 + 北苑 120
    assert set(picks[0].communities) == {"西社区", "东社区"}
    assert all("葛洲坝社区" not in p.communities for p in picks)


def test_street_pages_exports_and_the_districts_links(streets, client):
    west, east_c, far, street_planner, other_planner, whole = streets
    street_id = west.street_office.pk
    client.force_login(whole)
    page = client.get(f"/planning/district/{west.street_office.district_id}/")
    html = page.content.decode()
    # The district view links each street.
    assert f"/planning/street/{street_id}/" in html
    assert f"/planning/street/{far.street_office_id}/" in html

    client.force_login(street_planner)
    home = client.get("/planning/").content.decode()
    assert f"/planning/street/{street_id}/" in home
    html = client.get(f"/planning/street/{street_id}/").content.decode()
    assert "西社区" in html and "东社区" in html and "葛洲坝社区" not in html
    assert "街道规划" in html
    sites = client.get(f"/planning/street/{street_id}/suggest/?type=pharmacy")
    assert sites.status_code == 200 and "东社区 · 北苑" in sites.content.decode()
    bad = client.get(f"/planning/street/{street_id}/suggest/?type=nope")
    assert bad.status_code == 400 and "没有这个业态" in bad.content.decode()
    csv = client.get(f"/planning/street/{street_id}/export.csv")
    rows = csv.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("排名,社区") and len(rows) == 3
    xlsx = client.get(f"/planning/street/{street_id}/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    printed = client.get(f"/planning/street/{street_id}/print/").content.decode()
    assert "西社区" in printed and "葛洲坝社区" not in printed
    assert client.get(f"/planning/street/{far.street_office_id}/").status_code == 403
    assert client.get("/planning/street/999999/").status_code == 404

    client.force_login(other_planner)
    assert client.get(f"/planning/street/{street_id}/").status_code == 403
    assert client.get(f"/planning/street/{street_id}/export.csv").status_code == 403
