"""The coverage API router, mounted on its own NinjaAPI as quarter/api.py would."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import include, path
from ninja import NinjaAPI

from quarter.core.errors import DomainError
from quarter.coverage.api import build_router
from quarter.coverage.tests.factories import (
    LAT0,
    east,
    make_community,
    make_compound,
    make_merchant,
    make_operator,
)

pytestmark = pytest.mark.django_db

_api = NinjaAPI(urls_namespace="coverage_test_api")


@_api.exception_handler(DomainError)
def _domain_error(request, exc):
    return _api.create_response(request, exc.as_dict(), status=exc.status_code)


_api.add_router("/coverage/", build_router())
urlpatterns = [path("api/", _api.urls), path("", include("quarter.urls"))]


@pytest.fixture
def api_client(settings):
    settings.ROOT_URLCONF = __name__
    community = make_community(slug="jinxiu")
    make_compound(community, "甲", lat=LAT0, lng=east(0), households=500)
    make_compound(community, "乙", lat=LAT0, lng=east(2500), households=300)
    make_merchant(community, type_code="wet_market", lat=LAT0, lng=east(50))
    client = Client()
    client.force_login(make_operator(community))
    return client


def test_report_endpoint(api_client):
    data = api_client.get("/api/coverage/communities/jinxiu/report").json()
    assert data["estimated"] is True and data["households_total"] == 800
    second = next(c for c in data["compounds"] if c["name"] == "乙")
    assert "wet_market" in second["missing_basic"]
    elderly = api_client.get("/api/coverage/communities/jinxiu/report?profile=elderly")
    assert elderly.json()["speed_mps"] == 0.8
    assert (
        api_client.get("/api/coverage/communities/jinxiu/report?profile=x").status_code
        == 422
    )


def test_suggestions_and_what_if(api_client):
    picks = api_client.get(
        "/api/coverage/communities/jinxiu/suggestions", {"type": "wet_market"}
    ).json()
    assert picks[0]["households_gained"] == 300 and picks[0]["compounds"] == ["乙"]
    response = api_client.post(
        "/api/coverage/communities/jinxiu/what-if",
        {"type": "wet_market", "lat": picks[0]["lat"], "lng": picks[0]["lng"]},
        content_type="application/json",
    )
    assert response.json()["households_gained"] == 300
    bad = api_client.get(
        "/api/coverage/communities/jinxiu/suggestions", {"type": "zzz"}
    )
    assert bad.status_code == 400 and bad.json()["code"] == "unknown_business_type"


def test_permissions(api_client):
    make_community(slug="donghe")
    assert api_client.get("/api/coverage/communities/donghe/report").status_code == 403
    assert api_client.get("/api/coverage/communities/nowhere/report").status_code == 404
    api_client.logout()
    assert api_client.get("/api/coverage/communities/jinxiu/report").status_code == 401


def test_isochrones(api_client):
    data = api_client.get("/api/coverage/communities/jinxiu/isochrones").json()
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 6
    first = data["features"][0]["properties"]["compound_id"]
    one = api_client.get(
        f"/api/coverage/communities/jinxiu/isochrones?compound={first}"
    )
    assert len(one.json()["features"]) == 3
    missing = api_client.get("/api/coverage/communities/jinxiu/isochrones?compound=0")
    assert missing.status_code == 404
