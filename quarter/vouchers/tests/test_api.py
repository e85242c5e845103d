"""The JSON API: one error shape, money in fen, idempotent redemption."""

import json

import pytest
from django.test import Client
from ninja import NinjaAPI
from ninja.testing import TestClient

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.vouchers import codes
from quarter.vouchers.api import router
from quarter.vouchers.models import Claim, Redemption, Round
from quarter.vouchers.services.claims import claim_packet
from quarter.vouchers.tests.factories import at


@pytest.fixture
def api_client():
    api = NinjaAPI(urls_namespace="vouchers-test")
    api.add_router("/", router)

    @api.exception_handler(DomainError)
    def _domain(request, exc):
        return api.create_response(request, exc.as_dict(), status=exc.status_code)

    return TestClient(api)


def test_api_redeem_idempotent_and_errors(world, db_engine, api_client):
    campaign = world.campaign()
    round_ = world.round(campaign, packets=3, preset="hz2022")
    world.pledge(campaign)
    resident = world.resident()
    at(round_)
    claim_packet(actor=resident.user, round_=Round.objects.get(pk=round_.pk))
    code = codes.wallet_code(resident.pk, at=clock.now().timestamp())
    body = {"code": code, "bill_fen": 4500, "key": "api-1"}
    url = f"/vouchers/till/{world.shop.pk}/redeem"
    first = api_client.post(url, json=body, user=world.cashier)
    assert first.status_code == 200 and first.json()["payable_fen"] == 3500
    assert first.json()["payable_yuan"] == "¥35.00"
    again = api_client.post(url, json=body, user=world.cashier)
    assert again.json()["id"] == first.json()["id"] and Redemption.objects.count() == 1
    other = api_client.post(
        url, json={**body, "key": "api-2", "bill_fen": 100}, user=world.cashier
    )
    assert other.status_code == 400
    assert other.json()["code"] in ("no_applicable_voucher", "daily_cap_reached")
    assert json.dumps(other.json(), ensure_ascii=False).count("message") == 1
    stranger = api_client.post(url, json={**body, "key": "api-3"}, user=resident.user)
    assert stranger.status_code == 403 and stranger.json()["code"] == "shop_not_owned"


def test_api_rounds_list_shows_packet(world, db_engine, api_client):
    world.round(world.campaign(), packets=3, preset="hz2020_p2")
    data = api_client.get("/vouchers/rounds").json()
    assert data[0]["packet_face_fen"] == 10000
    assert [c["label"] for c in data[0]["coupons"]] == [
        "满¥100.00减¥20.00",
        "满¥200.00减¥35.00",
        "满¥300.00减¥45.00",
    ]


def test_api_claim_requires_login_and_csrf(world, db_engine):
    round_ = world.round(world.campaign(), packets=3)
    client = Client(enforce_csrf_checks=True)
    resp = client.post(f"/api/vouchers/rounds/{round_.pk}/claim")
    assert resp.status_code in (401, 403)


def test_api_claim_behind_a_proxy_limits_each_client_address(
    world, db_engine, settings, monkeypatch
):
    settings.QUARTER_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    monkeypatch.setenv("QUARTER_CLAIM_IP_LIMIT", "1")
    round_ = world.round(world.campaign(), packets=5)
    at(round_)
    answers = []
    for real_ip in ("10.8.0.1", "10.8.0.2", "10.8.0.1"):
        client = Client()
        client.force_login(world.resident().user)
        answer = client.post(
            f"/api/vouchers/rounds/{round_.pk}/claim",
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_REAL_IP=real_ip,
        )
        answers.append(answer.json()["code"])
    assert answers == ["ok", "ok", "rate_limited"]
    assert Claim.objects.filter(round=round_).count() == 2


def test_api_quote_and_redeem_show_the_shops_cofunded_share(
    world, db_engine, api_client
):
    campaign = world.campaign(cofund_permille=250)
    round_ = world.round(campaign, packets=3, preset="hz2022")
    world.pledge(campaign)
    resident = world.resident()
    at(round_)
    claim_packet(actor=resident.user, round_=Round.objects.get(pk=round_.pk))
    code = codes.wallet_code(resident.pk, at=clock.now().timestamp())
    till = f"/vouchers/till/{world.shop.pk}"
    quote = api_client.post(
        f"{till}/quote", json={"code": code, "bill_fen": 8000}, user=world.cashier
    ).json()
    assert (quote["face_fen"], quote["cofund_fen"]) == (2000, 500)
    done = api_client.post(
        f"{till}/redeem",
        json={"code": code, "bill_fen": 8000, "key": "co-1"},
        user=world.cashier,
    ).json()
    assert (done["face_fen"], done["cofund_fen"], done["payable_fen"]) == (
        2000,
        500,
        6000,
    )


def test_api_claim_answers_as_the_claim_button_does(world, engine, api_client):
    """Same codes, statuses and messages as the gate, on both engines."""
    import datetime as dt

    round_ = world.round(world.campaign(), packets=1)
    first, late = world.resident(), world.resident()
    url = f"/vouchers/rounds/{round_.pk}/claim"
    clock.freeze(round_.release_at - dt.timedelta(seconds=1))
    early = api_client.post(url, user=first.user)
    at(round_)
    taps = [early] + [api_client.post(url, user=u) for u in (first.user, first.user)]
    taps.append(api_client.post(url, user=late.user))
    assert [(r.status_code, r.json()["code"]) for r in taps] == [
        (409, "round_not_released"),
        (200, "ok"),
        (200, "already_claimed"),
        (200, "packet_sold_out"),
    ]
    assert early.json()["message"] == "还没到开抢时间"
    assert taps[1].json()["message"] == "领取成功,已放入卡包"
    assert taps[3].json()["sold_out_at"] and taps[3].json()["ok"] is False
