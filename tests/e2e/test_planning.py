"""Browser journey of planning: an operator closes a 菜市场 gap in 锦绣社区."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from conftest import shot
from quarter.coverage.tests.factories import (
    LAT0,
    east,
    make_community,
    make_compound,
    make_merchant,
    make_operator,
    north,
)
from tests.e2e.journeys import ensure_catalogue as _ensure_catalogue

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _jinxiu():
    """锦绣社区: four compounds by the market; 江景苑 1.6 km east, no 菜市场 near."""
    _ensure_catalogue()
    community = make_community("锦绣社区", slug="jinxiu", lat=LAT0, lng=east(600))
    for i, (name, households) in enumerate(
        [
            ("葛洲坝一区", 820),
            ("葛洲坝二区", 760),
            ("桃花岭小区", 540),
            ("西坝老街", 430),
        ]
    ):
        make_compound(
            community, name, lat=north(80 * i), lng=east(60 * i), households=households
        )
    make_compound(community, "江景苑", lat=north(40), lng=east(1600), households=460)
    make_merchant(
        community,
        name="西坝农贸市场",
        type_code="wet_market",
        lat=north(60),
        lng=east(120),
    )
    make_merchant(
        community,
        name="葛洲坝便利店",
        type_code="convenience_store",
        lat=north(50),
        lng=east(900),
        is_chain=True,
    )
    make_merchant(
        community, name="老街早餐", type_code="breakfast", lat=north(20), lng=east(300)
    )
    return community, make_operator(community, username="jinxiu_op")


def _log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_operator_closes_wet_market_gap(page, live_server):
    community, operator = _jinxiu()
    _log_in(page, live_server, operator)
    errors = []
    page.on("pageerror", lambda e: errors.append(f"{e}\n{e.stack}"))

    page.goto(f"{live_server.url}/planning/")
    page.click("text=锦绣社区")
    expect(page.locator("h1")).to_contain_text("锦绣社区")
    expect(page.locator("#planning-map")).to_have_attribute("data-ready", "1")
    row = page.locator('#gap-table tr[data-compound="江景苑"]')
    expect(row.locator("td.missing")).to_contain_text("菜市场")
    expect(
        page.locator('#gap-table tr[data-compound="葛洲坝一区"] td.missing')
    ).not_to_contain_text("菜市场")
    expect(page.get_by_text("估算").first).to_be_visible()
    expect(page.locator(".leaflet-interactive").first).to_be_attached()
    shot(page, "planning-dashboard")
    page.select_option("#iso-compound", label="江景苑")
    expect(page.locator("#planning-map")).to_have_attribute("data-iso-ready", "1")

    page.select_option("#suggest-type", "wet_market")
    page.click("#suggest-form button[type=submit]")
    first = page.locator("#suggestions .suggestion").first
    expect(first).to_contain_text("新增覆盖 460 户")
    expect(first).to_contain_text("江景苑")
    shot(page, "planning-suggestions")

    first.get_by_role("button", name="在此模拟开店").click()
    result_row = page.locator("#whatif tr", has_text="江景苑")
    expect(result_row).to_contain_text("变为覆盖")
    expect(page.locator("#whatif")).to_contain_text("新增 460 户")
    expect(page.locator("#planning-map .leaflet-marker-icon")).to_be_visible()
    result_row.scroll_into_view_if_needed()
    shot(page, "planning-what-if")
    assert errors == []


def test_planning_refuses_operator_of_another_community(page, live_server):
    community, _ = _jinxiu()
    stranger = make_operator(
        make_community("东河社区", slug="donghe"), username="dh_op"
    )
    _log_in(page, live_server, stranger)
    response = page.goto(f"{live_server.url}/planning/{community.slug}/")
    assert response.status == 403
    page.goto(f"{live_server.url}/planning/")
    expect(page.locator("main")).not_to_contain_text("锦绣社区")
    expect(page.locator("main")).to_contain_text("东河社区")


def test_dashboard_on_a_real_street_network(page, live_server):
    """With Helsinki's streets imported the map shows street-shaped isochrones."""
    from quarter.coverage import services
    from quarter.coverage.tests.test_osm import HELSINKI

    _ensure_catalogue()
    community = make_community("赫尔辛基社区", slug="helsinki", lat=60.17, lng=24.945)
    operator = make_operator(community, username="hki_op")
    services.import_network(
        path=HELSINKI, actor=operator, community=community, import_shops=True
    )
    community.merchants.filter(main_type__tier="basic").update(admission="approved")
    make_compound(community, "Kamppi", lat=60.1690, lng=24.9390, households=800)
    make_compound(community, "Kluuvi", lat=60.1710, lng=24.9470, households=500)
    _log_in(page, live_server, operator)
    page.goto(f"{live_server.url}/planning/helsinki/")
    # The first view computes the isochrones on real streets (then cached).
    expect(page.locator("#planning-map")).to_have_attribute(
        "data-ready", "1", timeout=30_000
    )
    expect(page.locator("main")).to_contain_text("步行时间按真实路网")
    expect(page.locator("main .badge.estimate")).to_have_count(0)
    expect(page.locator("#pending-table")).to_contain_text("咖啡店")
    page.locator("#planning-map").scroll_into_view_if_needed()
    shot(page, "planning-helsinki-network")
