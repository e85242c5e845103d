"""The referral money invariant under random operations (hypothesis).

For random sequences of bindings (including self, circular and repeated
ones), card payments, refunds of every size, releases after the window,
top-ups, rate changes, withdrawals and their approval or rejection: the
ledger sums to zero; over the referral bucket

    budget + pending + withdrawable + requested + paid = top-ups;

no account of the bucket is ever negative; pending, withdrawable and paid
agree with the reward and withdrawal rows; every reward went to the payer's
own referrer (one level); no referrer passes the monthly cap; and the
bindings never form a circle.
"""

import datetime as dt

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from quarter.card import visits
from quarter.card.models import Visit
from quarter.core import clock
from quarter.core.actors import SYSTEM
from quarter.core.errors import DomainError
from quarter.ledger import selectors as ledger
from quarter.ledger.models import Line
from quarter.referrals import accounts, services
from quarter.referrals.models import Referral, Reward, TopUp, Withdrawal
from quarter.referrals.tests.factories import bind, pay
from quarter.vouchers.tests.factories import World

N = 4
CAP = 1_500
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("bind"), st.integers(0, N - 1), st.integers(0, N - 1)),
        st.tuples(
            st.just("pay"),
            st.integers(0, N - 1),
            st.integers(1, 20_000),
            st.integers(0, 2),
        ),
        st.tuples(
            st.just("refund"),
            st.integers(0, 30),
            st.sampled_from(["one", "share", "rest", "rest+1"]),
            st.integers(1, 99),
        ),
        st.tuples(st.just("advance"), st.integers(1, 200)),
        st.tuples(st.just("release")),
        st.tuples(st.just("topup"), st.integers(0, 1), st.integers(1, 3_000)),
        st.tuples(
            st.just("rate"), st.integers(0, 1), st.sampled_from([None, 1, 30, 200])
        ),
        st.tuples(st.just("withdraw"), st.integers(0, N - 1), st.integers(1, 2_000)),
        st.tuples(st.just("decide"), st.integers(0, 30), st.booleans()),
    ),
    min_size=5,
    max_size=40,
)


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=OPS)
@example(
    ops=[
        ("bind", 0, 1),
        ("pay", 1, 10_000, 0),
        ("refund", 0, "share", 33),
        ("advance", 200),
        ("release",),
        ("withdraw", 0, 100),
        ("decide", 0, True),
    ]
)
@example(
    ops=[
        ("bind", 0, 1),
        ("bind", 1, 2),
        ("bind", 2, 0),
        ("pay", 2, 20_000, 1),
        ("pay", 2, 20_000, 1),
        ("topup", 0, 1),
        ("pay", 1, 5_000, 0),
    ]
)
def test_random_operations_keep_referral_books_exact(ops, settings):
    from django.db import transaction

    settings.QUARTER_REFERRAL_MONTHLY_CAP_FEN = CAP
    with transaction.atomic():
        _run(ops)
        transaction.set_rollback(True)


def _run(ops):
    clock.freeze(dt.datetime(2026, 12, 20, 9, 0))
    world = World()
    shops = [(world.shop, world.cashier), world.merchant("东河理发店")]
    residents = [world.resident() for _ in range(N)]
    for i, (shop, cashier) in enumerate(shops):
        services.record_topup(
            actor=world.operator_user,
            merchant=shop,
            amount_fen=2_000,
            note="首次缴纳",
            key=f"first{i}",
        )
        services.set_promotion(actor=cashier, merchant=shop, rate_permille=50)
    now = clock.now()
    for n, op in enumerate(ops):
        kind = op[0]
        try:
            if kind == "bind":
                bind(residents[op[1]], residents[op[2]])
            elif kind == "pay":
                shop, cashier = shops[op[3] % 2]
                bill = op[2]
                discount = bill // 2 if op[3] == 2 else 0
                pay(
                    world,
                    residents[op[1]],
                    bill_fen=bill,
                    card_discount_fen=discount,
                    shop=shop,
                    cashier=cashier,
                )
            elif kind == "refund":
                rows = list(Visit.objects.order_by("pk"))
                if rows:
                    v = rows[op[1] % len(rows)]
                    rest = v.payable_fen - v.refunded_fen
                    amount = {
                        "one": 1,
                        "share": max(1, rest * op[3] // 100),
                        "rest": rest,
                        "rest+1": rest + 1,
                    }[op[2]]
                    visits.refund_visit(v, refunded_fen=amount)
            elif kind == "advance":
                now = now + dt.timedelta(hours=op[1])
                clock.freeze(now)
            elif kind == "release":
                services.release_rewards(actor=SYSTEM)
            elif kind == "topup":
                shop, _ = shops[op[1]]
                services.record_topup(
                    actor=world.operator_user,
                    merchant=shop,
                    amount_fen=op[2],
                    note="缴纳",
                    key=f"k{n}",
                )
            elif kind == "rate":
                shop, cashier = shops[op[1]]
                services.set_promotion(
                    actor=cashier, merchant=shop, rate_permille=op[2]
                )
            elif kind == "withdraw":
                services.request_withdrawal(
                    actor=residents[op[1]].user, amount_fen=op[2], key=f"w{n}"
                )
            elif kind == "decide":
                rows = list(
                    Withdrawal.objects.filter(status="requested").order_by("pk")
                )
                if rows:
                    services.decide_withdrawal(
                        actor=world.operator_user,
                        withdrawal=rows[op[1] % len(rows)],
                        approve=op[2],
                        reason="" if op[2] else "信息不全",
                    )
        except DomainError:
            pass  # a refused operation must leave the books as they were
        _check()


def _check():
    assert ledger.get_total() == 0
    roles = ledger.get_bucket_balances(bucket=accounts.BUCKET)
    assert set(roles) <= set(accounts.ROLES)
    topups = TopUp.objects.aggregate(s=Sum("amount_fen"))["s"] or 0
    assert sum(roles.values()) == topups
    negative = (
        Line.objects.filter(account__bucket=accounts.BUCKET)
        .values("account__code")
        .annotate(s=Sum("amount_fen"))
        .filter(s__lt=0)
    )
    assert not list(negative)
    rewards = list(Reward.objects.select_related("referral", "visit"))
    assert roles.get("pending", 0) == sum(
        r.net_fen for r in rewards if r.status == "pending"
    )
    released = sum(r.net_fen for r in rewards if r.status == "released")
    paid_out = sum(roles.get(role, 0) for role in ("withdrawable", "requested", "paid"))
    assert paid_out == released
    withdrawals = list(Withdrawal.objects.all())
    assert roles.get("requested", 0) == sum(
        w.amount_fen for w in withdrawals if w.status == "requested"
    )
    assert roles.get("paid", 0) == sum(
        w.amount_fen for w in withdrawals if w.status == "approved"
    )
    per_month = {}
    for r in rewards:
        # One level: the reward went to the payer's own referrer, nobody above.
        assert r.referral.referee_id == r.visit.resident_id
        assert r.referrer_id == r.referral.referrer_id
        assert 0 <= r.reversed_fen <= r.amount_fen
        key = (r.referrer_id, r.month)
        per_month[key] = per_month.get(key, 0) + r.net_fen
    assert all(v <= CAP for v in per_month.values())
    parent = dict(Referral.objects.values_list("referee_id", "referrer_id"))
    for start in parent:
        seen, node = set(), start
        while node in parent:
            assert node not in seen, "bindings form a circle"
            seen.add(node)
            node = parent[node]
