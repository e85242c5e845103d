"""Journey of sharing rewards: a neighbour registers by link, pays, the referrer earns.

The shop opts in on its promotion page, the operator records its budget,
the referee signs up through the referrer's link (SMS code from the console
sender's outbox) and verifies their real name; a card payment is recorded
as the till records it; the referrer sees a pending reward, which becomes
withdrawable after the refund window (clock moved, release command run);
the referrer asks for it and the operator approves.
"""

import datetime as dt
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from conftest import shot
from quarter.card import visits
from quarter.core import clock
from quarter.ledger import selectors as ledger
from quarter.people import sms
from quarter.people.models import Resident
from quarter.people.tests.factories import register_entry, valid_id
from quarter.referrals.models import Referral, Reward, Withdrawal
from quarter.vouchers.tests.factories import World

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Quarter-2026!"


@pytest.fixture
def phone_page(browser):
    """Open phone-sized pages, one browser context (one person) each."""
    contexts = []

    def open_page():
        context = browser.new_context(
            viewport={"width": 412, "height": 915},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def login(page, live_server, username, password=PASSWORD):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_referee_signs_up_by_link_pays_and_referrer_reward_becomes_withdrawable(
    phone_page, live_server
):
    start = dt.datetime(2026, 12, 2, 10, 0, tzinfo=clock.SHANGHAI)
    clock.freeze(start)
    world = World()
    referrer = world.resident()
    id_number = valid_id("19880605", 22, region="330103")
    register_entry(world.compound, name="朱丽华", id_number=id_number, address="2幢301")

    # The shop opts in at 3 %; with no budget yet it waits, paused.
    shop_page = phone_page()
    login(shop_page, live_server, world.cashier.username)
    shop_page.goto(f"{live_server.url}/referrals/merchant/{world.shop.pk}/")
    shop_page.fill("#id_rate", "abc")
    shop_page.click("#promotion button[type=submit]")
    expect(shop_page.locator(".errorlist")).to_contain_text("请填写百分比")
    shop_page.fill("#id_rate", "3")
    shop_page.click("#promotion button[type=submit]")
    expect(shop_page.locator("#promotion-state")).to_contain_text("推广比例 3%")
    expect(shop_page.locator("#paused-banner")).to_be_visible()

    # The operator records the ¥100 the shop paid in; the promotion starts.
    op_page = phone_page()
    login(op_page, live_server, world.operator_user.username)
    op_page.goto(f"{live_server.url}/referrals/operator/")
    row = op_page.locator("#promotion-merchants tbody tr", has_text=world.shop.name)
    row.locator("input[name$=amount]").fill("100")
    row.locator("input[name$=note]").fill("银行转账 20261202-01")
    row.locator("button[type=submit]").click()
    expect(op_page.locator(".messages")).to_contain_text("已记录")
    expect(op_page.locator("#total-budget")).to_have_text("¥100.00")
    shot(op_page, "referrals-operator-topup")
    shop_page.reload()
    expect(shop_page.locator("#promotion-state")).to_contain_text("推广中")
    expect(shop_page.locator("#budget-left")).to_have_text("¥100.00")
    shot(shop_page, "referrals-merchant-promotion")

    # The referrer's link and QR.
    ref_page = phone_page()
    login(ref_page, live_server, referrer.user.username)
    ref_page.goto(f"{live_server.url}/referrals/me/")
    expect(ref_page.locator("#my-link svg")).to_be_visible()
    url = ref_page.locator("#referral-url").input_value()
    assert re.fullmatch(rf"{live_server.url}/r/[A-Z0-9]{{8}}/", url)
    shot(ref_page, "referrals-my-link")

    # A neighbour opens the link and signs up with the SMS code.
    nb = phone_page()
    nb.goto(url)
    expect(nb.locator("#invitation")).to_contain_text("居*")
    shot(nb, "referrals-landing")
    nb.click("#accept-invitation")
    nb.fill("#id_phone", "13900002222")
    nb.click("#send-code")
    expect(nb.locator(".messages")).to_contain_text("验证码已发送")
    nb.fill("#id_code", sms.last_code("13900002222"))
    nb.fill("#id_password", "Zhu-Lihua-2026")
    nb.click("#signup-submit")
    expect(nb).to_have_url(re.compile("/accounts/real-name/"))
    expect(nb.locator(".messages")).to_contain_text("您已接受邻居 居*")
    nb.fill("#id_name", "朱丽华")
    nb.fill("#id_id_number", id_number)
    nb.select_option("#id_community", label=world.community.name)
    nb.click("form.stack button[type=submit]")
    expect(nb.locator("#community-card")).to_contain_text("朱丽华")
    referee = Resident.objects.get(phone="13900002222")
    assert Referral.objects.get(referee=referee).referrer == referrer

    # The referee pays ¥60 with the card at 5.5折 (the till records the visit).
    visits.record_visit(
        merchant=world.shop,
        staff=world.cashier,
        key="till-1",
        bill_fen=6000,
        card_discount_fen=2700,
        resident=referee,
    )
    ref_page.reload()
    expect(ref_page.locator("#referee-count")).to_have_text("1 人")
    expect(ref_page.locator("#referees")).to_contain_text("朱*")
    expect(ref_page.locator("#referees")).not_to_contain_text("朱丽华")
    expect(ref_page.locator("#pending")).to_have_text("¥0.99")
    expect(ref_page.locator("#withdrawable")).to_have_text("¥0.00")
    expect(ref_page.locator("#rewards")).to_contain_text("待到账")
    shot(ref_page, "referrals-pending-reward")

    # Before the window ends nothing moves; after it, the reward is withdrawable.
    clock.freeze(start + dt.timedelta(days=6))
    call_command("release_referral_rewards")
    ref_page.reload()
    expect(ref_page.locator("#pending")).to_have_text("¥0.99")
    clock.freeze(start + dt.timedelta(days=7, hours=1))
    call_command("release_referral_rewards")
    call_command("release_referral_rewards")  # a second run changes nothing
    ref_page.reload()
    expect(ref_page.locator("#pending")).to_have_text("¥0.00")
    expect(ref_page.locator("#withdrawable")).to_have_text("¥0.99")
    ref_page.fill("#id_amount", "0.99")
    ref_page.click("#withdraw-form button[type=submit]")
    expect(ref_page.locator(".messages")).to_contain_text("提现申请已提交")
    expect(ref_page.locator("#requested")).to_have_text("¥0.99")
    shot(ref_page, "referrals-withdrawable")

    op_page.goto(f"{live_server.url}/referrals/operator/")
    queue = op_page.locator("#withdrawal-queue tbody tr").first
    expect(queue).to_contain_text("¥0.99")
    expect(op_page.locator("#top-referrers")).to_contain_text("居*")
    shot(op_page, "referrals-operator-queue")
    queue.locator("select").select_option("approve")
    queue.locator("button[type=submit]").click()
    expect(op_page.locator(".messages")).to_contain_text("已批准提现")
    assert Withdrawal.objects.get().status == "approved"
    assert Reward.objects.get().status == "released"
    assert ledger.get_total() == 0
