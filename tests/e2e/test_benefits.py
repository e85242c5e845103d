"""Browser journey of 免申即享: a rule previewed and enabled, granted by the daily
run, seen by a resident of 72 with the reason, redeemed at the canteen's till;
a run the next minute grants nothing more."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from conftest import shot
from quarter.benefits.models import BenefitGrant
from quarter.benefits.tests.factories import meal_world
from quarter.core import clock
from quarter.ledger import selectors as ledger
from quarter.ledger.models import Transaction
from quarter.vouchers.engines import use_engine
from quarter.vouchers.engines.db_engine import DatabaseEngine
from quarter.vouchers.models import Redemption, Voucher
from tests.e2e.journeys import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _db_engine():
    use_engine(DatabaseEngine())
    yield
    use_engine(None)
    assert ledger.get_total() == 0


def _run() -> str:
    out = io.StringIO()
    call_command("grant_benefits", stdout=out)
    return out.getvalue().strip()


def test_resident_aged_72_gets_the_meal_voucher_without_applying(
    page, browser, live_server
):
    world, campaign, canteen, canteen_cashier = meal_world()
    year = clock.local_now().year
    old = world.resident(born=f"{year - 72}0312")
    world.resident(born=f"{year - 65}0101")  # 65: not matched

    # The operator writes the rule, previews who it matches, then enables it.
    login(page, live_server, world.operator_user)
    page.goto(f"{live_server.url}/benefits/rules/")
    page.fill("#id_name", "高龄老人助餐券")
    page.fill("#id_min_age", "70")
    page.select_option("#id_campaign", str(campaign.pk))
    page.fill("#id_face", "100")
    page.fill("#id_threshold", "100")
    page.select_option("#id_coupon_business_type", "elderly_care")
    page.fill("#id_starts_on", clock.local_now().date().replace(day=1).isoformat())
    shot(page, "benefits-rule-form")
    page.click("#rule-form button[type=submit]")
    expect(page.locator("#rule-state")).to_contain_text("草稿")
    expect(page.locator("#preview-count")).to_contain_text("符合条件并可发放:1 人")
    expect(page.locator("#preview-count")).to_contain_text("共需 ¥100.00")
    expect(page.locator("#preview table")).to_contain_text("居*1")
    expect(page.locator("#preview table")).to_contain_text("今年满72周岁")
    shot(page, "benefits-rule-preview")
    page.click("#rule-actions button[value=enabled]")
    expect(page.locator("#rule-state")).to_contain_text("已启用")

    # The daily job.
    assert _run() == "granted=1 already=0 shortfalls=0 waiting=0"

    # The resident: the notification, the voucher in the wallet, and why.
    phone = browser.new_context(viewport={"width": 412, "height": 915}, locale="zh-CN")
    resident_page = phone.new_page()
    login(resident_page, live_server, old.user)
    resident_page.goto(f"{live_server.url}/me/notifications/")
    expect(resident_page.locator(".notifications")).to_contain_text(
        "您已自动获得“高龄老人助餐券”¥100.00消费券"
    )
    shot(resident_page, "benefits-notification")
    resident_page.goto(f"{live_server.url}/me/benefits/")
    expect(resident_page.locator(".benefit .why")).to_contain_text(
        "您今年满72周岁,符合“70周岁及以上”的条件"
    )
    shot(resident_page, "benefits-mine-why")
    resident_page.goto(f"{live_server.url}/vouchers/wallet/")
    expect(resident_page.locator("body")).to_contain_text("¥100.00")
    code = resident_page.locator("#paycode").inner_text().strip()
    shot(resident_page, "benefits-wallet")
    phone.close()

    # The canteen's till redeems it.
    login(page, live_server, canteen_cashier)
    page.goto(f"{live_server.url}/vouchers/till/{canteen.pk}/")
    page.fill("#id_code", code)
    page.fill("#id_bill", "120")
    page.click("#till-form button[type=submit]")
    expect(page.locator("#payable")).to_have_text("¥20.00")
    page.click("#confirm")
    expect(page.locator("#redeemed")).to_contain_text("核销成功")
    shot(page, "benefits-canteen-till")
    assert Redemption.objects.get().face_fen == 10_000

    # A run the next minute grants nothing more.
    assert _run() == "granted=0 already=1 shortfalls=0 waiting=0"
    assert BenefitGrant.objects.count() == 1
    assert Voucher.objects.filter(resident=old).count() == 1
    assert Transaction.objects.filter(kind="claim").count() == 1


def test_small_shop_declares_its_head_count_and_a_size_rule_finds_it(page, live_server):
    world, _campaign, canteen, canteen_cashier = meal_world()

    # The canteen's staff declare how many people work there, in the console.
    login(page, live_server, canteen_cashier)
    page.goto(f"{live_server.url}/console/{canteen.pk}/")
    page.fill("#id_employees", "6")
    page.click("#profile form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已保存")
    canteen.refresh_from_db()
    assert canteen.employees == 6

    # The operator's rule for 小微商户 finds it, and says why.
    login(page, live_server, world.operator_user)
    page.goto(f"{live_server.url}/benefits/rules/")
    page.fill("#id_name", "小微商户房租减免")
    page.select_option("#id_subject", "merchant")
    page.fill("#id_employees_max", "10")
    page.fill("#id_relief", "200")
    page.fill("#id_starts_on", clock.local_now().date().replace(day=1).isoformat())
    page.click("#rule-form button[type=submit]")
    expect(page.locator("#rule-state")).to_contain_text("草稿")
    expect(page.locator("body")).to_contain_text("小微商户:从业人数不超过 10 人")
    expect(page.locator("#preview-count")).to_contain_text("符合条件并可发放:1 家商户")
    expect(page.locator("#preview table")).to_contain_text(canteen.name)
    expect(page.locator("#preview table")).to_contain_text(
        "贵店自报从业人员6人,不超过10人,属小微商户"
    )
    shot(page, "benefits-small-shop-rule")
