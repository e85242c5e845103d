"""Browser journey: the district commerce bureau ranks its communities and finds
a pharmacy site near a boundary that serves two communities at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.coverage.tests.factories import (
    LAT0,
    east,
    make_community,
    make_compound,
    make_merchant,
)
from quarter.people.models import Issuer, User
from quarter.people.services import add_role
from tests.e2e.test_planning import _ensure_catalogue, _log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_district_planner_ranks_communities_and_finds_a_shared_site(page, live_server):
    _ensure_catalogue()
    west = make_community("西坝社区", slug="xiba", lat=LAT0, lng=east(1500))
    east_c = make_community("桃花社区", slug="taohua", lat=LAT0, lng=east(4900))
    make_compound(west, "葛洲坝一区", lat=LAT0, lng=east(0), households=800)
    make_compound(west, "边界东苑", lat=LAT0, lng=east(3000), households=400)
    make_compound(east_c, "边界西苑", lat=LAT0, lng=east(3500), households=380)
    make_compound(east_c, "桃花岭", lat=LAT0, lng=east(6400), households=600)
    for community, x in ((west, 100), (east_c, 6300)):
        make_merchant(community, type_code="pharmacy", lat=LAT0, lng=east(x))
    planner = User.objects.create_user("xiling_swj", password="Quarter-2026!")
    add_role(planner, "issuer")
    Issuer.objects.create(
        user=planner, organisation="西陵区商务局", district=west.street_office.district
    )
    _log_in(page, live_server, planner)

    page.goto(f"{live_server.url}/planning/")
    page.get_by_role("link", name="宜昌市西陵区").click()
    rows = page.locator("#district-ranking tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("1")
    expect(page.locator("#district-map .leaflet-interactive")).to_have_count(2)
    shot(page, "district-ranking")

    page.select_option("#district-suggest-type", "pharmacy")
    page.get_by_role("button", name="给出选址建议").click()
    first = page.locator("#district-sites .suggestion").first
    expect(first).to_contain_text("同时服务 2 个社区")
    expect(first).to_contain_text("西坝社区 · 边界东苑")
    expect(first).to_contain_text("桃花社区 · 边界西苑")
    expect(page.locator("#district-map .leaflet-marker-icon")).not_to_have_count(0)
    shot(page, "district-shared-site")


def test_planner_opens_the_district_then_a_street_and_finds_a_shared_site(
    page, live_server
):
    """A district-wide planner (规划人员, not the issuer) goes district → street."""
    from quarter.people.models import Planner
    from quarter.places.models import StreetOffice

    _ensure_catalogue()
    west = make_community("西坝社区", slug="xiba", lat=LAT0, lng=east(1500))
    east_c = make_community("桃花社区", slug="taohua", lat=LAT0, lng=east(4900))
    make_compound(west, "葛洲坝一区", lat=LAT0, lng=east(0), households=800)
    make_compound(west, "边界东苑", lat=LAT0, lng=east(3000), households=400)
    make_compound(east_c, "边界西苑", lat=LAT0, lng=east(3500), households=380)
    make_compound(east_c, "桃花岭", lat=LAT0, lng=east(6400), households=600)
    for community, x in ((west, 100), (east_c, 6300)):
        make_merchant(community, type_code="pharmacy", lat=LAT0, lng=east(x))
    district = west.street_office.district
    other = StreetOffice.objects.create(name="窑湾街道", district=district)
    far = make_community("夷陵社区", slug="yiling", lat=LAT0, lng=east(20000))
    far.street_office = other
    far.save(update_fields=["street_office"])
    make_compound(far, "夷陵小区", lat=LAT0, lng=east(20000), households=300)
    planner = User.objects.create_user("xiling_guihua", password="Quarter-2026!")
    add_role(planner, "planner")
    Planner.objects.create(user=planner, district=district, organisation="西陵区规划")
    _log_in(page, live_server, planner)

    page.goto(f"{live_server.url}/")
    page.locator("#nav-area-planning").click()
    page.get_by_role("link", name="宜昌市西陵区").click()
    rows = page.locator("#district-ranking tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#district-map .leaflet-interactive")).to_have_count(3)
    shot(page, "planner-district")

    page.locator(".planning-streets").get_by_role("link", name="西陵街道").click()
    expect(page.locator("h1")).to_contain_text("西陵街道")
    expect(rows).to_have_count(2)
    expect(page.locator("#district-ranking")).not_to_contain_text("夷陵社区")
    expect(page.locator("#district-map .leaflet-interactive")).to_have_count(2)
    page.select_option("#district-suggest-type", "pharmacy")
    page.get_by_role("button", name="给出选址建议").click()
    first = page.locator("#district-sites .suggestion").first
    expect(first).to_contain_text("同时服务 2 个社区")
    expect(first).to_contain_text("西坝社区 · 边界东苑")
    expect(first).to_contain_text("桃花社区 · 边界西苑")
    shot(page, "planner-street-shared-site")
