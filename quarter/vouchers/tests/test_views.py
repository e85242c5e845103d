"""Pages through the test client: forms validate in Chinese, flows work end to end."""

import datetime as dt
import re

import pytest

from quarter.core import clock
from quarter.vouchers import codes
from quarter.vouchers.models import Campaign, Claim, Redemption, Round, Settlement
from quarter.vouchers.tests.factories import at, tap


def _local(when):
    return when.astimezone(clock.SHANGHAI).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_issuer_creates_campaign_and_2022_round(world, db_engine, client_for):
    c = client_for(world.issuer_user)
    resp = c.post(
        "/vouchers/issuer/",
        {"name": "东河消费券", "budget": "100000", "max_per_merchant_per_day": "1"},
    )
    campaign = Campaign.objects.get(name="东河消费券")
    assert resp.status_code == 302 and campaign.budget_fen == 10_000_000
    release = clock.now() + dt.timedelta(hours=1)
    resp = c.post(
        f"/vouchers/issuer/campaigns/{campaign.pk}/",
        {
            "name": "第一轮",
            "preset": "hz2022",
            "packets_total": "1000",
            "release_at": _local(release),
            "claim_closes_at": _local(release + dt.timedelta(days=1)),
            "valid_from": _local(release),
            "valid_until": _local(release + dt.timedelta(days=7)),
            "person_limit": "round",
        },
    )
    assert resp.status_code == 302
    round_ = Round.objects.get(campaign=campaign)
    assert round_.packet_face_fen == 5000 and round_.coupons.count() == 3
    page = c.get(f"/vouchers/issuer/campaigns/{campaign.pk}/").content.decode()
    assert "满¥20.00减¥5.00" not in page  # described in yuan words, not raw fen
    assert "2×满20减5 + 2×满40减10 + 满80减20" in page


def test_issuer_round_form_bad_input_shows_chinese_and_writes_nothing(
    world, db_engine, client_for
):
    campaign = world.campaign(budget_fen=100_000)
    c = client_for(world.issuer_user)
    release = clock.now() + dt.timedelta(hours=1)
    base = {
        "name": "第一轮",
        "preset": "hz2022",
        "packets_total": "1000",
        "release_at": _local(release),
        "claim_closes_at": _local(release + dt.timedelta(days=1)),
        "valid_from": _local(release),
        "valid_until": _local(release + dt.timedelta(days=7)),
        "person_limit": "round",
    }
    page = c.post(f"/vouchers/issuer/campaigns/{campaign.pk}/", base).content.decode()
    assert "预算不足" in page
    bad_times = {
        **base,
        "packets_total": "2",
        "claim_closes_at": _local(release - dt.timedelta(hours=1)),
    }
    page = c.post(
        f"/vouchers/issuer/campaigns/{campaign.pk}/", bad_times
    ).content.decode()
    assert "领取截止必须晚于开抢时间" in page
    custom = {**base, "packets_total": "2", "preset": "custom", "custom": "满5减10"}
    page = c.post(f"/vouchers/issuer/campaigns/{campaign.pk}/", custom).content.decode()
    assert "使用门槛" in page and "不能低于面值" in page
    assert Round.objects.count() == 0


def test_resident_claims_sees_wallet_and_sold_out(world, db_engine, client_for):
    round_ = world.round(world.campaign(), packets=1, preset="hz2022")
    first, second = world.resident(), world.resident()
    c = client_for(first.user)
    clock.freeze(round_.release_at - dt.timedelta(seconds=5))
    early = tap(c, round_)
    assert early.status_code == 409 and early.json()["code"] == "round_not_released"
    at(round_)
    assert tap(c, round_).json()["ok"] is True
    wallet = c.get("/vouchers/wallet/").content.decode()
    assert "满¥40.00减¥10.00" in wallet
    code_html = c.get("/vouchers/wallet/code").content.decode()
    assert "<svg" in code_html
    shown = re.search(r'data-code="([0-9 ]+)"', code_html).group(1)
    parsed = codes.parse_wallet_code(shown, at=clock.now().timestamp())
    assert parsed.resident_id == first.pk
    c2 = client_for(second.user)
    data = tap(c2, round_).json()
    assert data["ok"] is False and data["message"] == "抢完了" and data["sold_out_at"]
    assert "抢完了" in c2.get(f"/vouchers/rounds/{round_.pk}/").content.decode()
    assert Claim.objects.count() == 1


def test_till_quote_and_redeem_45_bill_pays_35(world, db_engine, client_for):
    campaign = world.campaign()
    round_ = world.round(campaign, packets=5, preset="hz2022")
    world.pledge(campaign)
    resident = world.resident()
    at(round_)
    tap(client_for(resident.user), round_)
    c = client_for(world.cashier)
    code = codes.wallet_code(resident.pk, at=clock.now().timestamp())
    quote = c.post(
        f"/vouchers/till/{world.shop.pk}/quote", {"code": code, "bill": "45"}
    )
    assert "¥35.00" in quote.content.decode()
    for _ in range(2):  # a double tap on confirm redeems once
        done = c.post(
            f"/vouchers/till/{world.shop.pk}/redeem",
            {"code": code, "bill": "45", "key": "tap-1"},
        )
        assert "核销成功" in done.content.decode()
    assert Redemption.objects.count() == 1
    bad = c.post(f"/vouchers/till/{world.shop.pk}/quote", {"code": code, "bill": "abc"})
    assert "请输入金额" in bad.content.decode()


def test_settlement_downloads_for_merchant_only(world, db_engine, client_for):
    campaign = world.campaign()
    round_ = world.round(campaign, packets=5, preset="hz2022")
    world.pledge(campaign)
    resident = world.resident()
    at(round_)
    tap(client_for(resident.user), round_)
    from quarter.vouchers.services import redemptions, settlement

    redemptions.redeem_voucher(
        actor=world.cashier,
        merchant=world.shop,
        bill_fen=4500,
        key="a",
        code=codes.wallet_code(resident.pk, at=clock.now().timestamp()),
    )
    day = clock.local_now().date()
    clock.freeze(clock.now() + dt.timedelta(days=1))
    settlement.settle_day(actor=world.issuer_user, business_date=day)
    s = Settlement.objects.get()
    c = client_for(world.cashier)
    resp = c.get(f"/vouchers/settlements/{s.pk}.csv")
    assert resp.status_code == 200 and "45.00" in resp.content.decode("utf-8-sig")
    resp = c.get(f"/vouchers/settlements/{s.pk}.xlsx")
    assert resp.content[:2] == b"PK"
    other = client_for(resident.user)
    assert other.get(f"/vouchers/settlements/{s.pk}.csv").status_code == 403


def test_dashboard_renders_for_issuer(world, db_engine, client_for):
    campaign = world.campaign()
    round_ = world.round(campaign, packets=2)
    at(round_)
    tap(client_for(world.resident().user), round_)
    page = (
        client_for(world.issuer_user)
        .get("/vouchers/issuer/dashboard/")
        .content.decode()
    )
    assert "拉动比" in page and "chart-data" in page
    assert (
        client_for(world.cashier).get("/vouchers/issuer/dashboard/").status_code == 403
    )


def test_issuer_campaign_form_cofunding_percent(world, db_engine, client_for):
    c = client_for(world.issuer_user)
    form = {"name": "配资券", "budget": "5000", "max_per_merchant_per_day": "1"}
    resp = c.post("/vouchers/issuer/", {**form, "cofund_percent": "150"})
    assert resp.status_code == 400 and not Campaign.objects.exists()
    assert "100" in resp.content.decode()  # the field's bound is shown
    resp = c.post("/vouchers/issuer/", {**form, "cofund_percent": "12.5"})
    assert resp.status_code == 302
    assert Campaign.objects.get(name="配资券").cofund_permille == 125
