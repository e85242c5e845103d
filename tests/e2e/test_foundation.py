"""Browser journeys of the foundation: search, admission, the card rule."""

import io
import re

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.places.models import Admission, Merchant
from quarter.places.tests.factories import (
    CENTER,
    make_community,
    make_compound,
    make_merchant,
    make_operator,
    make_owner,
    make_user,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-strong-pass-2026"


def login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_resident_searches_haircut_and_opens_barber(page, live_server):
    community = make_community(slug="donghe")
    make_compound(community)
    make_merchant(
        community,
        name="阿明理发店",
        type_code="hair_beauty",
        services=["理发", "洗剪吹"],
        card=550,
        vip=700,
        intro="老师傅手艺,大家卡理发5.5折",
    )
    make_merchant(community, name="老百姓大药房", type_code="pharmacy")

    page.goto(live_server.url + "/")
    expect(page.get_by_text("基本保障类").first).to_be_visible()
    shot(page, "foundation-home")
    page.fill("input[name=q]", "理发")
    page.click("form.searchbar button")
    expect(page.locator("#result-list")).to_contain_text("阿明理发店")
    expect(page.locator("#result-list")).not_to_contain_text("老百姓大药房")
    shot(page, "foundation-search-haircut")
    page.click("text=阿明理发店")
    expect(page.locator("#merchant-name")).to_have_text("阿明理发店")
    expect(page.locator("#card-discount")).to_contain_text("5.5折")
    expect(page.locator("#card-discount")).to_contain_text("7折")
    expect(page.locator("#services")).to_contain_text("理发")
    expect(page.locator("#merchant-map .leaflet-marker-icon")).to_be_visible()
    shot(page, "foundation-merchant-page")


def _png_bytes():
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 200), "#f3d9b1")
    ImageDraw.Draw(image).rectangle((40, 40, 280, 160), fill="#c8102e")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_merchant_applies_operator_approves_and_it_appears_on_map(page, live_server):
    community = make_community(name="东河社区", slug="donghe")
    make_operator(community, username="operator1")
    make_user("shopkeeper")

    login(page, live_server, "shopkeeper")
    page.goto(live_server.url + "/apply/")
    page.select_option("#id_community", label="东河社区")
    page.fill("#id_name", "潮鸣早餐铺")
    page.select_option("#id_main_type", label="早餐店")
    page.fill("#id_address", "建国北路12号")
    page.click("#id_lat-map", position={"x": 150, "y": 120})
    expect(page.locator("#id_lat")).not_to_have_value("")
    page.fill("#id_phone", "13812345678")
    page.fill("#id_contact_person", "李女士")
    page.fill("#id_services", "小笼包 8\n豆浆 3")
    page.fill("#id_hours", "1-7 06:00-10:30")
    page.fill("#id_card_discount", "8")
    page.fill("#id_vip_discount", "9")
    page.set_input_files(
        "#id_photos",
        files=[{"name": "shop.png", "mimeType": "image/png", "buffer": _png_bytes()}],
    )
    shot(page, "foundation-apply-form")
    page.click("#apply-form button[type=submit]")
    expect(page.locator("#admission")).to_have_text("待审核")
    shot(page, "foundation-applied-console")
    merchant = Merchant.objects.get(name="潮鸣早餐铺")
    assert merchant.photos.count() == 1

    page.goto(live_server.url + "/map/?community=donghe")
    expect(page.locator("#map")).to_have_attribute("data-count", "0")

    page.context.clear_cookies()
    login(page, live_server, "operator1")
    page.goto(live_server.url + "/admin/places/merchant/?admission__exact=applied")
    page.check(f"input[name=_selected_action][value='{merchant.id}']")
    page.select_option("select[name=action]", label="审核通过")
    page.click("button[name=index]")
    page.fill("#id_reason", "证照齐全,现场核验通过")
    shot(page, "foundation-admin-approve-reason")
    page.click("input[name=apply]")
    expect(page.locator(".messagelist")).to_contain_text("已通过 1 家")
    shot(page, "foundation-admin-approved")
    merchant.refresh_from_db()
    assert merchant.admission == Admission.APPROVED
    event = merchant.events.get(kind="approved")
    assert event.actor.username == "operator1" and "核验" in event.reason

    page.goto(live_server.url + "/map/?community=donghe")
    expect(page.locator("#map")).to_have_attribute("data-count", "1")
    page.locator("#map path.leaflet-interactive").last.click(force=True)
    expect(page.locator(".leaflet-popup-content")).to_contain_text("潮鸣早餐铺")
    shot(page, "foundation-map-after-approval")


def test_merchant_card_rate_worse_than_vip_is_refused(page, live_server):
    community = make_community(slug="donghe")
    merchant = make_merchant(
        community,
        name="克莉丝汀蛋糕店",
        type_code="cafe",
        card=850,
        vip=900,
        lat=CENTER[0],
        lng=CENTER[1],
    )
    make_owner(merchant, username="cake_owner")

    login(page, live_server, "cake_owner")
    page.goto(f"{live_server.url}/console/{merchant.id}/")
    page.fill("#id_card_discount", "7")
    page.fill("#id_vip_discount", "6")
    page.click("#discounts button[type=submit]")
    expect(page.locator("#discounts .errorlist")).to_contain_text(
        re.compile(r"大家卡折扣\(7折\)不如本店会员卡\(6折\)优惠")
    )
    shot(page, "foundation-card-rule-refused")
    merchant.refresh_from_db()
    assert (merchant.card_discount_permille, merchant.vip_discount_permille) == (
        850,
        900,
    )

    page.fill("#id_card_discount", "5.5")
    page.fill("#id_vip_discount", "6")
    page.click("#discounts button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已保存")
    merchant.refresh_from_db()
    assert merchant.card_discount_permille == 550


def test_resident_signs_up_verifies_real_name_and_shows_card(page, live_server):
    from quarter.core.identity import id_check_char
    from quarter.people import sms
    from quarter.people.tests.factories import register_entry

    community = make_community(name="东河社区", slug="donghe")
    compound = make_compound(community, name="河滨公寓")
    first17 = "33010319880605022"
    id_number = first17 + id_check_char(first17)
    register_entry(compound, name="朱丽华", id_number=id_number, address="2幢301")
    invented = "33010319900101011"
    invented += id_check_char(invented)

    page.goto(live_server.url + "/accounts/signup/")
    page.fill("#id_phone", "13900001111")
    page.click("#send-code")
    expect(page.locator(".messages")).to_contain_text("验证码已发送")
    page.fill("#id_code", sms.last_code("13900001111"))
    page.fill("#id_password", "Zhu-Lihua-2026")
    shot(page, "foundation-signup-sms-code")
    page.click("#signup-submit")
    expect(page).to_have_url(re.compile("/accounts/real-name/"))
    page.fill("#id_name", "朱丽华")
    page.fill("#id_id_number", id_number[:17] + ("0" if id_number[17] != "0" else "1"))
    page.select_option("#id_community", label="东河社区")
    page.click("form.stack button[type=submit]")
    expect(page.locator(".errorlist")).to_contain_text("校验位")
    shot(page, "foundation-real-name-refused")
    page.fill("#id_id_number", invented)
    page.click("form.stack button[type=submit]")
    expect(page.locator(".errorlist")).to_contain_text("居民名册")
    shot(page, "foundation-real-name-not-on-register")
    page.fill("#id_id_number", id_number)
    page.click("form.stack button[type=submit]")
    expect(page.locator("#community-card")).to_contain_text("朱丽华")
    expect(page.locator("#community-card")).to_contain_text("3301************")
    expect(page.locator("#community-card")).to_contain_text("河滨公寓 2幢301")
    expect(page.locator("#community-card")).not_to_contain_text(id_number)
    expect(page.locator("#community-card #card-qr")).to_be_visible()
    shot(page, "foundation-community-card")
