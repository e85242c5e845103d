"""The till's quote and confirm answer bad input with 400s (page and API), never 500."""

from __future__ import annotations

import pytest

from quarter.card import tokens
from quarter.card.models import Visit
from quarter.core import clock


@pytest.fixture
def till(world, client):
    world.shop.card_discount_permille = 550
    world.shop.save()
    client.force_login(world.cashier)
    return world, client


def _qr(resident):
    return tokens.issue(
        resident_id=resident.pk,
        household_id=resident.household_id,
        at=clock.now().timestamp(),
    )


def test_quote_page_answers_bad_input_with_400_and_the_reason(till):
    world, client = till
    url = f"/vouchers/till/{world.shop.pk}/quote"
    resident = world.resident()
    cases = [
        ({"code": _qr(resident), "bill": "abc"}, "金额"),
        ({"code": _qr(resident)}, "必填"),
        ({"code": "QC1" + "A" * 40, "bill": "60"}, "无法识别的大家卡二维码"),
        ({"code": "DJ0000000000", "bill": "60"}, "家庭卡请输入6位密码"),
    ]
    for data, reason in cases:
        response = client.post(url, data)
        assert response.status_code == 400, data
        assert reason in response.content.decode(), data
    ok = client.post(url, {"code": _qr(resident), "bill": "60"})
    assert ok.status_code == 200 and "¥33.00" in ok.content.decode()


def test_confirm_page_checks_the_quoted_amount(till):
    world, client = till
    url = f"/vouchers/till/{world.shop.pk}/redeem"
    resident = world.resident()
    base = {"code": _qr(resident), "bill": "60", "key": "k1"}
    assert client.post(url, {**base, "expected": "-1"}).status_code == 400
    changed = client.post(url, {**base, "expected": "3000"})
    assert changed.status_code == 409 and "优惠已变化" in changed.content.decode()
    assert Visit.objects.count() == 0
    done = client.post(url, {**base, "expected": "3300"})
    assert done.status_code == 200 and "收款成功" in done.content.decode()
    assert Visit.objects.get().payable_fen == 3300


def test_api_quote_and_confirm_validate_input(till):
    world, client = till
    resident = world.resident()
    quote = f"/api/card/till/{world.shop.pk}/quote"
    confirm = f"/api/card/till/{world.shop.pk}/confirm"

    def post(url, body):
        return client.post(url, body, content_type="application/json")

    missing = post(quote, {"code": _qr(resident)})
    assert missing.status_code == 422 and missing.json()["field"] == "bill_fen"
    assert post(quote, {"code": _qr(resident), "bill_fen": 0}).status_code == 422
    bad = post(quote, {"code": "QC1" + "A" * 40, "bill_fen": 6000})
    assert bad.status_code == 400
    assert bad.json()["code"] == "card_code_invalid" and bad.json()["field"] == "code"
    good = post(quote, {"code": _qr(resident), "bill_fen": 6000}).json()
    assert (good["payable_fen"], good["card_discount_fen"]) == (3300, 2700)
    body = {"code": _qr(resident), "bill_fen": 6000, "key": "a1"}
    assert post(confirm, body).status_code == 422  # the quoted amount is required
    paid = post(confirm, {**body, "expected_payable_fen": 3300})
    assert paid.status_code == 200 and paid.json()["method"] == "card"
    refund = client.post(
        f"/api/card/visits/{paid.json()['id']}/refund",
        {"amount_fen": 99999},
        content_type="application/json",
    )
    assert refund.status_code == 400
    assert refund.json()["code"] == "refund_amount_invalid"


def test_card_code_is_the_holders_own_and_fresh(world, client):
    resident = world.resident()
    client.force_login(resident.user)
    data = client.get("/card/code").json()
    read = tokens.read(data["token"], at=clock.now().timestamp())
    assert (read.state, read.resident_id) == ("ok", resident.pk)
    assert data["qr"].startswith("data:image/svg+xml")
    client.force_login(world.cashier)
    assert client.get("/card/code").status_code == 403
