"""The money invariant under random operations (hypothesis).

For random sequences of claims, redemptions, refunds of every size (one fen,
a share of what was paid, all that is left, one fen more than that, the whole
bill), reviews, expiries and settlements, with and without merchant
co-funding: the ledger sums to zero, and for the campaign
budget = unallocated + unclaimed + claimed + receivable + settled + expired,
where each role's balance also equals what the voucher and redemption rows
say it should (settled holds the issuer's share less the refund cuts; the
merchants' co-funded share of settled redemptions is back in unallocated;
the face value partial refunds cut is released). No redemption ever gives
back more than the customer paid.
"""

import datetime as dt

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from quarter.core import clock
from quarter.core.actors import SYSTEM
from quarter.core.errors import DomainError
from quarter.ledger import selectors as ledger
from quarter.vouchers import accounts, codes
from quarter.vouchers.models import Redemption, Round, Settlement, Voucher
from quarter.vouchers.services import redemptions, settlement
from quarter.vouchers.services.claims import claim_packet
from quarter.vouchers.tests.factories import World

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("claim"), st.integers(0, 5)),
        st.tuples(st.just("redeem"), st.integers(0, 5), st.integers(500, 12_000)),
        st.tuples(
            st.just("refund"),
            st.integers(0, 30),
            st.sampled_from(["one", "share", "rest", "rest+1", "bill"]),
            st.integers(1, 99),
        ),
        st.tuples(st.just("review"), st.integers(0, 30), st.booleans()),
        st.tuples(st.just("advance"), st.integers(1, 30)),
        st.tuples(
            st.just("settle"),
        ),
        st.tuples(
            st.just("expire"),
        ),
    ),
    min_size=5,
    max_size=40,
)


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=OPS, cofund_permille=st.sampled_from([0, 200, 333]))
@example(
    ops=[("claim", 0), ("redeem", 0, 4500), ("advance", 6), ("settle",)],
    cofund_permille=333,
)
@example(
    ops=[("claim", 1), ("redeem", 1, 8000), ("refund", 0, "rest", 1), ("settle",)],
    cofund_permille=200,
)
@example(
    ops=[
        ("claim", 2),
        ("redeem", 2, 8000),
        ("refund", 0, "share", 33),
        ("refund", 0, "rest+1", 1),
        ("advance", 6),
        ("settle",),
    ],
    cofund_permille=333,
)
@example(
    ops=[
        ("claim", 5),
        ("redeem", 5, 4000),
        ("refund", 0, "one", 1),
        ("review", 0, False),
        ("refund", 0, "rest", 1),
    ],
    cofund_permille=200,
)
def test_random_operations_keep_ledger_exact(
    ops, cofund_permille, db_engine, settings_fast
):
    from django.db import transaction

    with transaction.atomic():
        _run(ops, cofund_permille)
        transaction.set_rollback(True)


def _run(ops, cofund_permille):
    clock.freeze(None)
    world = World()
    campaign = world.campaign(budget_fen=200_000, cofund_permille=cofund_permille)
    round_ = world.round(
        campaign,
        packets=4,
        preset="hz2022",
        release_in=dt.timedelta(hours=1),
        valid_until=clock.now() + dt.timedelta(days=3),
    )
    world.pledge(campaign)
    staff_resident = world.resident()
    from quarter.places.models import MerchantStaff

    MerchantStaff.objects.create(merchant=world.shop, user=staff_resident.user)
    residents = [world.resident() for _ in range(5)] + [staff_resident]
    now = round_.release_at + dt.timedelta(seconds=1)
    clock.freeze(now)
    for i, op in enumerate(ops):
        kind = op[0]
        try:
            if kind == "claim":
                claim_packet(
                    actor=residents[op[1]].user, round_=Round.objects.get(pk=round_.pk)
                )
            elif kind == "redeem":
                r = residents[op[1]]
                redemptions.redeem_voucher(
                    actor=world.cashier,
                    merchant=world.shop,
                    bill_fen=op[2],
                    key=f"k{i}",
                    code=codes.wallet_code(r.pk, at=clock.now().timestamp()),
                )
            elif kind == "refund":
                rows = list(Redemption.objects.order_by("pk"))
                if rows:
                    r = rows[op[1] % len(rows)]
                    rest = r.payable_fen - r.refunded_fen
                    amount = {
                        "one": 1,
                        "share": max(1, rest * op[3] // 100),
                        "rest": rest,
                        "rest+1": rest + 1,
                        "bill": r.bill_fen,
                    }[op[2]]
                    redemptions.refund_redemption(
                        actor=world.cashier, redemption=r, amount_fen=amount
                    )
            elif kind == "review":
                rows = list(Redemption.objects.filter(status="held").order_by("pk"))
                if rows:
                    redemptions.review_redemption(
                        actor=world.operator_user,
                        redemption=rows[op[1] % len(rows)],
                        release=op[2],
                        reason="抽查",
                    )
            elif kind == "advance":
                now = now + dt.timedelta(hours=op[1] * 4)
                clock.freeze(now)
            elif kind == "settle":
                settlement.settle_day(
                    actor=SYSTEM,
                    business_date=clock.local_now().date() - dt.timedelta(days=1),
                )
            elif kind == "expire":
                redemptions.expire_vouchers()
        except DomainError:
            pass  # a refused operation must leave the books as they were
        _check(campaign, round_, world)


def _check(campaign, round_, world):
    assert ledger.get_total() == 0
    roles = ledger.get_bucket_balances(bucket=f"campaign:{campaign.pk}")
    assert sum(roles.values()) == campaign.budget_fen
    assert set(roles) <= set(accounts.ROLES)
    vouchers = Voucher.objects.filter(round=round_)
    claimed_unused = sum(v.face_fen for v in vouchers if v.status == "unused")
    assert roles.get("claimed", 0) == claimed_unused
    rows = list(Redemption.objects.all())
    for r in rows:  # never more back than was paid; the cut follows the rule
        assert 0 <= r.refunded_fen <= r.payable_fen
        if r.status != "refunded":
            assert r.refunded_fen < r.payable_fen or r.payable_fen == 0
            assert r.refund_cut_fen == (
                r.face_fen * r.refunded_fen // r.payable_fen if r.payable_fen else 0
            )
        assert 0 <= r.kept_cofund_fen <= r.face_fen - r.refund_cut_fen
        assert r.subsidy_fen >= 0
    live = [r for r in rows if r.status in ("accepted", "held")]
    owed = sum(r.face_fen - r.refund_cut_fen for r in live)
    assert roles.get("receivable", 0) == owed
    paid = [r for r in rows if r.status == "settled"]
    assert roles.get("settled", 0) == sum(r.subsidy_fen for r in paid)
    assert sum(s.amount_fen for s in Settlement.objects.all()) == sum(
        r.subsidy_fen for r in paid
    )
    assert all(r.cofund_fen == campaign.merchant_share_fen(r.face_fen) for r in rows)
    gone = (
        sum(v.face_fen for v in vouchers if v.status == "expired")
        + sum(r.face_fen for r in rows if r.status == "rejected")
        + sum(r.refund_cut_fen for r in rows if r.status != "rejected")
    )
    assert roles.get("expired", 0) == gone
    claims = round_.claims.count()
    assert (
        roles.get("unclaimed", 0)
        == (round_.packets_total - claims) * round_.packet_face_fen
    )
    assert roles.get("unallocated", 0) == (
        campaign.budget_fen
        - round_.committed_fen
        + sum(r.kept_cofund_fen for r in paid)
    )
