"""Browser journey of the demo as the README tells it: load, log in, act.

The README's first resident (13800000001) logs in right after the demo loads,
lands on the voucher rounds, claims the round that opened at demo start and
sees the countdown of the next; the Haidian operator lands on planning with
the real walking network and its real gaps, and a suggested site named by
its street and compound.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.demo.services import DEMO_PASSWORD, load_demo
from quarter.vouchers.demo import JINXIU_CAMPAIGN, README_RESIDENT
from quarter.vouchers.models import Claim, Round
from tests.e2e.test_planning import _ensure_catalogue
from tests.live import start_live_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def live_server(request):
    """The live server with the rush gate in front, as `quarter demo` serves it."""
    server = start_live_server(rush_gate=True)
    yield server
    server.stop()


def _log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_readme_resident_claims_and_haidian_operator_sees_real_gaps(
    browser, live_server
):
    _ensure_catalogue()
    load_demo()
    context = browser.new_context(
        viewport={"width": 412, "height": 915},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        _log_in(page, live_server, README_RESIDENT)
        assert page.url.endswith("/vouchers/")
        open_round = Round.objects.get(
            campaign__name=JINXIU_CAMPAIGN, name__startswith="第二轮"
        )
        shot(page, "demo-resident-lands-on-rounds")
        page.click(f"a[href='/vouchers/rounds/{open_round.pk}/']")
        expect(page.locator("#claim")).to_be_enabled()
        page.click("#claim")
        expect(page.locator("#result")).to_contain_text("领取成功")
        shot(page, "demo-resident-claimed")
        assert Claim.objects.filter(
            round=open_round, resident__phone=README_RESIDENT
        ).exists()
        later = Round.objects.get(campaign__name=JINXIU_CAMPAIGN, name="第三轮")
        page.goto(f"{live_server.url}/vouchers/rounds/{later.pk}/")
        expect(page.locator("#countdown")).to_contain_text("距开抢")
        page.goto(f"{live_server.url}/vouchers/wallet/")
        expect(page.locator("#wallet")).to_contain_text("满¥40.00减¥10.00")
        shot(page, "demo-resident-wallet")
    finally:
        context.close()

    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        _log_in(page, live_server, "operator_haidian")
        assert page.url.endswith("/planning/haidian/")
        expect(page.locator("#network-in-use")).to_contain_text("OpenStreetMap")
        expect(page.locator("#households-note")).to_contain_text("90平方米")
        expect(page.locator("#share-all-basic")).not_to_have_text("100%")
        page.select_option("#suggest-type", "laundry")
        page.click("#suggest-form button[type=submit]")
        first = page.locator("#suggestions .site-place").first
        expect(first).to_contain_text("近 ")
        expect(first).to_contain_text("旁")
        text = first.inner_text()
        assert any(
            s in text for s in ("学清路", "石板房南路", "清华东路", "双泉堡西路")
        )
        shot(page, "demo-haidian-planning-suggestion")
    finally:
        context.close()
