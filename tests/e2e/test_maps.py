"""Browser journeys of the maps: streets with no tile server, picking a shop's place.

The walking network is the real one of Wudaokou, Beijing (../shared/data, or
QUARTER_SHARED_DATA), imported through the normal import service.
"""

from __future__ import annotations

import math

import pytest
from playwright.sync_api import expect

from conftest import ARTIFACTS, shot
from quarter.core.actors import SYSTEM
from quarter.coverage import services as coverage
from quarter.coverage.tests.factories import make_community, make_compound
from quarter.maps.gcj02 import wgs_to_gcj
from quarter.maps.tests.conftest import CENTRE, WUDAOKOU
from quarter.places.models import Merchant
from quarter.places.tests.factories import make_merchant, make_owner, make_user
from tests.e2e.test_planning import _ensure_catalogue

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-strong-pass-2026"


def metres(a, b) -> float:
    dlat = (a[0] - b[0]) * 111_195
    dlng = (a[1] - b[1]) * 111_195 * math.cos(math.radians(a[0]))
    return math.hypot(dlat, dlng)


@pytest.fixture
def wudaokou_world(settings):
    """No tile server; 东升社区 on the Wudaokou network with two compounds."""
    settings.QUARTER_TILES = ""
    settings.QUARTER_MAP_PRESET = ""
    _ensure_catalogue()
    coverage.import_network(actor=SYSTEM, path=WUDAOKOU, name="五道口")
    community = make_community(
        "东升社区", slug="dongsheng", lat=CENTRE[0], lng=CENTRE[1]
    )
    heqing = make_compound(
        community, "荷清苑", lat=CENTRE[0] + 0.0012, lng=CENTRE[1] + 0.0012
    )
    # Its area, as the OSM import stores it: about 170 × 130 m around the point.
    s, w = CENTRE[0] + 0.0006, CENTRE[1] + 0.0002
    n, e = CENTRE[0] + 0.0018, CENTRE[1] + 0.0022
    heqing.outline = {
        "type": "Polygon",
        "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]],
    }
    heqing.save()
    make_compound(
        community, "清华东门小区", lat=CENTRE[0] - 0.0010, lng=CENTRE[1] - 0.0011
    )
    return community


def login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state("networkidle")


def wait_for_streets(page, selector: str) -> None:
    """The street layer has drawn lines from the imported network."""
    page.wait_for_function(
        "s => { const el = document.querySelector(s); return el"
        " && el.dataset.streetNetwork === '1'"
        " && Number(el.dataset.streetLines) > 20; }",
        arg=selector,
    )


def click_map_centre(page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    page.locator(selector).click(
        position={"x": box["width"] / 2, "y": box["height"] / 2}
    )


def fill_application(page) -> None:
    page.fill("#id_name", "五道口修鞋铺")
    page.select_option("#id_main_type", label="早餐店")
    page.fill("#id_address", "成府路 28 号")
    page.fill("#id_phone", "13812345678")
    page.fill("#id_contact_person", "赵师傅")
    page.fill("#id_card_discount", "8")
    page.fill("#id_vip_discount", "9")


def test_shopkeeper_picks_location_on_street_layer_without_tile_server(
    page, live_server, wudaokou_world
):
    make_user("shopkeeper")
    login(page, live_server, "shopkeeper")
    page.goto(live_server.url + "/apply/")
    page.select_option("#id_community", label="东升社区")
    fill_application(page)
    picker = "#id_lat-map"
    wait_for_streets(page, picker)
    expect(page.locator(f"{picker} .compound-name", has_text="荷清苑")).to_be_visible()
    expect(
        page.locator(f"{picker} .compound-name", has_text="清华东门小区")
    ).to_be_visible()
    expect(page.locator(f"{picker} .leaflet-control-attribution")).to_contain_text(
        "OpenStreetMap"
    )
    click_map_centre(page, picker)
    expect(page.locator("#id_lat-status")).to_contain_text("已选位置")
    expect(page.locator(f"{picker} .leaflet-marker-icon")).to_be_visible()
    page.locator(picker).scroll_into_view_if_needed()
    shot(page, "maps-apply-form")
    page.locator(picker).screenshot(path=str(ARTIFACTS / "maps-apply-picker.png"))
    page.click("#apply-form button[type=submit]")
    expect(page.locator("#admission")).to_have_text("待审核")

    merchant = Merchant.objects.get(name="五道口修鞋铺")
    # The map opened on the community centre; its centre pixel is that place.
    assert metres((merchant.lat, merchant.lng), CENTRE) < 5


def test_shopkeeper_moves_shop_in_console_by_keyboard(
    page, live_server, wudaokou_world
):
    merchant = make_merchant(
        wudaokou_world,
        name="荷清早点",
        type_code="breakfast",
        lat=CENTRE[0],
        lng=CENTRE[1],
    )
    make_owner(merchant, username="owner1")
    login(page, live_server, "owner1")
    page.goto(f"{live_server.url}/console/{merchant.id}/")
    wait_for_streets(page, "#id_lat-map")
    expect(page.locator("#id_lat-map .leaflet-marker-icon")).to_be_visible()
    # Keyboard fallback: the inputs are labelled and move the marker as typed.
    page.get_by_label("纬度").fill("40.001500")
    page.get_by_label("经度").fill("116.327600")
    expect(page.locator("#id_lat-status")).to_contain_text("40.0015")
    page.locator("#profile button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("已保存")
    merchant.refresh_from_db()
    assert (merchant.lat, merchant.lng) == (40.0015, 116.3276)


def test_resident_map_shows_streets_and_compound_names(
    page, live_server, wudaokou_world
):
    page.goto(f"{live_server.url}/map/?community=dongsheng")
    wait_for_streets(page, "#map")
    expect(page.locator("#map .compound-name", has_text="荷清苑")).to_be_visible()
    # 荷清苑's outline is drawn under the streets.
    page.wait_for_function(
        "() => Number(document.querySelector('#map').dataset.compoundAreas || 0) > 0"
    )
    shot(page, "maps-resident")
    page.locator("#map").screenshot(path=str(ARTIFACTS / "maps-resident-map.png"))


def test_without_network_the_map_says_so_and_names_compounds(
    page, live_server, settings
):
    settings.QUARTER_TILES = ""
    settings.QUARTER_MAP_PRESET = ""
    community = make_community("锦绣社区", slug="jinxiu", lat=30.69, lng=111.28)
    make_compound(community, "葛洲坝一区", lat=30.6905, lng=111.2805)
    page.goto(f"{live_server.url}/map/?community=jinxiu")
    expect(page.locator("#map .map-notice")).to_contain_text("尚未导入步行路网")
    expect(page.locator("#map .compound-name", has_text="葛洲坝一区")).to_be_visible()


def test_amap_preset_stores_the_picked_point_in_wgs84(
    page, live_server, wudaokou_world, settings
):
    settings.QUARTER_MAP_PRESET = "amap"
    # 高德's tile servers are outside the test: answer them with nothing.
    page.route("https://*.is.autonavi.com/**", lambda route: route.abort())
    make_user("shopkeeper")
    login(page, live_server, "shopkeeper")
    page.goto(live_server.url + "/apply/")
    page.select_option("#id_community", label="东升社区")
    fill_application(page)
    expect(page.locator("#id_lat-map")).to_have_attribute("data-map-preset", "amap")
    expect(page.locator("#id_lat-map .leaflet-control-attribution")).to_contain_text(
        "高德"
    )
    click_map_centre(page, "#id_lat-map")
    expect(page.locator("#id_lat-status")).to_contain_text("已选位置")
    page.click("#apply-form button[type=submit]")
    expect(page.locator("#admission")).to_have_text("待审核")
    merchant = Merchant.objects.get(name="五道口修鞋铺")
    picked = (merchant.lat, merchant.lng)
    # The centre pixel shows the community centre on GCJ-02 tiles; what is
    # stored is its WGS-84 position, not the shifted GCJ-02 one (~500 m away).
    assert metres(picked, CENTRE) < 5
    assert metres(picked, wgs_to_gcj(*CENTRE)) > 300


def test_a_residents_map_popup_says_how_far_the_shop_walks_from_home(
    page, live_server, wudaokou_world
):
    from quarter.people.models import Household, Resident

    compound = wudaokou_world.compounds.get(name="荷清苑")
    make_merchant(
        wudaokou_world,
        name="荷清便利店",
        type_code="convenience_store",
        lat=CENTRE[0] + 0.0020,
        lng=CENTRE[1] + 0.0012,
    )
    coverage.refresh_community(actor=SYSTEM, community=wudaokou_world)
    user = make_user("13900000088", password=PASSWORD)
    Resident.objects.create(
        user=user,
        phone="13900000088",
        household=Household.objects.create(compound=compound, address="1-101"),
    )
    login(page, live_server, "13900000088")
    page.goto(f"{live_server.url}/map/?community=dongsheng")
    wait_for_streets(page, "#map")
    expect(page.locator("#map")).to_have_attribute("data-count", "1")
    marker = page.locator('#map path.leaflet-interactive[fill="#1f77b4"]').first
    walk = page.locator(".leaflet-popup .walk")
    # The marker cluster redraws once the map has settled (after the street
    # layer and the popup's own pan), which can close a popup opened before:
    # tap again, as a resident would, until it stays open.
    for _attempt in range(4):
        marker.click()
        page.wait_for_timeout(600)
        if walk.count():
            break
    # Measured on the Wudaokou streets, so no 约.
    expect(walk).to_contain_text("步行")
    expect(walk).not_to_contain_text("约")
    shot(page, "maps-walk-popup")
