"""Journey of a reported problem (民情地图 closed loop).

A resident reports a broken street lamp with a photo, placing it on the map;
it is dispatched to the street-lighting department by its category; the
department's staff resolve it with a reply; the resident sees the reply and
every step of the timeline. Then the 民情地图 and the monthly statistics.
"""

import io

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.civic.models import Report
from quarter.civic.tests.factories import CivicWorld

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Quarter-2026!"


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (250, 200, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _login(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_resident_reports_a_street_lamp_and_sees_the_departments_reply(
    page, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    cw = CivicWorld()
    resident = cw.world.resident()

    _login(page, live_server, resident.user.username)
    page.goto(f"{live_server.url}/civic/report/")
    page.select_option("#id_category", label="路灯损坏")
    page.fill("#id_description", "3栋门口的路灯连续三晚不亮,行人看不清台阶")
    expect(page.locator("#merchant-field")).to_be_hidden()
    page.locator("#id_lat-map").click(position={"x": 200, "y": 120})
    expect(page.locator("#id_lat-status")).to_contain_text("已选位置")
    page.fill("#id_address", "3栋东侧路口")
    page.set_input_files(
        "#id_photo",
        files=[{"name": "路灯.png", "mimeType": "image/png", "buffer": _png()}],
    )
    shot(page, "civic-report-form")
    page.click("#report-submit")

    expect(page.locator("#report-status")).to_have_text("已派单")
    expect(page.locator("#report-department")).to_have_text(cw.lighting.name)
    expect(page.locator("#timeline li")).to_have_count(2)
    expect(page.locator("#timeline")).to_contain_text("按类别自动派往")
    expect(page.locator("#report-photo")).to_be_visible()
    shot(page, "civic-report-dispatched")
    report = Report.objects.get()
    assert report.department == cw.lighting
    assert 30.2 < report.lat < 30.32 and 120.1 < report.lng < 120.24

    _login(page, live_server, cw.staff.username)
    page.click("#nav-civic-queue")
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    shot(page, "civic-department-queue")
    page.click(f"#queue a:has-text('#{report.pk}')")
    page.click("#start")
    expect(page.locator("#report-status")).to_have_text("处理中")
    page.fill("#id_reply", "已更换灯泡并检修线路,今晚恢复照明。")
    page.set_input_files(
        "#id_photo",
        files=[{"name": "修好了.png", "mimeType": "image/png", "buffer": _png()}],
    )
    page.click("#resolve")
    expect(page.locator("#report-status")).to_have_text("已办结")

    _login(page, live_server, resident.user.username)
    page.goto(f"{live_server.url}/me/notifications/")
    expect(page.locator(".notifications")).to_contain_text("已办结")
    page.goto(f"{live_server.url}/civic/reports/{report.pk}/")
    expect(page.locator("#report-reply")).to_contain_text("已更换灯泡并检修线路")
    expect(page.locator("#timeline li")).to_have_count(4)
    for step in ("提交诉求", "派单", "开始处理", "办结答复"):
        expect(page.locator("#timeline")).to_contain_text(step)
    shot(page, "civic-resident-sees-reply")
    page.click("#confirm-close")
    expect(page.locator("#report-status")).to_have_text("已关闭")

    page.goto(f"{live_server.url}/civic/map/?community={cw.world.community.slug}")
    expect(page.locator("#reports-map")).to_have_attribute("data-count", "1")
    expect(page.locator("#reports-map path.report-done")).to_have_count(1)
    shot(page, "civic-map")
    page.goto(f"{live_server.url}/civic/stats/?community={cw.world.community.slug}")
    expect(page.locator("body")).to_have_attribute("data-charts-ready", "1")
    expect(page.locator("#stats-table")).to_contain_text("100.0%")
    shot(page, "civic-stats")
