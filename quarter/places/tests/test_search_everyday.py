"""Everyday search: words residents use, pinyin, typos, scope, never a dead end."""

import pytest

from quarter.core.errors import DomainError
from quarter.core.geo import METERS_PER_DEG_LAT
from quarter.places import intent
from quarter.places.everyday import find_merchants, scope_radius_m
from quarter.places.models import SearchLog
from quarter.places.selectors import search_merchants
from quarter.places.tests.factories import (
    CENTER,
    make_community,
    make_compound,
    make_merchant,
)

pytestmark = pytest.mark.django_db


def north(metres: float) -> float:
    return CENTER[0] + metres / METERS_PER_DEG_LAT


@pytest.fixture
def street():
    """A demo-like street: the shops the demo has, as residents would see them."""
    c = make_community()
    make_compound(c)
    make_merchant(
        c,
        name="阿明理发店",
        type_code="hair_beauty",
        services=["理发", "洗剪吹", "烫发"],
        lat=north(300),
    )
    make_merchant(
        c,
        name="建国北路药房",
        type_code="pharmacy",
        services=["常用药"],
        intro="非处方药9.5折",
        lat=north(200),
    )
    make_merchant(
        c,
        name="东河驿站",
        type_code="parcel_post",
        services=["代收快递", "寄件"],
        lat=north(400),
    )
    make_merchant(
        c, name="东河早餐铺", type_code="breakfast", services=["豆浆"], lat=north(100)
    )
    make_merchant(
        c,
        name="老王修鞋",
        type_code="repair",
        services=["修鞋", "配钥匙"],
        lat=north(5000),  # far outside the 15-minute area
    )
    return c


def first(query, **kw):
    result = find_merchants(query=query, origin=CENTER, **kw)
    return result.hits[0].merchant.name if result.hits else None


@pytest.mark.parametrize(
    "query, shop",
    [
        ("剪头发", "阿明理发店"),
        ("我想剪个头", "阿明理发店"),
        ("感冒药", "建国北路药房"),
        ("寄快递", "东河驿站"),
        ("lifa", "阿明理发店"),
        ("lf", "阿明理发店"),
        ("LiFa", "阿明理发店"),
        ("理法", "阿明理发店"),
    ],
)
def test_find_merchants_understands_everyday_words(street, query, shop):
    assert first(query) == shop


def test_substring_search_found_none_of_them(street):
    """The search before this change: a phrase had to be in the shop's text."""
    for query in ("剪头发", "感冒药", "寄快递", "lifa", "lf", "理法"):
        assert search_merchants(query=query, origin=CENTER).total == 0


def test_find_merchants_shows_walking_minutes_labelled_estimate(street):
    hit = find_merchants(query="剪头发", origin=CENTER).hits[0]
    assert round(hit.distance_m) == 300
    # 300 m straight × 1.3 detour = 390 m: 1.2 m/s → 6 min, 0.8 m/s → 9 min.
    assert (hit.walk_minutes, hit.elderly_minutes) == (6, 9)


def test_find_merchants_ranks_type_above_word_and_nearer_first(street):
    c = street
    make_merchant(c, name="东河快剪", type_code="hair_beauty", lat=north(50))
    make_merchant(
        c,
        name="东河便利店",
        type_code="convenience_store",
        intro="门口有理发优惠券",
        lat=north(10),
    )
    names = [h.merchant.name for h in find_merchants(query="理发", origin=CENTER).hits]
    assert names[:2] == ["阿明理发店", "东河快剪"]  # type + service, then type
    assert names.index("东河便利店") == 2  # mentions the word, wrong type


def test_find_merchants_scoped_to_fifteen_minutes_with_a_way_further(street):
    near = find_merchants(query="修鞋", origin=CENTER)
    assert near.total == 0 and near.scope == "near"
    assert scope_radius_m() < 5000
    wider = find_merchants(query="修鞋", origin=CENTER, scope="all")
    assert [h.merchant.name for h in wider.hits] == ["老王修鞋"]
    assert wider.hits[0].walk_minutes == 91  # 5 km × 1.3 at 1.2 m/s


def test_find_merchants_wider_scope_reads_rings_but_ranks_exactly(street):
    c = street
    for km in (1, 10, 30):
        make_merchant(
            c, name=f"{km}公里理发", type_code="hair_beauty", lat=north(km * 1000)
        )
    one = find_merchants(query="理发", origin=CENTER, scope="all", limit=1)
    assert [h.merchant.name for h in one.hits] == ["阿明理发店"]
    assert one.within_m == 2500  # the page was full before the 8 km ring
    every = find_merchants(query="理发", origin=CENTER, scope="all", limit=10)
    assert [h.merchant.name for h in every.hits] == [
        "阿明理发店",
        "1公里理发",
        "10公里理发",
        "30公里理发",
    ]
    assert (every.total, every.within_m) == (4, None)


def test_find_merchants_empty_suggests_type_and_nearest_shops(street):
    result = find_merchants(query="配把钥匙", origin=CENTER)
    assert result.total == 0
    assert result.suggested_type.code == "repair"
    assert [h.merchant.name for h in result.suggestions] == ["老王修鞋"]
    assert result.suggestions[0].walk_minutes == 91


def test_find_merchants_rejects_long_query_and_control_characters(street):
    with pytest.raises(DomainError) as err:
        find_merchants(query="理" * 41)
    assert (err.value.code, err.value.field) == ("query_too_long", "q")
    with pytest.raises(DomainError) as err:
        find_merchants(query="理发\x00\x1b[0m")
    assert (err.value.code, err.value.field) == ("query_invalid", "q")
    with pytest.raises(DomainError) as err:
        find_merchants(query="理发", origin=CENTER, scope="world")
    assert err.value.code == "invalid_scope"


def test_find_merchants_filters_and_no_query_lists_nearest(street):
    result = find_merchants(query="", origin=CENTER)
    assert [h.merchant.name for h in result.hits][:2] == ["东河早餐铺", "建国北路药房"]
    wrong_type = find_merchants(query="剪头发", origin=CENTER, type_code="pharmacy")
    assert wrong_type.total == 0


def test_find_merchants_counts_queries(street, django_assert_max_num_queries):
    find_merchants(query="剪头发", origin=CENTER)  # jieba and lexicon load once
    with django_assert_max_num_queries(6):
        find_merchants(query="剪头发", origin=CENTER)


def test_segmenter_is_built_once():
    intent.segment("剪头发")
    tokenizer = intent._segmenter()
    intent.segment("寄快递")
    assert intent._segmenter() is tokenizer


# The page


def test_search_page_everyday_words_with_walking_minutes(client, street):
    lat, lng = CENTER
    page = client.get("/search/", {"q": "剪头发", "lat": lat, "lng": lng})
    text = page.content.decode()
    assert page.status_code == 200
    assert "阿明理发店" in text and "建国北路药房" not in text
    assert "约步行 6 分钟(长辈约 9 分钟)" in text
    assert "查看更远的商户" in text


def test_search_page_distance_narrows_the_area(client, street):
    lat, lng = CENTER
    params = {"q": "剪头发", "lat": lat, "lng": lng, "distance": 250}
    text = client.get("/search/", params).content.decode()
    assert "250 米内找到 0 家" in text and "您可能在找「美容美发店」" in text
    params["distance"] = "nan"
    assert client.get("/search/", params).status_code == 400


def test_search_page_empty_result_suggests_and_logs_demand(client, street):
    lat, lng = CENTER
    text = client.get(
        "/search/", {"q": "配把钥匙", "lat": lat, "lng": lng}
    ).content.decode()
    assert "您可能在找「维修点」" in text
    assert "老王修鞋" in text and "约步行 91 分钟" in text
    assert SearchLog.objects.filter(query="配把钥匙", result_count=0).exists()


def test_search_page_unknown_words_get_examples(client, street):
    text = client.get("/search/", {"q": "zzqx"}).content.decode()
    assert "没有找到相关商户" in text and "剪头发、感冒药、寄快递" in text


@pytest.mark.parametrize(
    "q, message",
    [
        ("理" * 500, "搜索词不能超过40个字"),
        ("药\x07\x1b", "无法识别的控制字符"),
        ("药\x00", "空字符"),  # refused before the view, as clearly
    ],
)
def test_search_page_bad_query_is_400_with_reason(client, q, message):
    response = client.get("/search/", {"q": q})
    assert response.status_code == 400
    assert message in response.content.decode()
