"""Lottery rounds: register in the window, reproducible draw, money exact."""

import datetime as dt

import pytest

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.ledger import selectors as ledger
from quarter.vouchers import accounts
from quarter.vouchers.models import Claim, LotteryEntry, Round
from quarter.vouchers.services import lottery
from quarter.vouchers.services.claims import claim_packet
from quarter.vouchers.tests.factories import at


def test_lottery_register_draw_and_replay(world, db_engine):
    campaign = world.campaign()
    round_ = world.round(campaign, packets=3, mode="lottery")
    people = [world.resident() for _ in range(8)]
    at(round_)
    for p in people:
        out = claim_packet(actor=p.user, round_=Round.objects.get(pk=round_.pk))
        assert out.ok and out.code == "registered"
    again = claim_packet(actor=people[0].user, round_=Round.objects.get(pk=round_.pk))
    assert again.repeated and LotteryEntry.objects.count() == 8
    assert Claim.objects.count() == 0
    with pytest.raises(DomainError) as exc:
        lottery.draw(actor=world.issuer_user, round_=round_)
    assert exc.value.code == "round_not_drawable"  # registration still open
    clock.freeze(round_.claim_closes_at + dt.timedelta(seconds=1))
    winners = lottery.draw(actor=world.issuer_user, round_=round_, seed="seed-2020")
    assert len(winners) == 3 == Claim.objects.count()
    round_.refresh_from_db()
    assert round_.draw_seed == "seed-2020" and lottery.replay_draw(round_) == winners
    c = campaign.pk
    assert ledger.get_balance(code=accounts.claimed(c, round_.pk).code) == 3 * 5000
    with pytest.raises(DomainError):
        lottery.draw(actor=world.issuer_user, round_=round_)


def test_lottery_fewer_registrants_than_packets_releases_rest(world, db_engine):
    campaign = world.campaign()
    round_ = world.round(campaign, packets=5, mode="lottery")
    at(round_)
    claim_packet(actor=world.resident().user, round_=Round.objects.get(pk=round_.pk))
    clock.freeze(round_.claim_closes_at + dt.timedelta(seconds=1))
    assert len(lottery.draw(actor=world.issuer_user, round_=round_)) == 1
    c = campaign.pk
    assert ledger.get_balance(code=accounts.unclaimed(c, round_.pk).code) == 0
    assert (
        ledger.get_balance(code=accounts.unallocated(c).code)
        == campaign.budget_fen - 5000
    )
