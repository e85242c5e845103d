"""Hostile numbers and dates on every kind of input: a clear 400, never a 500.

Per input kind: money (forms), coordinates (forms, page and API query strings),
distances, counts and ids, dates, API bodies. Each case was a 500 or a wrong
reading before the shared parsers (quarter/core/numbers.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from quarter.core import clock
from quarter.places.models import OpeningException
from quarter.vouchers.models import Campaign, Round
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db
BIG = "9" * 30


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def client(client):
    client.raise_request_exception = False  # a 500 is a status here, not a crash
    return client


# --- money -------------------------------------------------------------------


@pytest.mark.parametrize(
    "budget", [BIG, "99999999999999999", "50,00", "1.2.3", "nan", "1e400", "-5", "５²"]
)
def test_campaign_budget_refuses_bad_money_with_400(world, client, budget):
    client.force_login(world.issuer_user)
    response = client.post(
        "/vouchers/issuer/",
        {"name": "坏预算", "budget": budget, "max_per_merchant_per_day": "1"},
    )
    assert response.status_code == 400
    assert "预算" in response.content.decode()
    assert not Campaign.objects.filter(name="坏预算").exists()


def test_campaign_budget_reads_full_width_digits(world, client):
    client.force_login(world.issuer_user)
    response = client.post(
        "/vouchers/issuer/",
        {"name": "全角", "budget": "５０.００", "max_per_merchant_per_day": "１"},
    )
    assert response.status_code == 302
    assert Campaign.objects.get(name="全角").budget_fen == 5000


def test_till_bill_refuses_decimal_comma(world, client):
    client.force_login(world.cashier)
    response = client.post(
        f"/vouchers/till/{world.shop.pk}/quote", {"code": "1-123456", "bill": "50,00"}
    )
    assert response.status_code < 500
    assert "逗号" in response.content.decode()


# --- counts, coupon lines and dates in the round form --------------------------


def _round(release, **extra):
    local = lambda when: when.astimezone(clock.SHANGHAI).strftime("%Y-%m-%dT%H:%M")  # noqa: E731
    return {
        "name": "坏轮次",
        "preset": "hz2022",
        "packets_total": "1",
        "release_at": local(release),
        "claim_closes_at": local(release + dt.timedelta(days=1)),
        "valid_from": local(release),
        "valid_until": local(release + dt.timedelta(days=7)),
        "person_limit": "round",
        **extra,
    }


@pytest.mark.parametrize(
    "extra",
    [
        {"packets_total": BIG},
        {"packets_total": "nan"},
        {"min_age": BIG},
        {"preset": "custom", "custom": f"满{BIG}减10"},
        {"preset": "custom", "custom": f"满40减10×{BIG}"},
        {"preset": "custom", "custom": "满40,00减10"},
        {"valid_until": "9999-12-31T23:59"},
        {"release_at": "0001-01-01T00:00"},
    ],
    ids=lambda e: next(iter(e.items()))[0] + ":" + str(next(iter(e.values())))[:12],
)
def test_round_form_refuses_absurd_values_with_400(world, client, extra):
    campaign = world.campaign()
    client.force_login(world.issuer_user)
    release = clock.now() + dt.timedelta(hours=2)
    response = client.post(
        f"/vouchers/issuer/campaigns/{campaign.pk}/", _round(release, **extra)
    )
    assert response.status_code == 400
    assert not Round.objects.filter(campaign=campaign).exists()


# --- dates and coordinates in the merchant console -----------------------------


def test_console_refuses_year_9999_dates(world, client):
    client.force_login(world.cashier)
    shop = world.shop
    response = client.post(
        f"/console/{shop.pk}/exceptions/", {"date": "9999-12-31", "closed": "on"}
    )
    assert response.status_code == 400
    assert not OpeningException.objects.filter(merchant=shop).exists()
    response = client.post(
        f"/console/{shop.pk}/status/",
        {"status": "closed_temporarily", "until": "10000-01-01"},
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("lat", "lng"), [("nan", "120"), ("30", "inf"), ("1e400", "120"), ("91", "120")]
)
def test_console_profile_refuses_non_finite_coordinates(world, client, lat, lng):
    client.force_login(world.cashier)
    shop = world.shop
    response = client.post(
        f"/console/{shop.pk}/profile/",
        {
            "name": shop.name,
            "address": "体育场路1号",
            "phone": "0571-87654321",
            "contact_person": "王先生",
            "lat": lat,
            "lng": lng,
        },
    )
    assert response.status_code == 400
    shop.refresh_from_db()
    assert shop.lat == 30.26 or abs(shop.lat) <= 90


def test_console_profile_reads_full_width_coordinates(world, client):
    client.force_login(world.cashier)
    shop = world.shop
    response = client.post(
        f"/console/{shop.pk}/profile/",
        {
            "name": shop.name,
            "address": "体育场路1号",
            "phone": "0571-87654321",
            "contact_person": "王先生",
            "lat": "３０.２６５",
            "lng": "１２０.１７５",
        },
    )
    assert response.status_code == 302
    shop.refresh_from_db()
    assert (shop.lat, shop.lng) == (30.265, 120.175)


# --- page and API query strings ------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "lat=1e309&lng=2",
        "lat=nan&lng=120",
        "lat=30&lng=inf",
        "lat=30&lng=120&distance=nan",
        "lat=30&lng=120&distance=1e400",
        f"lat=30&lng=120&distance={BIG}",
    ],
)
def test_search_page_refuses_bad_numbers_with_400(client, query):
    response = client.get(f"/search/?{query}")
    assert response.status_code == 400
    assert "应" in response.content.decode()  # the reason, in Chinese


@pytest.mark.parametrize(
    "query",
    ["lat=1e309&lng=2", "lat=nan&lng=1", f"distance={BIG}", f"offset={BIG}"],
)
def test_search_api_refuses_bad_numbers_with_4xx(client, query):
    assert client.get(f"/api/merchants?{query}").status_code in (400, 422)


def test_planning_isochrones_refuse_huge_compound_id(world, client):
    client.force_login(world.operator_user)
    response = client.get(
        f"/planning/{world.community.slug}/isochrones.json?compound={BIG}"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("bill", [BIG, "NaN", "1e400", "Infinity", "-1"])
def test_till_api_body_refuses_bad_amounts(world, client, bill):
    client.force_login(world.cashier)
    response = client.post(
        f"/api/vouchers/till/{world.shop.pk}/quote",
        f'{{"code": "1-123456", "bill_fen": {bill}}}',
        content_type="application/json",
    )
    assert response.status_code in (400, 422)


@pytest.mark.parametrize(
    "path", [f"/merchants/{BIG}/", f"/api/merchants/{BIG}", f"/vouchers/rounds/{BIG}/"]
)
def test_huge_ids_in_paths_are_404(client, path):
    assert client.get(path).status_code == 404


# --- characters no database column can hold ----------------------------------


def test_nul_character_in_any_value_is_a_400_not_a_database_error(world, client):
    client.force_login(world.operator_user)
    response = client.post(
        f"/planning/{world.community.slug}/what-if/",
        {"type": "a\x00b", "lat": "30", "lng": "120"},
    )
    assert response.status_code == 400
    assert "空字符" in response.content.decode()
    assert client.get("/search/", {"q": "理\x00发"}).status_code == 400
    api = client.post(
        f"/api/vouchers/till/{world.shop.pk}/quote",
        '{"code": "1-12\\u00003456", "bill_fen": 100}',
        content_type="application/json",
    )
    assert api.status_code == 400 and api.json()["code"] == "null_character"
