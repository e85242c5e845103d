"""Pages of the places app as a resident and a merchant meet them."""

import pytest

from quarter.places import services
from quarter.places.models import Admission
from quarter.places.tests.factories import (
    make_community,
    make_compound,
    make_merchant,
    make_owner,
)

pytestmark = pytest.mark.django_db


def test_map_page_uses_tiles_only_when_configured(client, settings):
    make_community(slug="donghe")
    settings.QUARTER_TILES = ""
    page = client.get("/map/?community=donghe").content.decode()
    # No tile server: Quarter's own street layer, no outside host.
    assert "/maps/streets/{z}/{x}/{y}.json" in page
    settings.QUARTER_TILES = "https://tiles.example/{z}/{x}/{y}.png"
    page = client.get("/map/?community=donghe").content.decode()
    assert "https://tiles.example/{z}/{x}/{y}.png" in page


def test_search_page_partial_for_htmx_and_full_page_otherwise(client):
    make_merchant(make_community(), name="阿明理发店", services=["理发"])
    full = client.get("/search/", {"q": "理发"}).content.decode()
    partial = client.get(
        "/search/", {"q": "理发"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "阿明理发店" in full and "<html" in full
    assert "阿明理发店" in partial and "<html" not in partial


def test_search_page_bad_input_is_400_with_reason(client):
    response = client.get("/search/", {"q": "理" * 41})
    assert response.status_code == 400
    assert "搜索词不能超过40个字" in response.content.decode()


def test_merchant_page_shows_renovation_banner_and_hides_unlisted(client):
    community = make_community()
    shop = make_merchant(community, name="老王修鞋")
    owner = make_owner(shop)
    services.set_merchant_status(actor=owner, merchant=shop, status="renovating")
    page = client.get(f"/merchants/{shop.id}/").content.decode()
    assert "装修中" in page
    pending = make_merchant(community, name="待审店", admission=Admission.APPLIED)
    assert client.get(f"/merchants/{pending.id}/").status_code == 404


def test_home_orders_nearby_shops_from_the_residents_compound(client):
    from quarter.people import services as people
    from quarter.people.tests.factories import sign_up

    community = make_community()
    compound = make_compound(community, lat=30.30, lng=120.20)
    make_merchant(community, name="远的店", lat=30.26, lng=120.17)
    make_merchant(community, name="近的店", lat=30.3001, lng=120.2001)
    resident = sign_up("13800001234")
    people.join_household(actor=resident.user, compound=compound, address="1幢101")
    client.force_login(resident.user)
    page = client.get("/").content.decode()
    assert page.index("近的店") < page.index("远的店")


def test_console_is_only_for_the_merchants_staff(client):
    shop = make_merchant(make_community())
    owner = make_owner(shop)
    stranger = make_owner(make_merchant(make_community(name="锦绣社区"), name="别家"))
    client.force_login(stranger)
    assert client.get(f"/console/{shop.id}/").status_code == 403
    client.force_login(owner)
    assert client.get(f"/console/{shop.id}/").status_code == 200


def test_unknown_community_on_map_data_is_a_json_404(client):
    response = client.get("/map/merchants.json", {"community": "nowhere"})
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_community"
