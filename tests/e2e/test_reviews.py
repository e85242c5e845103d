"""Journey of reviews: rate only after a visit; the star evaluation removes a shop."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.card.visits import record_visit
from quarter.core import clock
from quarter.reviews.tests.factories import JUNE, community_with_a_bad_shop
from tests.e2e.journeys import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def logout(page):
    page.click("form[action='/accounts/logout/'] button")
    page.wait_for_load_state("networkidle")


def _rate(page, text):
    for field, stars in (("quality", "5"), ("service", "4"), ("price", "4")):
        page.check(f"input[name={field}][value='{stars}']")
    page.fill("#id_text", text)
    page.click("#rate-form button[type=submit]")


def test_rate_after_a_visit_then_remove_a_shop_below_the_bar(page, live_server):
    w, bad, _ = community_with_a_bad_shop()
    resident = w.resident()
    base = live_server.url

    # A resident who never paid at the shop is told why they cannot rate yet.
    login(page, live_server, resident.user)
    page.goto(f"{base}/reviews/merchants/{w.shop.pk}/rate/")
    expect(page.locator("#rateable")).to_contain_text("消费后30天内才能评价")
    _rate(page, "想先评价一下")
    expect(page.locator("#rate-error")).to_contain_text("30天内才能评价")
    shot(page, "reviews-refused-before-visit")

    # After paying with the community card, the same resident rates the shop.
    record_visit(
        merchant=w.shop,
        staff=w.cashier,
        key="e2e-visit",
        bill_fen=6000,
        card_discount_fen=2700,
        resident=resident,
    )
    page.goto(f"{base}/merchants/{w.shop.pk}/")
    page.click("#rate-link")
    expect(page.locator("#rateable")).to_contain_text("有 1 次消费可以评价")
    shot(page, "reviews-rate-form")
    _rate(page, "豆浆现磨,老板很热情")
    expect(page).to_have_url(re.compile(rf"/merchants/{w.shop.pk}/$"))
    expect(page.locator("#recent-reviews")).to_contain_text("豆浆现磨,老板很热情")
    expect(page.locator("#rating-average")).to_contain_text("4 条评价")
    shot(page, "reviews-merchant-page")
    logout(page)

    # The operator opens this year's evaluation: the bad shop is warned.
    login(page, live_server, w.operator_user)
    page.goto(f"{base}/map/?community={w.community.slug}")
    expect(page.locator("#map")).to_have_attribute("data-count", "2")
    page.goto(f"{base}/reviews/evaluations/")
    expect(page.locator("#formula")).to_contain_text("平滑均分")
    page.fill("#id_year", "2026")
    page.click("#open-evaluation button[type=submit]")
    row = page.locator(f"#result-{bad.pk}")
    expect(row.locator(".state")).to_contain_text("已预警")
    expect(row.locator(".stars")).to_have_text("★☆☆☆☆")
    expect(row).to_contain_text("期满后可复评")
    shot(page, "reviews-evaluation-opened")

    # After the deadline: re-evaluate, still below, remove with a reason.
    clock.freeze(JUNE + dt.timedelta(days=91))
    page.reload()
    row.get_by_role("button", name="复评").click()
    expect(row.locator(".state")).to_contain_text("复评仍未达标")
    row.locator("input[name=reason]").fill("整改期满复评仍为一星")
    row.get_by_role("button", name="清退").click()
    expect(row.locator(".state")).to_contain_text("已清退")
    expect(row.locator(".state")).to_contain_text("整改期满复评仍为一星")
    shot(page, "reviews-merchant-removed")

    # It has left the map; the good shop is there with its star badge.
    page.goto(f"{base}/map/?community={w.community.slug}")
    expect(page.locator("#map")).to_have_attribute("data-count", "1")
    data = page.request.get(f"{base}/map/merchants.json?community={w.community.slug}")
    names = {m["name"]: m["stars"] for m in data.json()["merchants"]}
    assert set(names) == {w.shop.name} and names[w.shop.name] >= 2
    # Shops are circles (SVG paths); the compound at the same spot is an icon
    # above them, so click the shop's circle itself.
    expect(page.locator("#map path.leaflet-interactive")).to_have_count(2)
    page.locator("#map path.leaflet-interactive").last.click(force=True)
    expect(page.locator(".leaflet-popup .star-badge")).to_contain_text("星商户")
    shot(page, "reviews-map-after-removal")
    page.goto(f"{base}/merchants/{bad.pk}/")
    expect(page.locator("#error-message")).to_contain_text("未入驻")
