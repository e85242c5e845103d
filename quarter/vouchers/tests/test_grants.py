"""Vouchers granted without a rush: the claim's writers, idempotent, budget-bound."""

import datetime as dt

import pytest

from quarter.core import clock
from quarter.core.actors import SYSTEM
from quarter.core.errors import DomainError
from quarter.ledger import selectors as ledger
from quarter.ledger.models import Transaction
from quarter.vouchers import accounts
from quarter.vouchers.models import Claim, Round, Voucher
from quarter.vouchers.services.campaigns import CouponSpec
from quarter.vouchers.services.grants import GrantRoundSpec, grant_packet

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 12, 1, tzinfo=clock.SHANGHAI)
SPEC = GrantRoundSpec(
    name="助餐券 2026年12月",
    valid_from=START,
    valid_until=START + dt.timedelta(days=31),
    coupons=(CouponSpec(face_fen=10_000, threshold_fen=10_000, count=1),),
)


def test_grant_packet_twice_with_one_source_writes_once(world, db_engine):
    clock.freeze(START + dt.timedelta(days=3))
    campaign = world.campaign(budget_fen=50_000)
    a, b = world.resident(), world.resident()

    first = grant_packet(
        actor=SYSTEM, campaign=campaign, resident=a, source_id="t:a", spec=SPEC
    )
    again = grant_packet(
        actor=SYSTEM,
        campaign=campaign,
        resident=a,
        source_id="t:a",
        spec=SPEC,
        round_id=first.round.pk,
    )
    other = grant_packet(
        actor=SYSTEM,
        campaign=campaign,
        resident=b,
        source_id="t:b",
        spec=SPEC,
        round_id=first.round.pk,
    )

    assert again.repeated and again.claim_id == first.claim_id
    assert other.round.pk == first.round.pk
    round_ = Round.objects.get(pk=first.round.pk)
    assert round_.granted and round_.packets_total == 2
    assert Claim.objects.filter(round=round_).count() == 2
    assert Voucher.objects.filter(round=round_).count() == 2
    assert Transaction.objects.filter(kind="claim").count() == 2
    roles = ledger.get_bucket_balances(bucket=campaign.bucket)
    assert roles["claimed"] == 20_000 and roles.get("unclaimed", 0) == 0
    assert roles["unallocated"] == 30_000


def test_grant_packet_over_budget_writes_nothing(world, db_engine):
    clock.freeze(START + dt.timedelta(days=3))
    campaign = world.campaign(budget_fen=5_000)

    with pytest.raises(DomainError) as exc:
        grant_packet(
            actor=SYSTEM,
            campaign=campaign,
            resident=world.resident(),
            source_id="t:a",
            spec=SPEC,
        )

    assert exc.value.code == "budget_exceeded"
    assert not Round.objects.filter(granted=True).exists()
    assert ledger.get_balance(code=accounts.unallocated(campaign.pk).code) == 5_000


def test_grant_packet_refuses_other_actors_and_unverified_people(world, db_engine):
    clock.freeze(START + dt.timedelta(days=3))
    campaign = world.campaign()

    with pytest.raises(DomainError) as exc:
        grant_packet(
            actor=world.operator_user,
            campaign=campaign,
            resident=world.resident(),
            source_id="t:a",
            spec=SPEC,
        )
    assert exc.value.status_code == 403
    with pytest.raises(DomainError) as exc:
        grant_packet(
            actor=SYSTEM,
            campaign=campaign,
            resident=world.resident(verified=False),
            source_id="t:b",
            spec=SPEC,
        )
    assert exc.value.code == "real_name_required"
    assert not Claim.objects.exists()
