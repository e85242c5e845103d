"""Journeys of the resident register: an operator imports, moves away, reveals."""

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.people.models import AccessLog, RegisterEntry, Resident
from quarter.people.tests.factories import put_on_register, valid_id
from quarter.places.tests.factories import make_community, make_compound, make_operator

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-strong-pass-2026"


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_operator_imports_register_with_preview_then_moves_one_away(page, live_server):
    community = make_community(name="东河社区", slug="donghe")
    compound = make_compound(community, name="河滨公寓")
    make_compound(community, name="东河苑")
    make_operator(community, "operator_donghe")
    pan, zhu = valid_id("19560312", 11), valid_id("19880605", 22)
    wrong = pan[:17] + ("0" if pan[17] != "0" else "1")
    roster = "\n".join(
        [
            "姓名,身份证号,小区,门牌",
            f"潘建国,{pan},河滨公寓,3栋501",
            f"朱丽华,{zhu},东河苑,1幢1203",
            f"李四,{wrong},河滨公寓,1幢1",
            f"王五,{valid_id('19450101', 33)},不存在小区,1幢2",
            f"潘建国,{pan},河滨公寓,3栋501",
        ]
    )

    _login(page, live_server, "operator_donghe")
    page.goto(live_server.url + "/admin/people/registerentry/")
    page.click("#register-import-link")
    page.set_input_files(
        "#id_file",
        files=[{"name": "名册.csv", "mimeType": "text/csv", "buffer": roster.encode()}],
    )
    page.click("#register-upload input[type=submit]")
    expect(page.locator("#register-summary")).to_contain_text("新增 2 人")
    expect(page.locator("#register-summary")).to_contain_text("有错误 3 行")
    rows = page.locator("#register-rows tbody tr")
    expect(rows).to_have_count(5)
    expect(page.locator("#register-rows")).to_contain_text("身份证号校验位不正确")
    expect(page.locator("#register-rows")).to_contain_text("本社区没有小区“不存在小区”")
    expect(page.locator("#register-rows")).to_contain_text("与第2行是同一人")
    expect(page.locator("#register-rows")).not_to_contain_text(pan)
    shot(page, "register-import-preview")
    assert RegisterEntry.objects.count() == 0

    page.click("#register-confirm input[name=commit]")
    expect(page.locator(".messagelist")).to_contain_text("新增 2 人")
    assert RegisterEntry.objects.count() == 2
    shot(page, "register-after-import")

    entry = RegisterEntry.objects.get(name="潘建国")
    page.goto(live_server.url + f"/admin/people/registerentry/{entry.pk}/move-away/")
    page.fill("#id_reason", "已搬离本社区")
    shot(page, "register-move-away")
    page.click("#move-away-form input[type=submit]")
    expect(page.locator(".messagelist")).to_contain_text("已将 潘建国 标记为迁出")
    entry.refresh_from_db()
    assert entry.status == "moved_away"
    assert compound.register_entries.filter(status="active").count() == 0


def test_operator_reveals_one_phone_and_it_is_logged(page, live_server):
    from quarter.people import services
    from quarter.people.tests.factories import sign_up

    community = make_community(name="东河社区", slug="donghe")
    compound = make_compound(community, name="河滨公寓")
    make_operator(community, "operator_donghe")
    resident = sign_up("13812345678")
    services.join_household(actor=resident.user, compound=compound, address="1幢1")
    resident = Resident.objects.get(pk=resident.pk)
    put_on_register(resident, valid_id())

    _login(page, live_server, "operator_donghe")
    page.goto(live_server.url + "/admin/people/resident/")
    expect(page.locator("#result_list")).to_contain_text("138****5678")
    expect(page.locator("#result_list")).not_to_contain_text("13812345678")
    shot(page, "register-residents-masked")
    page.click("a.reveal-phone")
    page.fill("#id_reason", "电话联系核实住址")
    page.click("#reveal-form input[type=submit]")
    expect(page.locator("#revealed-phone")).to_have_text("13812345678")
    shot(page, "register-phone-revealed")
    log = AccessLog.objects.get()
    assert log.actor.username == "operator_donghe" and log.reason == "电话联系核实住址"
