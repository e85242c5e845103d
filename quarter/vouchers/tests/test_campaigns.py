"""Campaigns and rounds: presets, validation, budget, changes and stops."""

import datetime as dt

import pytest

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.ledger import selectors as ledger
from quarter.vouchers import accounts
from quarter.vouchers.models import Campaign, Round, RoundCoupon, VoucherEvent
from quarter.vouchers.services import campaigns
from quarter.vouchers.services.campaigns import CouponSpec


def test_create_campaign_funds_budget_from_treasury(world):
    campaign = world.campaign(budget_fen=94_100_000)
    assert ledger.get_balance(code=accounts.unallocated(campaign.pk).code) == 94_100_000
    assert (
        ledger.get_balance(code=accounts.treasury(world.issuer.pk).code) == -94_100_000
    )
    assert VoucherEvent.objects.filter(
        kind="campaign_created", campaign=campaign
    ).exists()


@pytest.mark.parametrize(
    "preset,face,coupons",
    [
        ("hz2020_p1", 5000, [(1000, 4000, 5)]),
        ("hz2020_p2", 10000, [(2000, 10000, 1), (3500, 20000, 1), (4500, 30000, 1)]),
        ("hz2022", 5000, [(500, 2000, 2), (1000, 4000, 2), (2000, 8000, 1)]),
    ],
)
def test_create_round_with_hangzhou_preset(world, preset, face, coupons):
    campaign = world.campaign()
    round_ = world.round(campaign, packets=100, preset=preset)
    assert round_.packet_face_fen == face
    assert [
        (c.face_fen, c.threshold_fen, c.count) for c in round_.coupons.all()
    ] == coupons
    assert (
        ledger.get_balance(code=accounts.unclaimed(campaign.pk, round_.pk).code)
        == 100 * face
    )


def test_create_round_over_budget_refused_and_writes_nothing(world):
    campaign = world.campaign(budget_fen=100_000)  # ¥1,000 = 20 packets of ¥50
    world.round(campaign, packets=15)
    with pytest.raises(DomainError) as exc:
        world.round(campaign, packets=6, name="第二轮")
    assert exc.value.code == "budget_exceeded"
    assert "预算不足" in exc.value.message
    assert Round.objects.filter(campaign=campaign).count() == 1
    assert (
        ledger.get_balance(code=accounts.unallocated(campaign.pk).code)
        == 100_000 - 75_000
    )


@pytest.mark.parametrize(
    "coupons,code,field",
    [
        ([CouponSpec(1000, 500, 1)], "threshold_below_face", "coupons.0.threshold_fen"),
        ([CouponSpec(0, 4000, 1)], "amount_not_positive", "coupons.0.face_fen"),
        ([CouponSpec(1000, 4000, 0)], "amount_not_positive", "coupons.0.count"),
    ],
)
def test_create_round_bad_coupons_refused(world, coupons, code, field):
    campaign = world.campaign()
    with pytest.raises(DomainError) as exc:
        world.round(campaign, coupons=coupons)
    assert (exc.value.code, exc.value.field) == (code, field)
    assert Round.objects.count() == 0 and RoundCoupon.objects.count() == 0


def test_create_round_empty_packet_refused(world):
    campaign = world.campaign()
    with pytest.raises(DomainError) as exc:
        campaigns.create_round(
            actor=world.issuer_user,
            campaign=campaign,
            name="空",
            packets_total=5,
            coupons=[],
            release_at=clock.now() + dt.timedelta(hours=1),
            claim_closes_at=clock.now() + dt.timedelta(hours=2),
            valid_from=clock.now() + dt.timedelta(hours=1),
            valid_until=clock.now() + dt.timedelta(days=2),
        )
    assert exc.value.code == "packet_empty"


@pytest.mark.parametrize(
    "field,shift",
    [
        ("claim_closes_at", dt.timedelta(minutes=-10)),
        ("valid_until", dt.timedelta(minutes=-10)),
    ],
)
def test_create_round_times_out_of_order_refused(world, field, shift):
    campaign = world.campaign()
    release = clock.now() + dt.timedelta(minutes=5)
    times = {
        "claim_closes_at": release + dt.timedelta(hours=1),
        "valid_from": release,
        "valid_until": release + dt.timedelta(days=3),
    }
    times[field] = release + shift
    with pytest.raises(DomainError) as exc:
        campaigns.create_round(
            actor=world.issuer_user,
            campaign=campaign,
            name="x",
            release_at=release,
            packets_total=5,
            coupons=campaigns.coupons_from_preset("hz2022"),
            **times,
        )
    assert exc.value.code == "times_not_ordered"
    assert exc.value.field == field
    assert Round.objects.count() == 0


def test_create_round_release_in_past_refused(world):
    campaign = world.campaign()
    with pytest.raises(DomainError) as exc:
        world.round(campaign, release_in=dt.timedelta(minutes=-1))
    assert (exc.value.code, exc.value.field) == ("times_not_ordered", "release_at")


def test_create_campaign_bad_input_refused(world):
    with pytest.raises(DomainError) as exc:
        campaigns.create_campaign(actor=world.issuer_user, name="", budget_fen=100)
    assert exc.value.code == "name_required"
    with pytest.raises(DomainError) as exc:
        campaigns.create_campaign(actor=world.issuer_user, name="x", budget_fen=-5)
    assert exc.value.code == "amount_not_positive"
    assert Campaign.objects.count() == 0


def test_create_campaign_non_issuer_refused(world):
    with pytest.raises(DomainError) as exc:
        campaigns.create_campaign(actor=world.cashier, name="x", budget_fen=100)
    assert exc.value.code == "not_issuer"


def test_change_round_future_records_reason_and_moves_budget(world):
    campaign = world.campaign(budget_fen=1_000_000)
    round_ = world.round(campaign, packets=10)  # 10 × ¥50
    changed = campaigns.change_round(
        actor=world.issuer_user,
        round_=round_,
        reason="根据市场反馈加量",
        packets_total=20,
        coupons=campaigns.coupons_from_preset("hz2022"),
    )
    assert changed.packets_total == 20 and changed.packet_face_fen == 5000
    assert (
        ledger.get_balance(code=accounts.unclaimed(campaign.pk, round_.pk).code)
        == 100_000
    )
    event = VoucherEvent.objects.get(kind="round_changed")
    assert event.reason == "根据市场反馈加量"
    assert event.before["packets_total"] == 10 and event.after["packets_total"] == 20
    campaigns.change_round(
        actor=world.issuer_user, round_=changed, reason="减量", packets_total=4
    )
    assert (
        ledger.get_balance(code=accounts.unclaimed(campaign.pk, round_.pk).code)
        == 20_000
    )
    assert ledger.get_balance(code=accounts.unallocated(campaign.pk).code) == 980_000


def test_change_round_without_reason_refused(world):
    round_ = world.round(world.campaign())
    with pytest.raises(DomainError) as exc:
        campaigns.change_round(
            actor=world.issuer_user, round_=round_, reason="", packets_total=3
        )
    assert exc.value.code == "reason_required"
    round_.refresh_from_db()
    assert round_.packets_total == 10


def test_change_round_after_release_refused_stop_allowed(world, db_engine):
    campaign = world.campaign()
    round_ = world.round(campaign, packets=10)
    clock.freeze(round_.release_at + dt.timedelta(seconds=1))
    with pytest.raises(DomainError) as exc:
        campaigns.change_round(
            actor=world.issuer_user, round_=round_, reason="改面值", packets_total=11
        )
    assert exc.value.code == "round_already_open"
    stopped = campaigns.stop_round(
        actor=world.issuer_user, round_=round_, reason="发现漏洞"
    )
    assert stopped.status == "stopped"
    assert ledger.get_balance(code=accounts.unclaimed(campaign.pk, round_.pk).code) == 0
    assert (
        ledger.get_balance(code=accounts.unallocated(campaign.pk).code)
        == campaign.budget_fen
    )
    with pytest.raises(DomainError) as exc:
        campaigns.stop_round(actor=world.issuer_user, round_=stopped, reason="再停")
    assert exc.value.code == "round_not_stoppable"


def test_lottery_round_with_weekly_limit_refused(world, db_engine):
    campaign = world.campaign()
    with pytest.raises(DomainError) as exc:
        world.round(campaign, mode="lottery", person_limit="week")
    assert exc.value.field == "person_limit"
    assert not Round.objects.exists()
