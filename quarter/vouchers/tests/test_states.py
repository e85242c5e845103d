"""The declared state machines: every pair of states, the tables in the docstring.

Each model's `_transition()` must allow exactly the pairs its table lists and
refuse every other pair (self-loops included) with one error code, leaving the
state as it was. The services then refuse what the tables refuse.
"""

import datetime as dt
import itertools
from pathlib import Path

import pytest

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.vouchers import events, models
from quarter.vouchers.models import (
    CLAIM_TRANSITIONS,
    REDEMPTION_TRANSITIONS,
    ROUND_TRANSITIONS,
    SETTLEMENT_TRANSITIONS,
    VOUCHER_TRANSITIONS,
    Claim,
    Phase,
    Redemption,
    Round,
    Settlement,
    Voucher,
    VoucherEvent,
    VoucherEventKind,
)
from quarter.vouchers.services import campaigns, lottery, redemptions, settlement
from quarter.vouchers.services.claims import claim_packet
from quarter.vouchers.tests.factories import at

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
REFUSED = "state_transition_not_allowed"


def _round_in(phase: str) -> Round:
    hour = dt.timedelta(hours=1)
    r = Round(release_at=NOW - hour, claim_closes_at=NOW + hour)
    if phase == Phase.SCHEDULED:
        r.release_at, r.claim_closes_at = NOW + hour, NOW + 2 * hour
    elif phase == Phase.CLOSED:
        r.release_at, r.claim_closes_at = NOW - 2 * hour, NOW - hour
    elif phase == Phase.STOPPED:
        r.status = Round.Status.STOPPED
    assert r.phase(NOW) == phase
    return r


def _pairs(machine):
    return list(itertools.product(machine.states, repeat=2))


def test_every_machine_covers_every_state_of_its_model():
    assert set(ROUND_TRANSITIONS.states) == set(Phase.values)
    assert set(CLAIM_TRANSITIONS.states) == set(Claim.Status.values)
    assert set(VOUCHER_TRANSITIONS.states) == set(Voucher.Status.values)
    assert set(REDEMPTION_TRANSITIONS.states) == set(Redemption.Status.values)
    assert set(SETTLEMENT_TRANSITIONS.states) == set(Settlement.Status.values)


@pytest.mark.parametrize("source,target", _pairs(ROUND_TRANSITIONS))
def test_round_transition_every_pair(source, target):
    r = _round_in(source)
    if ROUND_TRANSITIONS.allowed(source, target):
        r._transition(target, now=NOW)
        assert r.phase(NOW) == target
    else:
        with pytest.raises(DomainError) as exc:
            r._transition(target, now=NOW)
        assert exc.value.code == REFUSED
        assert exc.value.params == {"machine": "round", "from": source, "to": target}
        assert r.phase(NOW) == source


@pytest.mark.parametrize(
    "model,machine,source,target",
    [
        (model, machine, s, t)
        for model, machine in (
            (Claim, CLAIM_TRANSITIONS),
            (Voucher, VOUCHER_TRANSITIONS),
            (Redemption, REDEMPTION_TRANSITIONS),
            (Settlement, SETTLEMENT_TRANSITIONS),
        )
        for s, t in _pairs(machine)
    ],
)
def test_status_transition_every_pair(model, machine, source, target):
    obj = model(status=source)
    call = (
        (lambda: obj._transition(target, now=NOW))
        if model is Voucher
        else (lambda: obj._transition(target))
    )
    if machine.allowed(source, target):
        assert "status" in call()
        assert obj.status == target
    else:
        with pytest.raises(DomainError) as exc:
            call()
        assert exc.value.code == REFUSED
        assert obj.status == source


def test_tables_are_the_ones_the_module_docstring_shows():
    doc = models.__doc__
    for machine in (
        ROUND_TRANSITIONS,
        CLAIM_TRANSITIONS,
        VOUCHER_TRANSITIONS,
        REDEMPTION_TRANSITIONS,
        SETTLEMENT_TRANSITIONS,
    ):
        for line in machine.describe().splitlines():
            assert f"    {line}\n" in doc, (machine.name, line)


def test_phase_values_are_what_templates_compare():
    assert [p.value for p in Phase] == ["scheduled", "open", "closed", "stopped"]
    assert Phase.OPEN == "open"  # a template's {% if phase == "open" %} still holds


# --- services refuse what the tables refuse ---------------------------------


@pytest.fixture
def till(world, db_engine):
    campaign = world.campaign(max_per_merchant_per_day=5)
    round_ = world.round(campaign, packets=5, preset="hz2022")
    world.pledge(campaign)
    resident = world.resident()
    at(round_, 10)
    claim_packet(actor=resident.user, round_=Round.objects.get(pk=round_.pk))
    return world, round_, resident


def _redeem(world, resident, key="k"):
    from quarter.vouchers import codes

    return redemptions.redeem_voucher(
        actor=world.cashier,
        merchant=world.shop,
        code=codes.wallet_code(resident.pk, at=clock.now().timestamp()),
        bill_fen=8000,
        key=key,
    )


@pytest.mark.parametrize("status", Redemption.Status.values)
def test_refund_and_review_follow_the_redemption_table(till, status):
    world, _round, resident = till
    r = _redeem(world, resident)
    # Put the row in `status` directly: the point is what the verbs then do.
    Redemption.objects.filter(pk=r.pk).update(status=status)
    if REDEMPTION_TRANSITIONS.allowed(status, Redemption.Status.REFUNDED):
        out = redemptions.refund_redemption(
            actor=world.cashier, redemption=r, amount_fen=6000
        )
        assert out.status == "refunded"
    else:
        with pytest.raises(DomainError) as exc:
            redemptions.refund_redemption(
                actor=world.cashier, redemption=r, amount_fen=6000
            )
        assert exc.value.code == "redemption_not_refundable"
    Redemption.objects.filter(pk=r.pk).update(status=status)
    if REDEMPTION_TRANSITIONS.allowed(status, Redemption.Status.ACCEPTED):
        out = redemptions.review_redemption(
            actor=world.operator_user, redemption=r, release=True, reason="复核通过"
        )
        assert out.status == "accepted"
    else:
        with pytest.raises(DomainError) as exc:
            redemptions.review_redemption(
                actor=world.operator_user, redemption=r, release=True, reason="复核"
            )
        assert exc.value.code == "redemption_not_held"


def test_claim_is_done_when_its_last_voucher_is_used_and_active_after_a_refund(till):
    world, _round, resident = till
    claim = Claim.objects.get(resident=resident)
    assert claim.status == "active"
    used = []
    for i in range(4):  # hz2022: 5 + 5 + 10 + 10 + 20 yuan, bills of ¥80 pick each
        from quarter.vouchers import codes

        used.append(
            redemptions.redeem_voucher(
                actor=world.cashier,
                merchant=world.shop,
                code=codes.wallet_code(resident.pk, at=clock.now().timestamp()),
                bill_fen=8000,
                key=f"k{i}",
            )
        )
        claim.refresh_from_db()
        assert claim.status == "active"
    used.append(_redeem(world, resident, key="last"))
    claim.refresh_from_db()
    assert claim.status == "done"
    redemptions.refund_redemption(
        actor=world.cashier, redemption=used[-1], amount_fen=used[-1].payable_fen
    )
    claim.refresh_from_db()
    assert claim.status == "active"


def test_stopping_a_stopped_or_closed_round_is_refused(world, db_engine):
    round_ = world.round(world.campaign(), packets=2)
    campaigns.stop_round(actor=world.issuer_user, round_=round_, reason="暂停发放")
    with pytest.raises(DomainError) as exc:
        campaigns.stop_round(actor=world.issuer_user, round_=round_, reason="再停")
    assert exc.value.code == "round_not_stoppable"
    closed = world.round(world.campaign(), packets=2, name="第二轮")
    clock.freeze(closed.claim_closes_at + dt.timedelta(seconds=1))
    with pytest.raises(DomainError) as exc:
        campaigns.stop_round(actor=world.issuer_user, round_=closed, reason="已结束")
    assert exc.value.code == "round_not_stoppable"


def test_a_stopped_lottery_round_cannot_be_drawn(world, db_engine):
    round_ = world.round(world.campaign(), packets=2, mode="lottery")
    at(round_)
    claim_packet(actor=world.resident().user, round_=Round.objects.get(pk=round_.pk))
    campaigns.stop_round(actor=world.issuer_user, round_=round_, reason="停止摇号")
    clock.freeze(round_.claim_closes_at + dt.timedelta(seconds=1))
    with pytest.raises(DomainError) as exc:
        lottery.draw(actor=world.issuer_user, round_=round_)
    assert exc.value.code == "round_not_drawable"


def test_settlement_is_paid_once(till):
    world, _round, resident = till
    _redeem(world, resident)
    day = clock.local_now().date()
    clock.freeze(clock.now() + dt.timedelta(days=1))
    (s,) = settlement.settle_day(actor=world.issuer_user, business_date=day)
    assert s.status == "pending"
    paid = settlement.mark_settlement_paid(
        actor=world.issuer_user, settlement=s, payment_ref="BOC-20261124-001"
    )
    assert paid.status == "paid" and paid.paid_by == world.issuer_user
    with pytest.raises(DomainError) as exc:
        settlement.mark_settlement_paid(
            actor=world.issuer_user, settlement=s, payment_ref="BOC-again"
        )
    assert exc.value.code == REFUSED
    event = VoucherEvent.objects.get(kind="settlement_paid")
    assert event.after["payment_ref"] == "BOC-20261124-001"


# --- typed event kinds -------------------------------------------------------


def test_events_refuse_a_free_text_kind(db):
    with pytest.raises(TypeError):
        events._record("something_new", actor=None)


def test_only_events_py_writes_voucher_events():
    root = Path(models.__file__).parent
    writers = [
        p.relative_to(root).as_posix()
        for p in root.rglob("*.py")
        if "tests" not in p.parts and "VoucherEvent.objects.create" in p.read_text()
    ]
    assert writers == ["events.py"]


def test_lottery_draw_is_recorded_through_events(world, db_engine):
    round_ = world.round(world.campaign(), packets=1, mode="lottery")
    at(round_)
    claim_packet(actor=world.resident().user, round_=Round.objects.get(pk=round_.pk))
    clock.freeze(round_.claim_closes_at + dt.timedelta(seconds=1))
    lottery.draw(actor=world.issuer_user, round_=round_, seed="s-1")
    e = VoucherEvent.objects.get(kind=VoucherEventKind.LOTTERY_DRAWN)
    assert e.after == {"seed": "s-1", "registrants": 1, "winners": 1}
    assert e.get_kind_display() == "公开摇号"
    assert set(VoucherEvent.objects.values_list("kind", flat=True)) <= set(
        VoucherEventKind.values
    )
