"""Browser journeys: the login throttle, a lottery round, a refused amount."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.core import clock
from quarter.vouchers.engines import use_engine
from quarter.vouchers.engines.db_engine import DatabaseEngine
from quarter.vouchers.models import ClaimMode, Round
from quarter.vouchers.tests.factories import World

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Quarter-2026!"


@pytest.fixture(autouse=True)
def _db_engine():
    use_engine(DatabaseEngine())
    yield
    use_engine(None)


def _try_login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_guessing_slows_the_attacker_but_not_the_owner(browser, live_server, settings):
    """An attacker's browser is told to wait; the owner's logs in at once."""
    settings.QUARTER_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    # A first wait of a minute, so a slow machine cannot outlast it between
    # two page loads (the production default is 2 s, doubling).
    settings.QUARTER_LOGIN_BASE_DELAY_SECONDS = 60
    world = World()
    owner = world.issuer_user
    attacker = browser.new_context(
        locale="zh-CN", extra_http_headers={"X-Real-IP": "203.0.113.9"}
    )
    mine = browser.new_context(
        locale="zh-CN", extra_http_headers={"X-Real-IP": "198.51.100.5"}
    )
    try:
        page = attacker.new_page()
        for i in range(6):  # five free failures, then the sixth must wait
            _try_login(page, live_server, owner.username, f"guess-{i}")
        message = page.locator("form.stack")
        expect(message).to_contain_text("登录失败次数过多")
        expect(message).to_contain_text("后再试")
        shot(page, "inputs-login-throttled")

        own = mine.new_page()
        _try_login(own, live_server, owner.username, PASSWORD)
        expect(own).not_to_have_url(f"{live_server.url}/accounts/login/")
        shot(own, "inputs-owner-logged-in")
    finally:
        attacker.close()
        mine.close()


def test_issuer_creates_a_lottery_round(page, live_server):
    world = World()
    campaign = world.campaign()
    _try_login(page, live_server, world.issuer_user.username, PASSWORD)
    page.goto(f"{live_server.url}/vouchers/issuer/campaigns/{campaign.pk}/")
    release = clock.now() + dt.timedelta(hours=2)
    local = lambda when: when.astimezone(clock.SHANGHAI).strftime("%Y-%m-%dT%H:%M")  # noqa: E731
    page.fill("#id_name", "长者专场摇号")
    page.select_option("#id_preset", "hz2022")
    page.fill("#id_packets_total", "100")
    page.fill("#id_release_at", local(release))
    page.fill("#id_claim_closes_at", local(release + dt.timedelta(days=1)))
    page.fill("#id_valid_from", local(release + dt.timedelta(days=1)))
    page.fill("#id_valid_until", local(release + dt.timedelta(days=8)))
    page.select_option("#id_mode", "lottery")
    page.fill("#id_min_age", "60")
    shot(page, "inputs-lottery-round-form")
    # Submitted by Enter in the last field, as a keyboard user does.
    page.locator("#id_min_age").press("Enter")
    # Creating the round writes its packets: give a loaded machine time.
    expect(page.locator(".list")).to_contain_text("摇号轮次", timeout=30_000)
    shot(page, "inputs-lottery-round-created")
    round_ = Round.objects.get(campaign=campaign)
    assert round_.mode == ClaimMode.LOTTERY and round_.min_age == 60
    assert round_.packets_total == 100


def test_ambiguous_budget_is_refused_with_a_reason(page, live_server):
    world = World()
    _try_login(page, live_server, world.issuer_user.username, PASSWORD)
    page.goto(f"{live_server.url}/vouchers/issuer/")
    page.fill("#id_name", "逗号预算")
    page.fill("#id_budget", "50,00")
    page.click("#campaign-form button[type=submit]")
    expect(page.locator("#campaign-form")).to_contain_text("不用逗号作小数点")
    shot(page, "inputs-budget-refused")
