"""Referral pages: the link binds at sign-up, forms refuse bad input with 400."""

from __future__ import annotations

import datetime as dt

import pytest

from quarter.core import clock
from quarter.core.actors import SYSTEM
from quarter.ledger import selectors as ledger
from quarter.people import sms
from quarter.referrals import accounts, services
from quarter.referrals.models import Promotion, Referral, Withdrawal
from quarter.referrals.tests.factories import bind, opt_in, pay
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clock.freeze(dt.datetime(2026, 12, 2, 10, 0))
    return World()


def _sign_up(client, phone: str):
    client.post("/accounts/signup/", {"phone": phone, "send_code": "1"})
    return client.post(
        "/accounts/signup/",
        {"phone": phone, "code": sms.last_code(phone), "password": "Lin-Ju-2026!"},
    )


def test_signing_up_after_the_link_binds_the_new_resident_once(world, client):
    a = world.resident()
    code = services.get_or_create_link(actor=a.user).code
    page = client.get(f"/r/{code.lower()}/")
    assert page.status_code == 200
    assert a.real_name[0] + "*" in page.content.decode()
    resp = _sign_up(client, "13912345678")
    assert resp.status_code == 302
    referral = Referral.objects.get(referee__phone="13912345678")
    assert referral.referrer == a
    follow = client.get(resp["Location"])
    assert "您已接受邻居" in follow.content.decode()
    # A second visit to another link changes nothing for an existing account.
    b = world.resident()
    other = services.get_or_create_link(actor=b.user).code
    assert "邀请只对新注册" in client.get(f"/r/{other}/").content.decode()
    assert Referral.objects.get(referee__phone="13912345678").referrer == a


def test_signing_up_without_a_link_binds_nobody(world, client):
    assert _sign_up(client, "13912340000").status_code == 302
    assert not Referral.objects.exists()


def test_unknown_code_page_is_404_with_a_sentence(world, client):
    resp = client.get("/r/NOSUCH99/")
    assert resp.status_code == 404
    assert "邀请码不存在" in resp.content.decode()


def test_resident_page_shows_count_balances_and_only_masked_referees(world, client):
    a, b = world.resident(), world.resident()
    bind(a, b)
    opt_in(world, rate_permille=30)
    pay(world, b, bill_fen=6000, card_discount_fen=2700)
    client.force_login(a.user)
    html = client.get("/referrals/me/").content.decode()
    assert 'id="referee-count">1 人' in html
    assert "¥0.99" in html  # pending
    assert b.real_name not in html and b.real_name[0] + "*" in html
    assert a.referral_link.code in html and "<svg" in html


def test_unverified_resident_sees_no_link(world, client):
    r = world.resident(verified=False)
    client.force_login(r.user)
    html = client.get("/referrals/me/").content.decode()
    assert "完成实名认证后即可邀请邻居" in html and "<svg" not in html


def test_withdraw_refuses_bad_and_excessive_amounts_with_400(world, client):
    a, b = world.resident(), world.resident()
    bind(a, b)
    opt_in(world, rate_permille=100)
    pay(world, b, bill_fen=5000)
    clock.freeze(clock.now() + dt.timedelta(days=8))
    services.release_rewards(actor=SYSTEM)
    client.force_login(a.user)
    resp = client.post("/referrals/me/withdraw", {"amount": "5,0", "key": "k"})
    assert resp.status_code == 400 and "请输入金额" in resp.content.decode()
    resp = client.post("/referrals/me/withdraw", {"amount": "6", "key": "k"})
    assert resp.status_code == 400 and "可提现余额只有 ¥5.00" in resp.content.decode()
    assert not Withdrawal.objects.exists()
    resp = client.post("/referrals/me/withdraw", {"amount": "5", "key": "k"})
    assert resp.status_code == 302
    assert Withdrawal.objects.get().amount_fen == 500


def test_merchant_sets_rate_in_percent_and_bad_rates_are_400(world, client):
    client.force_login(world.cashier)
    url = f"/referrals/merchant/{world.shop.pk}/promotion"
    for bad, reason in (("abc", "请填写百分比"), ("25", "0.1% 到 20%"), ("", "请填写")):
        resp = client.post(url, {"rate": bad})
        assert resp.status_code == 400 and reason in resp.content.decode(), bad
    assert not Promotion.objects.exists()
    assert client.post(url, {"rate": "2.5"}).status_code == 302
    assert Promotion.objects.get().rate_permille == 25
    html = client.get(f"/referrals/merchant/{world.shop.pk}/").content.decode()
    assert "推广比例 2.5%" in html and "预算已用完" in html  # no budget yet


def test_operator_records_topup_and_decides_withdrawals(world, client):
    services.set_promotion(actor=world.cashier, merchant=world.shop, rate_permille=30)
    client.force_login(world.operator_user)
    page = client.get("/referrals/operator/")
    assert page.status_code == 200 and world.shop.name in page.content.decode()
    url = f"/referrals/operator/merchants/{world.shop.pk}/topup"
    p = f"m{world.shop.pk}-"
    resp = client.post(url, {p + "amount": "-5", p + "note": "x", p + "key": "a"})
    assert resp.status_code == 400 and "金额" in resp.content.decode()
    resp = client.post(
        url, {p + "amount": "300", p + "note": "转账 8842", p + "key": "a"}
    )
    assert resp.status_code == 302
    assert ledger.get_balance(code=accounts.budget(world.shop.pk).code) == 30_000
    assert Promotion.objects.get().state == "active"

    a, b = world.resident(), world.resident()
    bind(a, b)
    pay(world, b, bill_fen=10_000)
    clock.freeze(clock.now() + dt.timedelta(days=8))
    services.release_rewards(actor=SYSTEM)
    w = services.request_withdrawal(actor=a.user, amount_fen=300, key="k")
    url = f"/referrals/operator/withdrawals/{w.pk}/decide"
    q = f"w{w.pk}-"
    resp = client.post(url, {q + "decision": "reject", q + "reason": ""})
    assert resp.status_code == 400 and "驳回时请填写原因" in resp.content.decode()
    resp = client.post(url, {q + "decision": "maybe"})
    assert resp.status_code == 400
    assert client.post(url, {q + "decision": "approve"}).status_code == 302
    w.refresh_from_db()
    assert w.status == "approved" and w.decided_by == world.operator_user
    html = client.get("/referrals/operator/").content.decode()
    assert a.real_name not in html and a.real_name[0] + "*" in html  # top referrer
