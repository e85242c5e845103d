"""Browser journeys of the community card: rotating QR, the one till, PIN card."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import launch_with_camera, shot
from quarter.card import selectors as card_selectors
from quarter.card.models import Visit
from quarter.ledger import selectors as ledger
from quarter.vouchers.engines import use_engine
from quarter.vouchers.engines.db_engine import DatabaseEngine
from quarter.vouchers.tests.factories import World
from tests.e2e.test_vouchers import _camera_video, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _db_engine():
    use_engine(DatabaseEngine())
    yield
    use_engine(None)
    assert ledger.get_total() == 0


def _card_shop():
    world = World()
    world.shop.card_discount_permille = 550
    world.shop.save()
    return world


def test_resident_shows_card_and_till_scans_it_60_becomes_33(
    playwright_driver, browser, live_server, tmp_path, monkeypatch
):
    world = _card_shop()
    resident = world.resident()
    # The page asks for a new code every second here (20 s in production).
    monkeypatch.setattr(card_selectors, "REFRESH_SECONDS", 1)
    phone = browser.new_context(viewport={"width": 412, "height": 915}, locale="zh-CN")
    card_page = phone.new_page()
    login(card_page, live_server, resident.user)
    # Before paying there the resident may not rate the shop yet.
    card_page.goto(f"{live_server.url}/reviews/merchants/{world.shop.pk}/rate/")
    expect(card_page.locator("#rateable")).to_contain_text("消费后30天内才能评价")
    card_page.goto(f"{live_server.url}/me/card/")
    qr = card_page.locator("#card-qr")
    expect(qr).to_be_visible()
    first = qr.get_attribute("data-token")
    assert re.fullmatch(r"QC1[\w-]{40}", first)
    # The static script swaps in a fresh signed QR: a screenshot goes stale.
    card_page.wait_for_function(
        "t => document.getElementById('card-qr').dataset.token !== t", arg=first
    )
    expect(card_page.locator("#card-code")).to_have_text(
        re.compile(r"^\d{6} \d{6} \d{6}$")
    )
    shot(card_page, "card-page")
    video = _camera_video(qr.screenshot(), tmp_path / "card.y4m")
    phone.close()

    till = launch_with_camera(playwright_driver, video)
    try:
        page = till.new_context(
            viewport={"width": 412, "height": 915}, locale="zh-CN"
        ).new_page()
        page.set_default_timeout(15_000)
        login(page, live_server, world.cashier)
        page.goto(f"{live_server.url}/vouchers/till/{world.shop.pk}/")
        expect(page.locator("#shop-card-rate")).to_contain_text("5.5折")
        page.click("#scan")
        expect(page.locator("#id_code")).to_have_value(re.compile(r"^QC1[\w-]{40}$"))
        page.fill("#id_bill", "60")
        page.click("#quote-button")
        expect(page.locator("#payable")).to_have_text("¥33.00")
        expect(page.locator("#card-price")).to_contain_text("5.5折")
        shot(page, "card-till-quote")
        expect(page.locator("#recent")).to_contain_text("暂无")
        page.click("#confirm")
        expect(page.locator("#redeemed")).to_contain_text("收款成功")
        expect(page.locator("#redeemed")).to_contain_text("¥33.00")
        # The till's recent list shows the payment at once, without a reload.
        expect(page.locator("#recent")).to_contain_text("¥33.00")
        expect(page.locator("#recent")).not_to_contain_text("暂无")
        shot(page, "card-till-paid")
    finally:
        till.close()
    # The payment is in the resident's history and the operator's monthly
    # table (联系本), and it lets the resident rate the shop.
    context = browser.new_context(
        viewport={"width": 412, "height": 915}, locale="zh-CN"
    )
    try:
        page = context.new_page()
        login(page, live_server, resident.user)
        page.goto(f"{live_server.url}/me/visits/")
        expect(page.locator("main")).to_contain_text(world.shop.name)
        expect(page.locator("main")).to_contain_text("¥33.00")
        page.goto(f"{live_server.url}/reviews/merchants/{world.shop.pk}/rate/")
        expect(page.locator("#rateable")).to_contain_text("有 1 次消费可以评价")
        page.context.clear_cookies()
        login(page, live_server, world.operator_user)
        page.goto(f"{live_server.url}/visits/community/{world.community.slug}/")
        expect(page.locator("main")).to_contain_text(world.shop.name)
        expect(page.locator("main")).to_contain_text("¥60.00")
        shot(page, "card-visit-in-operator-log")
    finally:
        context.close()
    visit = Visit.objects.get()
    assert (visit.method, visit.bill_fen, visit.card_discount_fen) == (
        "card",
        6000,
        2700,
    )
    assert (visit.payable_fen, visit.resident_id, visit.merchant_id) == (
        3300,
        resident.pk,
        world.shop.pk,
    )


def test_tampered_qr_is_refused_and_household_card_pays_with_pin(page, live_server):
    world = _card_shop()
    elder = world.resident()
    household = elder.household
    # The operator sets the printed card's PIN and opens the print page.
    login(page, live_server, world.operator_user)
    page.goto(f"{live_server.url}/card/households/?q={household.card_number}")
    page.click("text=密码与打印")
    page.fill("#id_pin", "739154")
    page.click("#pin-form button[type=submit]")
    expect(page.locator("#pin-state")).to_have_text("已设置")
    page.click("#print-link")
    expect(page.locator("#print-number")).to_have_text(household.card_number)
    shot(page, "card-household-print")
    page.context.clear_cookies()

    login(page, live_server, world.cashier)
    page.goto(f"{live_server.url}/vouchers/till/{world.shop.pk}/")
    # A tampered QR is refused with a clear reason (400, shown in place).
    page.fill("#id_code", "QC1" + "A" * 40)
    page.fill("#id_bill", "60")
    page.click("#quote-button")
    expect(page.locator("#till-error")).to_contain_text("无法识别的大家卡二维码")
    # The printed card: its number, a wrong PIN, then the right one.
    page.fill("#id_code", household.card_number)
    page.fill("#id_pin", "000001")
    page.click("#quote-button")
    expect(page.locator("#till-error")).to_contain_text("卡号或密码不正确,还可再试4次")
    page.fill("#id_pin", "739154")
    page.click("#quote-button")
    expect(page.locator("#payable")).to_have_text("¥33.00")
    page.click("#confirm")
    expect(page.locator("#redeemed")).to_contain_text("收款成功")
    shot(page, "card-till-household")
    visit = Visit.objects.get()
    assert (visit.household_id, visit.resident_id, visit.payable_fen) == (
        household.pk,
        None,
        3300,
    )
