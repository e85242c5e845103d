"""Browser journeys of vouchers: issue, claim at release, redeem, review, settle."""

import datetime as dt
import os
import re
import socket
import time

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.core import clock
from quarter.core.actors import SYSTEM
from quarter.ledger import selectors as ledger
from quarter.places.models import MerchantStaff
from quarter.vouchers.engines import use_engine
from quarter.vouchers.engines.db_engine import DatabaseEngine
from quarter.vouchers.models import Campaign, Claim, Redemption, Round, Settlement
from quarter.vouchers.services import redemptions, settlement
from quarter.vouchers.services.claims import claim_packet
from quarter.vouchers.tests.factories import World
from tests.e2e.journeys import login
from tests.live import start_live_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _db_engine():
    use_engine(DatabaseEngine())
    yield
    use_engine(None)
    assert ledger.get_total() == 0


def _local(when: dt.datetime) -> str:
    return when.astimezone(clock.SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def _round_now(world, campaign, *, release_in_s: float, packets: int = 10):
    return world.round(
        campaign,
        packets=packets,
        preset="hz2022",
        release_in=dt.timedelta(seconds=release_in_s),
    )


def test_issuer_creates_campaign_and_round_with_2022_packet(page, live_server):
    world = World()
    login(page, live_server, world.issuer_user)
    page.goto(f"{live_server.url}/vouchers/issuer/")
    page.fill("#id_name", "东河社区惠民消费券")
    page.fill("#id_budget", "100000")
    page.fill("#id_cofund_percent", "20")
    page.check(f"input[name=street_offices][value='{world.street.pk}']")
    shot(page, "vouchers-issuer-new-campaign")
    page.click("#campaign-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("东河社区惠民消费券")
    release = clock.now() + dt.timedelta(hours=2)
    page.fill("#id_name", "第一轮")
    page.select_option("#id_preset", "hz2022")
    page.fill("#id_packets_total", "2000")
    page.fill("#id_release_at", _local(release))
    page.fill("#id_claim_closes_at", _local(release + dt.timedelta(days=1)))
    page.fill("#id_valid_from", _local(release))
    page.fill("#id_valid_until", _local(release + dt.timedelta(days=7)))
    page.click("#round-form button[type=submit]")
    expect(page.locator(".list")).to_contain_text("2×满20减5 + 2×满40减10 + 满80减20")
    expect(page.locator(".stats")).to_contain_text("¥100,000.00")
    expect(page.locator("#cofund-rate")).to_have_text("20%")
    expect(page.locator("#campaign-area")).to_contain_text(
        f"{world.street.name}(全部社区)"
    )
    shot(page, "vouchers-issuer-campaign-with-round")
    campaign = Campaign.objects.get(name="东河社区惠民消费券")
    assert campaign.cofund_permille == 200
    round_ = Round.objects.get(campaign=campaign)
    assert round_.packets_total == 2000 and round_.packet_face_fen == 5000


@pytest.fixture(scope="module")
def live_server(request):
    """The live server with the rush gate in front, as `quarter serve` runs it.

    pytest-django's server runs Django's WSGI handler; production serves
    `quarter.vouchers.rushgate:application`, which answers the claim URL
    itself. The journeys must tap the real gate, not Django's fallback view.
    """
    server = start_live_server(rush_gate=True)
    yield server
    server.stop()


@pytest.fixture(params=["db", "redis"])
def claim_engine(request):
    """Each engine in turn behind the gate (the database engine is the default)."""
    if request.param == "db":
        yield DatabaseEngine()
        return
    import redis

    from quarter.vouchers.engines.redis_engine import RedisEngine

    url = request.getfixturevalue("redis_url")
    client = redis.Redis.from_url(url)
    client.config_set("appendonly", "yes")
    client.config_set("appendfsync", "always")
    engine = RedisEngine(url, client=client)
    use_engine(engine)
    yield engine
    use_engine(DatabaseEngine())


@pytest.fixture
def nginx_in_front(live_server, redis_url, nginx_front, tmp_path):
    """`quarter serve --front`'s nginx, with its configuration, in front of the
    live server: the URL a resident's phone would open."""
    import subprocess
    from types import SimpleNamespace

    from quarter.core.loopback import free_port
    from quarter.vouchers import front

    port = free_port()
    conf = front.write_config(
        tmp_path / "front",
        listen=f"127.0.0.1:{port}",
        app_port=live_server.thread.port,
        workers=1,
        redis_url=redis_url,
    )
    front.load_script(redis_url)
    nginx = subprocess.Popen(
        front.nginx_command(conf),
        env=front.nginx_env(dict(os.environ), redis_url),
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert nginx.poll() is None, nginx.stderr.read().decode()
            time.sleep(0.1)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}")
    nginx.terminate()
    nginx.wait(timeout=10)


def test_through_nginx_the_claim_button_is_answered_without_python(
    page, nginx_in_front, redis_url
):
    """The production front (`quarter serve --front`): the page comes from
    Django through nginx, the tap is answered by nginx itself, and the wallet
    shows the packet Redis acknowledged."""
    import redis

    from quarter.vouchers.engines.redis_engine import RedisEngine

    client = redis.Redis.from_url(redis_url)
    client.config_set("appendonly", "yes")
    client.config_set("appendfsync", "always")
    use_engine(RedisEngine(redis_url, client=client))
    try:
        world = World()
        resident = world.resident()
        round_ = _round_now(world, world.campaign(), release_in_s=4)
        login(page, nginx_in_front, resident.user)
        page.goto(f"{nginx_in_front.url}/vouchers/rounds/{round_.pk}/")
        ticket = page.locator("#rush").get_attribute("data-ticket")
        expect(page.locator("#claim")).to_be_enabled(timeout=15_000)
        gate_url = f"{nginx_in_front.url}/vouchers/rush/{round_.pk}/claim"
        with page.expect_response(lambda r: r.url == gate_url) as answer:
            page.click("#claim")
        response = answer.value
        assert response.request.headers.get("x-rush-ticket") == ticket
        assert response.headers.get("x-claim-front") == "nginx"
        assert response.status == 200 and response.json()["code"] == "ok"
        expect(page.locator("#result")).to_contain_text("领取成功")
        shot(page, "vouchers-claimed-through-nginx")
        page.goto(f"{nginx_in_front.url}/vouchers/wallet/")
        expect(page.locator("#wallet")).to_contain_text("入账中")
    finally:
        use_engine(DatabaseEngine())


def test_resident_taps_claim_and_the_ticket_goes_to_the_gate(
    page, live_server, claim_engine
):
    world = World()
    campaign = world.campaign()
    resident = world.resident()
    round_ = _round_now(world, campaign, release_in_s=6)
    login(page, live_server, resident.user)
    page.goto(f"{live_server.url}/vouchers/rounds/{round_.pk}/")
    expect(page.locator("#claim")).to_be_disabled()
    expect(page.locator("#countdown")).to_contain_text("距开抢")
    ticket = page.locator("#rush").get_attribute("data-ticket")
    assert ticket and resident.id_hash not in ticket
    shot(page, f"vouchers-countdown-{claim_engine.name}")
    expect(page.locator("#claim")).to_be_enabled(timeout=15_000)
    gate_url = f"{live_server.url}/vouchers/rush/{round_.pk}/claim"
    with page.expect_response(lambda r: r.url == gate_url) as answer:
        page.click("#claim")
    response = answer.value
    assert response.request.method == "POST"
    assert response.request.headers.get("x-rush-ticket") == ticket
    assert response.headers.get("x-claim-path") == "gate"  # the gate answered
    assert response.status == 200 and response.json()["code"] == "ok"
    expect(page.locator("#result")).to_contain_text("领取成功")
    shot(page, f"vouchers-claimed-{claim_engine.name}")
    if claim_engine.name == "redis":
        # Acknowledged by Redis; the wallet shows it before the persister ran.
        assert not Claim.objects.filter(round=round_).exists()
        page.goto(f"{live_server.url}/vouchers/wallet/")
        expect(page.locator("#wallet")).to_contain_text("入账中")
        shot(page, "vouchers-wallet-pending")
        from quarter.vouchers.engines.redis_engine import persist_pending

        persist_pending(client=claim_engine.client, round_ids=[round_.pk])
    claim = Claim.objects.get(round=round_, resident=resident)
    assert claim.claimed_at >= round_.release_at
    page.goto(f"{live_server.url}/vouchers/wallet/")
    expect(page.locator("#paycode")).to_be_visible()
    expect(page.locator("#wallet")).to_contain_text("满¥80.00减¥20.00")
    expect(page.locator("#wallet")).not_to_contain_text("入账中")
    shot(page, f"vouchers-wallet-{claim_engine.name}")


def test_sold_out_shows_time(page, live_server):
    world = World()
    round_ = _round_now(world, world.campaign(), release_in_s=2, packets=1)
    winner, late = world.resident(), world.resident()
    time.sleep(2.2)
    assert claim_packet(actor=winner.user, round_=Round.objects.get(pk=round_.pk)).ok
    login(page, live_server, late.user)
    page.goto(f"{live_server.url}/vouchers/rounds/{round_.pk}/")
    page.click("#claim")
    expect(page.locator("#result")).to_contain_text("抢完了")
    expect(page.locator("#result")).to_contain_text("已全部领完")
    shot(page, "vouchers-sold-out")


def test_merchant_redeems_45_bill_and_till_shows_35(page, browser, live_server):
    world = World()
    campaign = world.campaign()
    world.pledge(campaign)
    resident = world.resident()
    round_ = _round_now(world, campaign, release_in_s=1)
    time.sleep(1.2)
    claim_packet(actor=resident.user, round_=Round.objects.get(pk=round_.pk))
    phone = browser.new_context(viewport={"width": 412, "height": 915}, locale="zh-CN")
    resident_page = phone.new_page()
    login(resident_page, live_server, resident.user)
    resident_page.goto(f"{live_server.url}/vouchers/wallet/")
    code = resident_page.locator("#paycode").inner_text().strip()
    expect(
        resident_page.locator("#wallet-map .leaflet-interactive").first
    ).to_be_visible()
    shot(resident_page, "vouchers-wallet-paycode")
    phone.close()
    login(page, live_server, world.cashier)
    page.goto(f"{live_server.url}/vouchers/till/{world.shop.pk}/")
    page.fill("#id_code", code)
    page.fill("#id_bill", "45")
    page.click("#till-form button[type=submit]")
    expect(page.locator("#payable")).to_have_text("¥35.00")
    expect(page.locator("#quote")).to_contain_text("满¥40.00减¥10.00")
    shot(page, "vouchers-till-quote")
    page.click("#confirm")
    expect(page.locator("#redeemed")).to_contain_text("核销成功")
    expect(page.locator("#redeemed")).to_contain_text("¥35.00")
    shot(page, "vouchers-till-redeemed")
    r = Redemption.objects.get()
    assert (r.bill_fen, r.face_fen, r.payable_fen, r.status) == (
        4500,
        1000,
        3500,
        "accepted",
    )


def test_operator_reviews_flagged_redemption(page, live_server):
    world = World()
    campaign = world.campaign()
    world.pledge(campaign)
    staff_resident = world.resident()
    MerchantStaff.objects.create(
        merchant=world.shop, user=staff_resident.user, role="staff"
    )
    round_ = _round_now(world, campaign, release_in_s=1)
    time.sleep(1.2)
    claim_packet(actor=staff_resident.user, round_=Round.objects.get(pk=round_.pk))
    from quarter.vouchers import codes

    held = redemptions.redeem_voucher(
        actor=world.cashier,
        merchant=world.shop,
        bill_fen=4500,
        key="self-1",
        code=codes.wallet_code(staff_resident.pk, at=clock.now().timestamp()),
    )
    assert held.status == "held"
    login(page, live_server, world.operator_user)
    page.goto(f"{live_server.url}/vouchers/review/")
    expect(page.locator(f"#held-{held.pk}")).to_contain_text("店员核销自己的消费券")
    page.fill(f"#reason-{held.pk}", "店员自用券,按规定不予结算")
    shot(page, "vouchers-review-queue")
    page.click(f"#held-{held.pk} button[value=reject]")
    expect(page.locator(".messages")).to_contain_text("审核驳回")
    shot(page, "vouchers-review-done")
    held.refresh_from_db()
    assert held.status == "rejected" and held.review_reason.startswith("店员自用券")


def test_settlement_statement_downloads(page, live_server, tmp_path):
    world = World()
    campaign = world.campaign(cofund_permille=200)
    world.pledge(campaign)
    resident = world.resident()
    round_ = _round_now(world, campaign, release_in_s=1)
    time.sleep(1.2)
    claim_packet(actor=resident.user, round_=Round.objects.get(pk=round_.pk))
    from quarter.vouchers import codes

    redemptions.redeem_voucher(
        actor=world.cashier,
        merchant=world.shop,
        bill_fen=4500,
        key="s-1",
        code=codes.wallet_code(resident.pk, at=clock.now().timestamp()),
    )
    today = clock.local_now().date()
    clock.freeze(clock.now() + dt.timedelta(days=1))
    settlement.settle_day(actor=SYSTEM, business_date=today)
    clock.freeze(None)
    s = Settlement.objects.get()
    login(page, live_server, world.cashier)
    page.goto(f"{live_server.url}/vouchers/till/{world.shop.pk}/settlements/")
    # A ¥10 coupon, 20 % co-funded by the shop: the issuer pays ¥8.
    expect(page.locator("table")).to_contain_text("¥2.00")
    expect(page.locator("table")).to_contain_text("¥8.00")
    shot(page, "vouchers-settlements")
    with page.expect_download() as info:
        page.click(f"#xlsx-{s.pk}")
    path = tmp_path / "statement.xlsx"
    info.value.save_as(path)
    from openpyxl import load_workbook

    ws = load_workbook(path).active
    assert ws["A1"].value.endswith("消费券结算单")
    assert (ws["D3"].value, ws["E3"].value, ws["F3"].value, ws["H3"].value) == (
        45,
        10,
        2,
        8,
    )
    # The issuer records the bank transfer; the dashboard shows it paid.
    login(page, live_server, world.issuer_user)
    page.goto(f"{live_server.url}/vouchers/issuer/dashboard/")
    page.fill(
        f"form[action$='/settlements/{s.pk}/paid'] input[name=payment_ref]", "ICBC-0001"
    )
    page.click(f"form[action$='/settlements/{s.pk}/paid'] button[type=submit]")
    expect(page.locator(f"#paid-{s.pk}")).to_contain_text("ICBC-0001")
    shot(page, "vouchers-settlement-paid")
    s.refresh_from_db()
    assert s.status == "paid" and s.paid_by == world.issuer_user


def test_till_locks_a_pay_code_after_wrong_tries(page, live_server):
    world = World()
    campaign = world.campaign()
    world.pledge(campaign)
    resident = world.resident()
    round_ = _round_now(world, campaign, release_in_s=1)
    time.sleep(1.2)
    claim_packet(actor=resident.user, round_=Round.objects.get(pk=round_.pk))
    from quarter.vouchers import codes

    good = codes.wallet_code(resident.pk, at=clock.now().timestamp())
    wrong = good[:10] + f"{(int(good[10:]) + 1) % 10**8:08d}"
    login(page, live_server, world.cashier)
    page.goto(f"{live_server.url}/vouchers/till/{world.shop.pk}/")
    page.fill("#id_bill", "45")
    quote_url = f"{live_server.url}/vouchers/till/{world.shop.pk}/quote"
    for _ in range(5):
        page.fill("#id_code", codes.group_code(wrong))
        # Each answer is awaited: the text stays the same from the second
        # try on, and a good code sent before the fifth miss counted is let in.
        with page.expect_response(lambda r: r.url == quote_url):
            page.click("#till-form button[type=submit]")
        expect(page.locator("#till-out")).to_contain_text("券码无效或已过期")
    page.fill("#id_code", codes.group_code(good))
    page.click("#till-form button[type=submit]")
    expect(page.locator("#till-out")).to_contain_text("付款码因多次输错已临时锁定")
    shot(page, "vouchers-till-code-locked")
    assert not Redemption.objects.exists()
    login(page, live_server, world.operator_user)
    page.goto(f"{live_server.url}/vouchers/review/")
    expect(page.locator("#locked-codes")).to_contain_text(resident.real_name)
    expect(page.locator("#locked-codes")).to_contain_text("付款码5次输错,已锁定")


def test_issuer_dashboard_shows_charts_and_leverage(page, live_server):
    world = World()
    campaign = world.campaign()
    world.pledge(campaign)
    round_ = _round_now(world, campaign, release_in_s=1, packets=5)
    people = [world.resident() for _ in range(3)]
    time.sleep(1.2)
    from quarter.vouchers import codes

    for i, p in enumerate(people):
        claim_packet(actor=p.user, round_=Round.objects.get(pk=round_.pk))
        redemptions.redeem_voucher(
            actor=world.cashier,
            merchant=world.shop,
            bill_fen=[4500, 9000, 12000][i],
            key=f"d-{i}",
            code=codes.wallet_code(p.pk, at=clock.now().timestamp()),
        )
    login(page, live_server, world.issuer_user)
    page.goto(f"{live_server.url}/vouchers/issuer/dashboard/")
    # Subsidy ¥10 + ¥20 + ¥20 = ¥50 drove ¥255 of spending: 5.10×.
    expect(page.locator("#subsidy")).to_have_text("¥50.00")
    expect(page.locator("#driven")).to_have_text("¥255.00")
    expect(page.locator("#leverage")).to_have_text("5.10×")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart('lev') && Chart.getChart('curve')"
    )
    shot(page, "vouchers-dashboard")


def _camera_video(picture: bytes, path, *, width: int = 640, height: int = 480):
    """Write a few frames of a camera pointed at `picture` (PNG) as .y4m (4:2:0)."""
    import io

    from PIL import Image

    shown = Image.open(io.BytesIO(picture)).convert("L")
    shown.thumbnail((width - 80, height - 80))
    frame = Image.new("L", (width, height), 255)
    frame.paste(shown, ((width - shown.width) // 2, (height - shown.height) // 2))
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            out.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)
    return path


def test_till_scans_wallet_qr_with_camera(
    playwright_driver, browser, live_server, tmp_path
):
    """The QR the wallet shows, filmed by the till's camera, fills in the code."""
    from conftest import launch_with_camera

    world = World()
    campaign = world.campaign(cofund_permille=200)
    world.pledge(campaign)
    resident = world.resident()
    round_ = _round_now(world, campaign, release_in_s=1)
    time.sleep(1.2)
    claim_packet(actor=resident.user, round_=Round.objects.get(pk=round_.pk))
    phone = browser.new_context(viewport={"width": 412, "height": 915}, locale="zh-CN")
    resident_page = phone.new_page()
    login(resident_page, live_server, resident.user)
    resident_page.goto(f"{live_server.url}/vouchers/wallet/")
    code = resident_page.locator("#paycode").inner_text().strip()
    video = _camera_video(
        resident_page.locator(".qr svg").screenshot(), tmp_path / "camera.y4m"
    )
    phone.close()
    till = launch_with_camera(playwright_driver, video)
    try:
        page = till.new_context(
            viewport={"width": 412, "height": 915}, locale="zh-CN"
        ).new_page()
        page.set_default_timeout(15_000)
        login(page, live_server, world.cashier)
        page.goto(f"{live_server.url}/vouchers/till/{world.shop.pk}/")
        page.click("#scan")
        # The QR carries the long signed token, not the digits typed by hand.
        expect(page.locator("#id_code")).to_have_value(re.compile(r"^QW1[\w-]{48}$"))
        assert page.input_value("#id_code") != code.replace(" ", "")
        expect(page.locator("#scan-video")).to_be_hidden()
        page.fill("#id_bill", "45")
        page.click("#till-form button[type=submit]")
        expect(page.locator("#payable")).to_have_text("¥35.00")
        expect(page.locator("#quote")).to_contain_text("其中本店配资 ¥2.00")
        shot(page, "vouchers-till-scanned")
        page.click("#confirm")
        expect(page.locator("#cofund-share")).to_contain_text("发券机构支付 ¥8.00")
    finally:
        till.close()
