"""Browser journey of 为你推荐: a morning regular, then a brand-new resident."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.core import clock
from quarter.feed import selectors, services
from quarter.feed.tests.factories import at_today, days_ago, pay, shop
from quarter.places.models import Admission
from quarter.vouchers.tests.factories import World
from tests.e2e.journeys import ensure_catalogue as _ensure_catalogue
from tests.e2e.journeys import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def street():
    _ensure_catalogue()
    w = World()
    w.shop.admission = Admission.REMOVED
    w.shop.save()
    shops = {
        "breakfast": shop(w, "巷口热干面", "breakfast", north_m=90),
        "far_breakfast": shop(w, "河对岸早点", "breakfast", north_m=950),
        "laundry": shop(w, "干净洗衣店", "laundry", north_m=160),
        "pharmacy": shop(w, "平安大药房", "pharmacy", north_m=320),
        "market": shop(w, "东河菜市场", "wet_market", north_m=420),
        "barber": shop(w, "阿强理发", "hair_beauty", north_m=250),
    }
    ann = w.resident()
    for d in range(2, 45, 3):
        pay(shops["breakfast"], ann, days_ago(d, 7, 15))
    for d in range(4, 45, 8):
        pay(shops["laundry"], ann, days_ago(d, 19, 30))
    neighbours = [w.resident() for _ in range(3)]
    for r in neighbours:
        for d in (3, 10, 17, 24):
            pay(shops["market"], r, days_ago(d, 8, 0))
            pay(shops["breakfast"], r, days_ago(d, 7, 40))
    services.train_neighbours()
    selectors.clear_cache()
    return w, shops, ann


def test_morning_regular_sees_breakfast_first_and_a_newcomer_a_sensible_feed(
    page, live_server, street
):
    w, shops, ann = street
    clock.freeze(at_today(7, 30))

    login(page, live_server, ann.user)
    page.goto(f"{live_server.url}/")
    feed = page.locator("#for-you")
    expect(feed.get_by_role("heading", name="为你推荐")).to_be_visible()
    first = feed.locator(".for-you-item").first
    expect(first).to_contain_text("巷口热干面")
    # No street network in this world: the minutes are an estimate, and say so.
    expect(first.locator(".reason")).to_have_text("你早上常来 · 约步行 2 分钟")
    shot(page, "feed-morning-regular")
    names = feed.locator(".for-you-item strong").all_inner_texts()
    assert "河对岸早点" not in names[:2]  # the nearer breakfast shop wins

    newcomer = w.resident(born="19480101")
    login(page, live_server, newcomer.user)
    page.goto(f"{live_server.url}/")
    items = page.locator("#for-you .for-you-item")
    expect(items.first).to_be_visible()
    assert items.count() >= 4
    reasons = page.locator("#for-you .reason").all_inner_texts()
    assert all(r.strip() for r in reasons)
    assert not any("你常去" in r or "常来" in r for r in reasons)
    expect(page.locator("#for-you")).to_contain_text("同小区邻居常去")
    shot(page, "feed-newcomer")

    page.click("#for-you >> text=查看更多推荐")
    expect(page.get_by_role("heading", name="为你推荐")).to_be_visible()
    expect(page.locator(".for-you-item").first).to_be_visible()


def test_operator_sees_unmet_searches_and_a_shop_sees_nearby_searches(
    page, live_server, street
):
    from quarter.places.services import log_search

    w, shops, ann = street
    for _ in range(5):
        log_search(actor=ann.user, query="修鞋", result_count=0, compound=ann.compound)
    log_search(actor=ann.user, query="干洗", result_count=1, compound=ann.compound)

    login(page, live_server, w.operator_user)
    page.goto(f"{live_server.url}/feed/demand/")
    expect(page.locator(".demand-sentences")).to_contain_text(
        f"{ann.compound.name} 3 周内 5 次搜索「修鞋」无结果"
    )
    expect(page.locator("#demand-table")).to_contain_text("维修点")
    expect(page.locator("body")).not_to_contain_text(ann.real_name)
    shot(page, "feed-operator-demand")

    login(page, live_server, shops["laundry"].cashier)
    page.goto(f"{live_server.url}/console/{shops['laundry'].pk}/")
    page.click("#shop-demand-link")
    expect(page.locator("#shop-demand")).to_contain_text("干洗")
    expect(page.locator("#shop-demand")).not_to_contain_text("修鞋")
    shot(page, "feed-shop-demand")
