"""Merchant search: Chinese words, filters, distance, and the zero-result log."""

import datetime as dt

import pytest

from quarter.core import clock
from quarter.core.actors import SYSTEM
from quarter.core.errors import DomainError
from quarter.places import services
from quarter.places.models import Admission, SearchLog
from quarter.places.selectors import search_merchants
from quarter.places.tests.factories import (
    CENTER,
    make_community,
    make_compound,
    make_merchant,
    make_operator,
)

pytestmark = pytest.mark.django_db


def names(result):
    return [h.merchant.name for h in result.hits]


@pytest.fixture
def shops():
    c = make_community()
    return {
        "barber": make_merchant(
            c, name="丝域美发店", type_code="hair_beauty", services=["理发", "烫发"]
        ),
        "pharmacy": make_merchant(
            c, name="老百姓大药房", type_code="pharmacy", lat=CENTER[0] + 0.004
        ),
        "cake": make_merchant(
            c,
            name="克莉丝汀蛋糕店",
            type_code="cafe",
            intro="生日蛋糕可预订",
            lat=CENTER[0] + 0.002,
        ),
        "pending": make_merchant(
            c, name="待审理发店", admission=Admission.APPLIED, services=["理发"]
        ),
    }


def test_search_finds_barber_by_service_word(shops):
    assert names(search_merchants(query="理发")) == ["丝域美发店"]


def test_search_single_character_finds_pharmacy(shops):
    assert names(search_merchants(query="药")) == ["老百姓大药房"]


def test_search_matches_introduction_and_requires_every_word(shops):
    assert names(search_merchants(query="生日 蛋糕")) == ["克莉丝汀蛋糕店"]
    assert names(search_merchants(query="生日 理发")) == []


def test_search_hides_unapproved_and_suspended_merchants(shops):
    operator = make_operator(shops["barber"].community)
    services.suspend_merchant(actor=operator, merchant=shops["barber"], reason="整改")
    assert names(search_merchants(query="理发")) == []


def test_search_by_type_and_tier(shops):
    assert names(search_merchants(type_code="pharmacy")) == ["老百姓大药房"]
    assert set(names(search_merchants(tier="quality"))) == {"克莉丝汀蛋糕店"}
    with pytest.raises(DomainError) as err:
        search_merchants(type_code="nonsense")
    assert err.value.field == "type"


def test_search_sorts_by_distance_and_filters_radius(shops):
    origin = (CENTER[0] + 0.0045, CENTER[1])
    result = search_merchants(origin=origin, sort="distance")
    assert names(result) == ["老百姓大药房", "克莉丝汀蛋糕店", "丝域美发店"]
    assert round(result.hits[0].distance_m) == 56
    within = search_merchants(origin=origin, max_distance_m=300, sort="distance")
    assert names(within) == ["老百姓大药房", "克莉丝汀蛋糕店"]


def test_search_open_now(shops):
    from quarter.places.models import OpeningHours

    shops["cake"].hours.all().delete()
    OpeningHours.objects.create(
        merchant=shops["cake"], weekday=0, open_minute=540, close_minute=720
    )
    clock.freeze(dt.datetime(2026, 11, 23, 20, 0))  # a Monday evening
    assert "克莉丝汀蛋糕店" not in names(search_merchants(open_now=True))
    clock.freeze(dt.datetime(2026, 11, 23, 10, 0))
    assert "克莉丝汀蛋糕店" in names(search_merchants(open_now=True))


def test_search_rejects_too_long_query_and_radius_without_origin(shops):
    with pytest.raises(DomainError) as err:
        search_merchants(query="理" * 41)
    assert err.value.code == "query_too_long"
    with pytest.raises(DomainError) as err:
        search_merchants(max_distance_m=500)
    assert err.value.code == "invalid_distance"


def test_log_search_records_zero_results_per_compound(shops):
    compound = make_compound(shops["barber"].community)
    services.log_search(actor=SYSTEM, query="修手表", result_count=0, compound=compound)
    services.log_search(actor=SYSTEM, query="理发", result_count=1, compound=compound)
    assert list(
        SearchLog.objects.filter(result_count=0).values_list("query", "compound")
    ) == [("修手表", compound.id)]


def test_search_ranks_name_matches_first_then_filters_by_type_and_community(shops):
    other = make_community(name="锦绣社区")
    named = make_merchant(other, name="快剪理发", type_code="hair_beauty")
    make_merchant(other, name="便民药房理发角", type_code="pharmacy")
    result = search_merchants(query="理发")
    assert names(result)[:2] == ["快剪理发", "便民药房理发角"]
    assert names(result)[2] == "丝域美发店"  # matched by its services only
    assert names(search_merchants(query="理发", type_code="pharmacy")) == [
        "便民药房理发角"
    ]
    assert names(
        search_merchants(query="理发", community=other, type_code="hair_beauty")
    ) == [named.name]
    assert names(search_merchants(query="理发", tier="quality")) == []


def test_search_text_within_radius_orders_by_distance(shops):
    far = make_merchant(
        shops["barber"].community,
        name="远处理发",
        type_code="hair_beauty",
        lat=CENTER[0] + 0.02,
    )
    origin = (CENTER[0] + 0.019, CENTER[1])
    assert names(search_merchants(query="理发", origin=origin, sort="distance")) == [
        far.name,
        "丝域美发店",
    ]
    assert names(search_merchants(query="理发", origin=origin, max_distance_m=500)) == [
        far.name
    ]
    assert search_merchants(query="理发", origin=origin, max_distance_m=500).total == 1


def test_search_open_now_within_radius_and_type_only_near_origin(shops):
    from quarter.places.models import OpeningHours

    shops["pharmacy"].hours.all().delete()
    OpeningHours.objects.create(
        merchant=shops["pharmacy"], weekday=0, open_minute=480, close_minute=600
    )
    origin = (CENTER[0] + 0.004, CENTER[1])
    clock.freeze(dt.datetime(2026, 11, 23, 9, 0))  # Monday 09:00: pharmacy open
    assert names(
        search_merchants(query="药", origin=origin, max_distance_m=200, open_now=True)
    ) == ["老百姓大药房"]
    clock.freeze(dt.datetime(2026, 11, 23, 11, 0))  # closed again
    result = search_merchants(
        query="药", origin=origin, max_distance_m=200, open_now=True
    )
    assert (result.total, names(result)) == (0, [])
    assert names(search_merchants(type_code="cafe", origin=origin)) == [
        "克莉丝汀蛋糕店"
    ]
