"""Browser journeys of the Chinese back office and the merchant console.

An operator approves a shop from the operator home, every label in Chinese and
the hours as HH:MM; a shopkeeper edits the week's hours and a service's price.
"""

import re

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.places.models import Admission, Merchant, MerchantEvent
from quarter.places.tests.factories import (
    make_community,
    make_merchant,
    make_operator,
    make_owner,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-strong-pass-2026"
ENGLISH_ADMIN = re.compile(
    r"\b(Change|Select|Add|Save|Filter|Search|Action|Home|Log out|Welcome|"
    r"Opening hours|object \()",
)


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def test_operator_approves_a_shop_from_the_operator_home(page, live_server):
    donghe = make_community(name="东河社区", slug="donghe")
    shop = make_merchant(
        donghe,
        name="阿明理发店",
        hours="1-5 09:00-12:00\n1-5 14:00-21:00",
        services=["理发"],
        card=850,
        vip=900,
        admission=Admission.APPLIED,
    )
    shop.services.update(price_fen=3000)
    operator = make_operator(donghe, username="operator_donghe")
    operator.last_name, operator.first_name = "王", "敏"
    operator.save()

    _login(page, live_server, "operator_donghe")
    expect(page.locator("h1")).to_contain_text("今日待办")
    tile = page.locator('[data-task="merchants"]')
    expect(tile).to_contain_text("商户审核")
    expect(tile).to_contain_text("1 项")
    for title in ("风控审核", "规划", "居民名册", "消费券", "民情", "建议"):
        expect(page.locator(".operator-tasks")).to_contain_text(title)
    assert not ENGLISH_ADMIN.search(page.locator("body").inner_text())
    shot(page, "backoffice-cn-operator-home")

    tile.locator("a").click()
    expect(page.locator("#result_list")).to_contain_text("阿明理发店")
    expect(page.locator("#result_list")).to_contain_text("8.5折")
    assert not ENGLISH_ADMIN.search(page.locator("body").inner_text())
    shot(page, "backoffice-cn-merchants-to-review")

    page.get_by_role("link", name="阿明理发店").click()
    body = page.locator("body").inner_text()
    assert not ENGLISH_ADMIN.search(body), ENGLISH_ADMIN.search(body)
    # Operators read the week (shopkeepers edit it): weekday names and HH:MM.
    hours = page.locator("#hours-group")
    expect(hours).to_contain_text("营业时间")
    expect(hours).to_contain_text("周一 09:00-12:00")
    expect(hours).to_contain_text("周五 14:00-21:00")
    assert not re.search(r"\b(540|720|840|1260)\b", hours.inner_text())
    expect(page.locator("#id_card_discount_permille")).to_have_value("8.5")
    expect(page.locator("#id_services-0-price_fen")).to_have_value("30.00")
    shot(page, "backoffice-cn-merchant-change")

    page.goto(f"{live_server.url}/admin/places/merchant/?admission__exact=applied")
    page.locator(f'input[name=_selected_action][value="{shop.pk}"]').check()
    page.select_option("select[name=action]", label="审核通过")
    page.click("button[name=index]")
    page.fill("#id_reason", "资料齐全")
    shot(page, "backoffice-cn-approve-reason")
    page.click("input[name=apply], button[name=apply]")
    expect(page.locator(".messagelist")).to_contain_text("已通过 1 家")
    assert Merchant.objects.get(pk=shop.pk).admission == Admission.APPROVED

    page.goto(f"{live_server.url}/admin/places/merchantevent/")
    expect(page.locator("#result_list")).to_contain_text("王敏 审核通过:资料齐全")
    body = page.locator("body").inner_text()
    assert "{" not in body and not ENGLISH_ADMIN.search(body)
    shot(page, "backoffice-cn-audit-sentences")
    assert MerchantEvent.objects.filter(merchant=shop, kind="approved").exists()


def test_merchant_edits_hours_and_a_service_price(page, live_server):
    donghe = make_community(name="东河社区", slug="donghe")
    shop = make_merchant(
        donghe, name="东河早餐店", hours="1-7 06:00-10:00", services=["豆浆"]
    )
    shop.services.update(price_fen=300)
    make_owner(shop, username="owner_breakfast")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "owner_breakfast")
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.goto(f"{live_server.url}/console/{shop.pk}/")

    hours = page.locator("#hours")
    expect(hours.locator("#id_d0_open1")).to_have_value("06:00")
    # Monday: a second period in the afternoon; Sunday closed.
    hours.locator("#id_d0_open2").fill("16:00")
    hours.locator("#id_d0_close2").fill("19:30")
    hours.locator("#id_d6_closed").check()
    shot(page, "backoffice-cn-console-hours")
    hours.get_by_role("button", name="保存营业时间").click()
    expect(page.locator("body")).to_contain_text("已保存")
    spans = sorted(shop.hours.values_list("weekday", "open_minute", "close_minute"))
    assert (0, 360, 600) in spans and (0, 960, 1170) in spans
    assert not [s for s in spans if s[0] == 6]

    # Overlapping periods are refused with the day named; nothing changes.
    hours = page.locator("#hours")
    hours.locator("#id_d1_open2").fill("09:00")
    hours.locator("#id_d1_close2").fill("11:00")
    hours.get_by_role("button", name="保存营业时间").click()
    overlap = "周二 06:00-10:00 与 09:00-11:00 重叠"
    expect(page.locator("#hours")).to_contain_text(overlap)
    kept = shop.hours.values_list("weekday", "open_minute", "close_minute")
    assert sorted(kept) == spans

    page.goto(f"{live_server.url}/console/{shop.pk}/")
    services = page.locator("#services")
    expect(services.locator("#id_s0_price")).to_have_value("3.00")
    services.locator("#id_s0_price").fill("3.50")
    services.locator("#id_s1_name").fill("油条")
    services.locator("#id_s1_price").fill("2")
    shot(page, "backoffice-cn-console-services")
    services.get_by_role("button", name="保存服务与价格").click()
    expect(page.locator("body")).to_contain_text("已保存")
    assert list(shop.services.values_list("name", "price_fen")) == [
        ("豆浆", 350),
        ("油条", 200),
    ]
    page.goto(f"{live_server.url}/merchants/{shop.pk}/")
    shot(page, "backoffice-cn-merchant-page-after")


def test_merchant_adds_a_shop_photo_that_heads_the_shop_page(
    page, live_server, settings, tmp_path
):
    from quarter.board.tests.factories import png_bytes

    settings.MEDIA_ROOT = tmp_path
    donghe = make_community(name="东河社区", slug="donghe")
    shop = make_merchant(donghe, name="东河花店")
    make_owner(shop, username="owner_flowers")
    photo = tmp_path / "front.png"
    photo.write_bytes(png_bytes((320, 240)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "owner_flowers")
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.goto(f"{live_server.url}/console/{shop.pk}/")
    photos = page.locator("#photos")
    photos.locator("#id_photos").set_input_files(str(photo))
    photos.get_by_role("button", name="上传照片").click()
    expect(page.locator("body")).to_contain_text("照片已更新")
    expect(page.locator("#photos img")).to_have_count(1)
    shot(page, "backoffice-cn-console-photo")
    page.goto(f"{live_server.url}/merchants/{shop.pk}/")
    hero = page.locator("img.hero-photo")
    expect(hero).to_be_visible()
    assert hero.evaluate("img => img.naturalWidth") == 320  # the file was served
