"""为你推荐: ranking, reasons, cold start, privacy, counters."""

from __future__ import annotations

import pytest

from quarter.card import visits as card_visits
from quarter.feed import services
from quarter.feed.models import CompoundMerchantCount, MerchantAffinity
from quarter.feed.tests.factories import committed, days_ago, feed_of, pay, shop
from quarter.places.models import Admission, MerchantEvent, MerchantStatus
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def street():
    w = World()
    w.shop.admission = Admission.REMOVED  # the factory's own shop stays out
    w.shop.save()
    shops = {
        "near_breakfast": shop(w, "巷口早餐", "breakfast", north_m=80),
        "far_breakfast": shop(w, "远处早餐", "breakfast", north_m=900),
        "laundry": shop(w, "干净洗衣", "laundry", north_m=150),
        "pharmacy": shop(w, "平安药房", "pharmacy", north_m=300),
        "barber": shop(w, "阿强理发", "hair_beauty", north_m=200),
    }
    return w, shops


def names(items):
    return [i.name for i in items]


def test_nearer_shop_ranks_above_farther_one_of_the_same_kind(street):
    w, s = street
    ann = w.resident()
    items = feed_of(ann, hour=7)
    assert names(items).index("巷口早餐") < names(items).index("远处早餐")
    by_name = {i.name: i for i in items}
    assert by_name["巷口早餐"].minutes < by_name["远处早餐"].minutes


def test_morning_history_puts_breakfast_first_and_laundry_first_in_the_evening(
    street,
):
    w, s = street
    ann = w.resident()
    for d in range(2, 40, 3):
        pay(s["near_breakfast"], ann, days_ago(d, 7, 20))
    for d in range(3, 40, 9):
        pay(s["laundry"], ann, days_ago(d, 19, 10))
    morning = feed_of(ann, hour=7)
    assert morning[0].name == "巷口早餐"
    assert "早上" in morning[0].reason and "步行" in morning[0].reason
    evening = feed_of(ann, hour=19)
    assert evening[0].name == "干净洗衣"
    assert "晚上" in evening[0].reason


def test_reasons_are_in_the_residents_language(street):
    from django.utils import translation

    w, s = street
    ann = w.resident()
    for d in range(2, 40, 3):
        pay(s["near_breakfast"], ann, days_ago(d, 7, 20))
    with translation.override("en"):
        reason = feed_of(ann, hour=7)[0].reason
    assert reason.startswith("You often come here in the morning · ")
    assert "min walk" in reason and "步行" not in reason


def test_closed_suspended_and_removed_shops_never_appear(street):
    w, s = street
    ann = w.resident()
    for key in ("near_breakfast", "laundry", "pharmacy"):
        for d in range(1, 20, 2):
            pay(s[key], ann, days_ago(d, 9))
    assert {"巷口早餐", "干净洗衣", "平安药房"} <= set(names(feed_of(ann)))
    s["near_breakfast"].status = MerchantStatus.CLOSED
    s["near_breakfast"].save()
    s["laundry"].status = MerchantStatus.SUSPENDED
    s["laundry"].save()
    s["pharmacy"].admission = Admission.REMOVED
    s["pharmacy"].save()
    # Even from a warm cache (shop facts cached a minute), the picks are rechecked.
    from quarter.feed import selectors

    shown = names(selectors.get_feed(actor=ann.user))
    assert not {"巷口早餐", "干净洗衣", "平安药房"} & set(shown)
    assert not {"巷口早餐", "干净洗衣", "平安药房"} & set(names(feed_of(ann)))


def test_every_pick_has_a_reason_and_none_names_a_neighbour(street):
    w, s = street
    ann, bob = w.resident(), w.resident()
    bob.real_name = "张伟"
    bob.save()
    for d in range(1, 30, 2):
        pay(s["barber"], bob, days_ago(d, 15))
        pay(s["pharmacy"], bob, days_ago(d, 10))
    services.train_neighbours()
    items = feed_of(ann, hour=15)
    assert items
    for item in items:
        assert item.reason.strip()
        for secret in ("张伟", bob.phone, bob.household.address, bob.phone[-4:]):
            assert secret not in item.reason
        # Only one neighbour goes there: no "neighbours often go" claim.
        assert "邻居" not in item.reason
        # Bob's habits are not Ann's.
        assert "你常去" not in item.reason and "常来" not in item.reason


def test_neighbours_reason_needs_several_different_residents(street):
    w, s = street
    regulars = [w.resident() for _ in range(3)]
    for r in regulars:
        for d in (2, 9, 16):
            pay(s["barber"], r, days_ago(d, 16))
    newcomer = w.resident()
    barber = next(i for i in feed_of(newcomer, hour=20) if i.name == "阿强理发")
    assert barber.reason.startswith("同小区邻居常去")


def test_new_resident_gets_a_feed_from_the_compound_and_household(street):
    w, s = street
    regulars = [w.resident() for _ in range(4)]
    for r in regulars:
        for d in (1, 5, 9, 13):
            pay(s["pharmacy"], r, days_ago(d, 10))
    newcomer = w.resident(born="19450101")  # an elderly household
    items = feed_of(newcomer, hour=10)
    assert len(items) >= 4
    assert all(i.reason for i in items)
    assert items[0].name == "平安药房"
    # Diversity: never more than two shops of one kind.
    kinds = [i.type_name for i in items]
    assert max(kinds.count(k) for k in kinds) <= 2


def test_a_shop_that_joined_lately_gets_the_freshness_slot(street):
    w, s = street
    ann = w.resident()
    for d in range(2, 40, 4):
        pay(s["laundry"], ann, days_ago(d, 19))
    fresh = shop(w, "新开修鞋铺", "repair", north_m=190)
    MerchantEvent.objects.create(
        merchant=fresh, kind=MerchantEvent.Kind.APPROVED, created_at=days_ago(2, 10)
    )
    item = next(i for i in feed_of(ann, hour=11) if i.name == "新开修鞋铺")
    assert item.new
    assert item.reason == "你常去的干净洗衣附近新开了这家维修点"


def test_counters_follow_visits_and_a_full_refund_takes_the_visit_back(street):
    w, s = street
    ann = w.resident()
    first = pay(s["laundry"], ann, days_ago(3, 19))
    pay(s["laundry"], ann, days_ago(2, 19))
    row = MerchantAffinity.objects.get(resident=ann, merchant=s["laundry"])
    assert row.visits == 2 and row.slot_visits == [0, 0, 0, 2]
    count = CompoundMerchantCount.objects.get(merchant=s["laundry"])
    assert (count.visits, count.visitors) == (2, 1)
    with committed():
        card_visits.refund_visit(first, refunded_fen=500)  # partly: still a visit
    assert MerchantAffinity.objects.get(pk=row.pk).visits == 2
    with committed():
        card_visits.refund_visit(first)  # the rest: the visit is taken back
    assert MerchantAffinity.objects.get(pk=row.pk).visits == 1
    assert CompoundMerchantCount.objects.get(pk=count.pk).visits == 1


def test_rebuild_recounts_the_same_as_the_live_counters(street):
    w, s = street
    ann, bob = w.resident(), w.resident()
    for d in range(1, 8):
        pay(s["near_breakfast"], ann, days_ago(d, 7))
        pay(s["laundry"], bob, days_ago(d, 19))
    live = sorted(
        MerchantAffinity.objects.values_list("resident", "merchant", "visits")
    )
    services.rebuild_counters()
    rebuilt = sorted(
        MerchantAffinity.objects.values_list("resident", "merchant", "visits")
    )
    assert rebuilt == live


def test_own_search_counts_for_the_searcher_only(street):
    w, s = street
    ann, bob = w.resident(), w.resident()
    from quarter.places.services import log_search

    log_search(actor=ann.user, query="修鞋", result_count=0, compound=ann.compound)
    fresh = shop(w, "修鞋配钥匙", "repair", north_m=400)
    ann_item = next(i for i in feed_of(ann, hour=15) if i.name == fresh.name)
    assert "你搜过「修鞋」" in ann_item.reason
    bob_items = [i for i in feed_of(bob, hour=15) if i.name == fresh.name]
    assert all("搜过" not in i.reason for i in bob_items)


def test_people_who_are_not_residents_get_no_feed(street):
    from django.contrib.auth.models import AnonymousUser

    from quarter.feed import selectors

    w, _s = street
    assert selectors.get_feed(actor=AnonymousUser()) == []
    assert selectors.get_feed(actor=w.operator_user) == []


def test_operators_see_unmet_searches_per_compound_and_type(street, client):
    from quarter.places.services import log_search

    w, _s = street
    ann = w.resident()
    for _ in range(4):
        log_search(actor=ann.user, query="修鞋", result_count=0, compound=ann.compound)
    log_search(actor=ann.user, query="理发", result_count=1, compound=ann.compound)
    client.force_login(w.operator_user)
    page = client.get("/feed/demand/")
    text = page.content.decode()
    assert page.status_code == 200
    assert f"{ann.compound.name} 3 周内 4 次搜索「修鞋」无结果" in text
    assert "维修点" in text  # the business type the search asked for
    assert ann.phone not in text and ann.real_name not in text
    other = World()
    client.force_login(other.operator_user)
    assert client.get(f"/feed/demand/?community={w.community.slug}").status_code == 403


def test_a_shop_sees_what_nearby_residents_search_for_in_its_type(street, client):
    from quarter.places.services import log_search

    w, s = street
    ann = w.resident()
    log_search(actor=ann.user, query="干洗", result_count=0, compound=ann.compound)
    log_search(actor=ann.user, query="感冒药", result_count=2, compound=ann.compound)
    client.force_login(s["laundry"].cashier)
    text = client.get(f"/feed/shop/{s['laundry'].pk}/demand/").content.decode()
    assert "干洗" in text and "感冒药" not in text
    assert client.get(f"/feed/shop/{s['pharmacy'].pk}/demand/").status_code == 403
