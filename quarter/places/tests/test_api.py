"""The places JSON API: same search semantics as the pages,
4xx with field and reason."""

import pytest

from quarter.places.models import SearchLog
from quarter.places.tests.factories import (
    CENTER,
    make_community,
    make_compound,
    make_merchant,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    community = make_community(slug="donghe")
    make_compound(community)
    return make_merchant(
        community, name="阿明理发店", services=["理发"], card=550, vip=700
    )


def test_business_types_lists_both_tiers(client):
    data = client.get("/api/business-types").json()
    tiers = {t["tier"] for t in data}
    assert {"basic", "quality", "public"} <= tiers
    names = {t["name_zh"] for t in data if t["tier"] == "basic"}
    assert {"便利店", "菜市场", "药店", "再生资源回收点"} <= names
    pharmacy = next(t for t in data if t["code"] == "breakfast")
    assert "一店一早" in pharmacy["groupings"]


def test_communities_and_compounds(client, shop):
    assert client.get("/api/communities").json()[0]["slug"] == "donghe"
    compounds = client.get("/api/communities/donghe/compounds").json()
    assert compounds[0]["name"] == "利兹城市公寓"
    missing = client.get("/api/communities/nowhere/compounds")
    assert missing.status_code == 404 and missing.json()["code"] == "unknown_community"


def test_search_api_finds_barber_with_discount_and_distance(client, shop):
    body = client.get(
        "/api/merchants",
        {"q": "理发", "lat": CENTER[0] + 0.001, "lng": CENTER[1], "sort": "distance"},
    ).json()
    assert body["total"] == 1
    hit = body["results"][0]
    assert (hit["name"], hit["card_discount"], hit["distance_m"]) == (
        "阿明理发店",
        "5.5折",
        111,
    )


def test_search_api_logs_zero_results(client, shop):
    assert client.get("/api/merchants", {"q": "修手表"}).json()["total"] == 0
    assert SearchLog.objects.get().query == "修手表"


@pytest.mark.parametrize(
    "params,field",
    [
        ({"lat": 91, "lng": 120}, "lat"),
        ({"limit": 0}, "limit"),
        ({"distance": 500}, "distance"),
        ({"type": "unknown"}, "type"),
        ({"q": "理" * 41}, "q"),
        ({"sort": "price"}, "sort"),
    ],
)
def test_search_api_bad_input_is_4xx_with_field(client, params, field):
    response = client.get("/api/merchants", params)
    assert response.status_code in (400, 422)
    assert response.json()["field"] == field
    assert response.json()["message"]


def test_merchant_detail_api(client, shop):
    data = client.get(f"/api/merchants/{shop.id}").json()
    assert data["services"] == [{"name": "理发", "price_fen": None}]
    assert data["vip_discount"] == "7折" and data["open_now"] is True
    assert client.get("/api/merchants/999999").status_code == 404


def test_openapi_document_is_served(client):
    spec = client.get("/api/openapi.json").json()
    assert "/api/merchants" in spec["paths"]
    assert client.get("/api/docs").status_code == 200
