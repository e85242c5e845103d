"""Walking minutes from a resident's compound: on the streets where a network
exists, an estimate labelled 约 where it does not."""

from __future__ import annotations

import math

import pytest

from quarter.core.actors import SYSTEM
from quarter.coverage import services
from quarter.coverage.tests.factories import (
    LAT0,
    east,
    make_community,
    make_compound,
    make_merchant,
    north,
    write_street_osm,
)
from quarter.coverage.walking import walk_to, walks_from
from quarter.places import everyday

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_the_streets(tmp_path):
    """A compound beside 夷陵大道 at 1,200 m; a pharmacy up the footway at its end."""
    services.import_network(
        actor=SYSTEM, path=write_street_osm(tmp_path / "s.osm"), name="测试路网"
    )
    community = make_community("街巷社区", slug="streets", lat=LAT0, lng=east(1200))
    home = make_compound(community, "沿街苑", lat=north(15), lng=east(1200))
    pharmacy = make_merchant(
        community, type_code="pharmacy", lat=north(700), lng=east(1990), name="坡上药房"
    )
    services.refresh_community(actor=SYSTEM, community=community)
    return home, pharmacy


def test_the_walk_follows_the_streets_not_the_straight_line(on_the_streets):
    home, pharmacy = on_the_streets
    walk = walk_to(home, pharmacy.lat, pharmacy.lng)
    # 15 m to the street, 800 m east, 700 m up the footway, 10 m to the door.
    assert walk.estimated is False
    assert walk.metres == pytest.approx(15 + 800 + 700 + 10, abs=3)
    assert walk.adult_minutes == math.ceil(1525 / 1.2 / 60)  # 22
    assert walk.elderly_minutes == math.ceil(1525 / 0.8 / 60)  # 32


def test_a_place_off_the_network_keeps_an_estimate(on_the_streets):
    home, _ = on_the_streets
    far = walks_from(home, {1: (north(9000), east(9000))})[1]
    assert far.estimated is True
    assert far.adult_minutes > 60


def test_without_a_network_every_walk_is_an_estimate():
    community = make_community("无路网社区", slug="nonet")
    home = make_compound(community, "平地苑", lat=LAT0, lng=east(0))
    walk = walk_to(home, north(500), east(0))
    assert walk.estimated is True
    assert walk.metres == pytest.approx(500 * 1.3, rel=0.01)


def test_search_shows_and_ranks_by_the_real_walk(on_the_streets):
    home, pharmacy = on_the_streets
    result = everyday.find_merchants(
        query="买药", origin=(home.lat, home.lng), compound=home, scope="all"
    )
    hit = next(h for h in result.hits if h.merchant == pharmacy)
    assert hit.walk_estimated is False
    assert hit.walk_minutes == 22
    # The same search without the compound only estimates.
    plain = everyday.find_merchants(
        query="买药", origin=(home.lat, home.lng), scope="all"
    )
    assert next(h for h in plain.hits if h.merchant == pharmacy).walk_estimated


def test_the_merchant_page_and_the_api_say_it_from_the_residents_home(
    on_the_streets, client, django_user_model
):
    from quarter.people.models import Household, Resident

    home, pharmacy = on_the_streets
    user = django_user_model.objects.create_user("13900000077", password="x-Q-2026")
    Resident.objects.create(
        user=user, household=Household.objects.create(compound=home, address="1-101")
    )
    client.force_login(user)
    page = client.get(f"/merchants/{pharmacy.pk}/").content.decode()
    assert "步行 22 分钟" in page and "沿街苑" in page
    api = client.get("/api/merchants", {"q": "买药"}).json()
    row = next(r for r in api["results"] if r["id"] == pharmacy.pk)
    assert (row["walk_minutes"], row["walk_estimated"]) == (22, False)


def test_the_api_reads_everyday_words_in_a_community_page_by_page(
    on_the_streets, client
):
    home, pharmacy = on_the_streets
    barber = make_merchant(
        home.community,
        type_code="hair_beauty",
        lat=north(10),
        lng=east(1300),
        name="阿强美发",
    )
    other = make_community("别的社区", slug="elsewhere", lat=LAT0, lng=east(1300))
    make_merchant(other, type_code="hair_beauty", lat=north(12), lng=east(1310))
    # 剪头发 is not in the shop's text: the intent finds the type.
    found = client.get("/api/merchants", {"q": "剪头发", "community": "streets"}).json()
    assert [r["id"] for r in found["results"]] == [barber.pk]
    both = client.get("/api/merchants", {"q": "剪头发"}).json()
    assert both["total"] == 2
    second = client.get("/api/merchants", {"q": "剪头发", "limit": 1, "offset": 1})
    assert second.json()["total"] == 2 and len(second.json()["results"]) == 1
    assert client.get(
        "/api/merchants", {"q": "剪头发", "scope": "far"}
    ).status_code in (
        400,
        422,
    )
