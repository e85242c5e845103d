"""Sharing rewards: bindings, one-level rewards, refunds, budget, release, payouts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from quarter.card import visits
from quarter.core import clock
from quarter.core.actors import SYSTEM
from quarter.core.errors import DomainError
from quarter.ledger import selectors as ledger
from quarter.notifications.models import Notification
from quarter.people.models import Resident
from quarter.places.models import MerchantStaff
from quarter.referrals import accounts, services
from quarter.referrals.models import (
    ImmutableError,
    Promotion,
    Referral,
    ReferralEvent,
    Reward,
    Withdrawal,
)
from quarter.referrals.tests.factories import bind, opt_in, pay
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db


def pending(resident) -> int:
    return ledger.get_balance(code=accounts.pending(resident.pk).code)


def withdrawable(resident) -> int:
    return ledger.get_balance(code=accounts.withdrawable(resident.pk).code)


def budget(shop) -> int:
    return ledger.get_balance(code=accounts.budget(shop.pk).code)


@pytest.fixture
def world():
    clock.freeze(dt.datetime(2026, 12, 2, 10, 0))
    return World()


# --- bindings ---


def test_bind_referee_is_recorded_once_and_neither_side_can_change_it(world):
    a, b, other = world.resident(), world.resident(), world.resident()
    referral = bind(a, b)
    assert referral.referrer == a and referral.referee == b
    assert referral.rewards_until == dt.datetime(
        2027, 12, 2, 10, 0, tzinfo=clock.SHANGHAI
    )

    # The referee cannot move to another referrer...
    with pytest.raises(DomainError) as exc:
        bind(other, b)
    assert exc.value.code == "referee_already_bound"
    # ...and the row itself refuses any change or deletion.
    referral.referrer = other
    with pytest.raises(ImmutableError):
        referral.save()
    with pytest.raises(ImmutableError):
        referral.delete()
    assert Referral.objects.get(referee=b).referrer == a
    assert ReferralEvent.objects.filter(kind="refused", resident=b).exists()
    assert Notification.objects.filter(recipient=a.user, kind="referral_bound").exists()


def test_bind_referee_refuses_own_code(world):
    a = world.resident()
    with pytest.raises(DomainError) as exc:
        bind(a, a)
    assert exc.value.code == "self_referral"
    assert "自己" in exc.value.message
    assert not Referral.objects.exists()


def test_bind_referee_refuses_circles_of_two_and_of_three(world):
    a, b, c = world.resident(), world.resident(), world.resident()
    bind(a, b)  # a invited b
    with pytest.raises(DomainError) as exc:
        bind(b, a)  # b's code used by a: a -> b -> a
    assert exc.value.code == "referral_circular"
    bind(b, c)  # a -> b -> c is a chain, allowed (rewards stay one level)
    with pytest.raises(DomainError) as exc:
        bind(c, a)
    assert exc.value.code == "referral_circular"
    assert Referral.objects.count() == 2


def test_bind_referee_refuses_two_accounts_with_one_phone(world):
    a, b = world.resident(), world.resident()
    b.user.phone = a.phone
    b.user.save(update_fields=["phone"])
    with pytest.raises(DomainError) as exc:
        bind(a, b)
    assert exc.value.code == "referral_same_person"
    assert "手机号" in exc.value.message


def test_same_person_reason_names_id_hash_and_register_entry(world):
    a = world.resident()
    # Two profiles of one person, as a lapsed record and a new one would read.
    twin = Resident(
        pk=10**9, user=world.resident().user, phone="13900000000", id_hash=a.id_hash
    )
    assert "身份证号" in services.same_person_reason(a, twin)
    twin.id_hash = None
    twin.register_entry_id = a.register_entry_id
    assert "居民名册" in services.same_person_reason(a, twin)


def test_unverified_resident_has_no_referral_link(world):
    unverified = world.resident(verified=False)
    with pytest.raises(DomainError) as exc:
        services.get_or_create_link(actor=unverified.user)
    assert exc.value.code == "referrer_not_verified"


def test_unknown_code_is_refused_with_field(world):
    b = world.resident()
    with pytest.raises(DomainError) as exc:
        services.bind_referee(actor=b.user, code="NOPE1234")
    assert (exc.value.code, exc.value.field) == ("referral_code_unknown", "code")


# --- rewards ---


def test_referee_card_payment_earns_the_referrer_the_shops_share(world):
    a, b = world.resident(), world.resident()
    bind(a, b)
    opt_in(world, rate_permille=30, budget_fen=10_000)
    # ¥60 at 5.5折: the shop is paid ¥33, 3 % of it is 99 fen.
    visit = pay(world, b, bill_fen=6000, card_discount_fen=2700)
    reward = Reward.objects.get(visit=visit)
    assert (reward.base_fen, reward.amount_fen, reward.status) == (3300, 99, "pending")
    assert reward.referrer == a
    assert pending(a) == 99 and budget(world.shop) == 10_000 - 99
    assert withdrawable(a) == 0
    assert ledger.get_total() == 0


def test_only_one_level_the_referrers_own_referrer_earns_nothing(world):
    top, mid, low = world.resident(), world.resident(), world.resident()
    bind(top, mid)
    bind(mid, low)
    opt_in(world, rate_permille=50)
    pay(world, low, bill_fen=10_000)
    assert pending(mid) == 500
    assert pending(top) == 0  # one level only: no share of low's payment
    assert not Reward.objects.filter(referrer=top).exists()
    pay(world, mid, bill_fen=2_000)
    assert pending(top) == 100  # mid's own payment earns top


def test_no_reward_without_opt_in_past_12_months_or_for_unverified_referee(world):
    a, b = world.resident(), world.resident()
    bind(a, b)
    pay(world, b, bill_fen=5000)  # shop not opted in
    assert pending(a) == 0
    opt_in(world, rate_permille=30)
    clock.freeze(clock.now() + dt.timedelta(days=366))
    pay(world, b, bill_fen=5000)
    assert pending(a) == 0
    c = world.resident(verified=False)
    bind(a, c)
    pay(world, c, bill_fen=5000)
    assert pending(a) == 0 and not Reward.objects.exists()


def test_no_reward_when_referrer_or_referee_works_at_the_shop(world):
    a, b = world.resident(), world.resident()
    bind(a, b)
    opt_in(world)
    MerchantStaff.objects.create(merchant=world.shop, user=a.user)
    pay(world, b, bill_fen=5000)
    assert pending(a) == 0


def test_partial_refund_reverses_proportionally_and_full_refund_all(world):
    a, b = world.resident(), world.resident()
    bind(a, b)
    opt_in(world, rate_permille=30, budget_fen=10_000)
    visit = pay(world, b, bill_fen=10_000)  # reward 300
    visits.refund_visit(visit, refunded_fen=2_500)  # a quarter back
    reward = Reward.objects.get(visit=visit)
    assert (reward.reversed_fen, reward.status) == (75, "pending")
    assert pending(a) == 225 and budget(world.shop) == 10_000 - 225
    visits.refund_visit(visit)  # the rest
    reward.refresh_from_db()
    assert (reward.reversed_fen, reward.status) == (300, "reversed")
    assert pending(a) == 0 and budget(world.shop) == 10_000
    assert ledger.get_total() == 0


def test_budget_running_out_pauses_the_promotion_and_tells_the_shop(world):
    a, b = world.resident(), world.resident()
    bind(a, b)
    opt_in(world, rate_permille=100, budget_fen=700)
    pay(world, b, bill_fen=5000)  # 500
    pay(world, b, bill_fen=5000)  # only 200 left: pays 200, pauses
    assert pending(a) == 700 and budget(world.shop) == 0
    promo = Promotion.objects.get(merchant=world.shop)
    assert promo.state == "paused"
    note = Notification.objects.get(
        recipient=world.cashier, kind="referral_budget_empty"
    )
    assert "预算已用完" in note.title
    pay(world, b, bill_fen=5000)
    assert pending(a) == 700  # paused: nothing more
    services.record_topup(
        actor=world.operator_user,
        merchant=world.shop,
        amount_fen=1000,
        note="第二次缴纳",
        key="again",
    )
    promo.refresh_from_db()
    assert promo.state == "active"
    pay(world, b, bill_fen=5000)
    assert pending(a) == 1200


def test_monthly_cap_limits_rewards_per_referrer(world, settings):
    settings.QUARTER_REFERRAL_MONTHLY_CAP_FEN = 800
    a, b = world.resident(), world.resident()
    bind(a, b)
    opt_in(world, rate_permille=100)
    pay(world, b, bill_fen=5000)
    pay(world, b, bill_fen=5000)  # 500 more would pass 800: 300 only
    pay(world, b, bill_fen=5000)  # nothing
    assert pending(a) == 800
    clock.freeze(dt.datetime(2027, 1, 1, 9, 0))  # a new month
    pay(world, b, bill_fen=5000)
    assert pending(a) == 1300


def test_release_after_the_window_is_idempotent_and_refund_after_does_not_reverse(
    world,
):
    a, b = world.resident(), world.resident()
    bind(a, b)
    opt_in(world, rate_permille=30)
    visit = pay(world, b, bill_fen=10_000)
    clock.freeze(clock.now() + dt.timedelta(days=6, hours=23))
    call_command("release_referral_rewards")
    assert (pending(a), withdrawable(a)) == (300, 0)
    clock.freeze(clock.now() + dt.timedelta(hours=2))
    call_command("release_referral_rewards")
    call_command("release_referral_rewards")
    assert (pending(a), withdrawable(a)) == (0, 300)
    assert Reward.objects.get(visit=visit).status == "released"
    visits.refund_visit(visit)  # too late: the refund window is over
    assert withdrawable(a) == 300
    assert ledger.get_total() == 0


def test_withdrawal_needs_operator_approval_and_rejection_gives_it_back(world):
    a, b = world.resident(), world.resident()
    bind(a, b)
    opt_in(world, rate_permille=100)
    pay(world, b, bill_fen=10_000)
    clock.freeze(clock.now() + dt.timedelta(days=8))
    services.release_rewards(actor=SYSTEM)
    with pytest.raises(DomainError) as exc:
        services.request_withdrawal(actor=a.user, amount_fen=1001, key="k0")
    assert exc.value.code == "withdrawable_insufficient"
    first = services.request_withdrawal(actor=a.user, amount_fen=600, key="k1")
    again = services.request_withdrawal(actor=a.user, amount_fen=600, key="k1")
    assert first.pk == again.pk and withdrawable(a) == 400
    with pytest.raises(DomainError) as exc:
        services.decide_withdrawal(actor=world.cashier, withdrawal=first, approve=True)
    assert exc.value.status_code == 403
    services.decide_withdrawal(
        actor=world.operator_user, withdrawal=first, approve=True
    )
    with pytest.raises(DomainError) as exc:
        services.decide_withdrawal(
            actor=world.operator_user, withdrawal=first, approve=False, reason="重复"
        )
    assert exc.value.code == "withdrawal_already_decided"
    second = services.request_withdrawal(actor=a.user, amount_fen=400, key="k2")
    with pytest.raises(DomainError) as exc:
        services.decide_withdrawal(
            actor=world.operator_user, withdrawal=second, approve=False
        )
    assert exc.value.code == "reason_required"
    services.decide_withdrawal(
        actor=world.operator_user,
        withdrawal=second,
        approve=False,
        reason="账户信息不全",
    )
    assert withdrawable(a) == 400
    assert ledger.get_balance(code=accounts.paid(a.pk).code) == 600
    assert [w.status for w in Withdrawal.objects.order_by("pk")] == [
        "approved",
        "rejected",
    ]
    assert (
        Notification.objects.filter(
            recipient=a.user, kind="referral_withdrawal"
        ).count()
        == 2
    )


def test_topup_is_operator_only_and_retry_posts_once(world):
    with pytest.raises(DomainError) as exc:
        services.record_topup(
            actor=world.cashier, merchant=world.shop, amount_fen=100, note="x", key="a"
        )
    assert exc.value.status_code == 403
    for _ in range(2):
        services.record_topup(
            actor=world.operator_user,
            merchant=world.shop,
            amount_fen=5000,
            note="转账",
            key="same",
        )
    assert budget(world.shop) == 5000
    with pytest.raises(DomainError) as exc:
        services.record_topup(
            actor=world.operator_user,
            merchant=world.shop,
            amount_fen=0,
            note="转账",
            key="zero",
        )
    assert exc.value.field == "amount"


def test_set_promotion_refuses_out_of_range_rates(world):
    for bad in (0, 201):
        with pytest.raises(DomainError) as exc:
            services.set_promotion(
                actor=world.cashier, merchant=world.shop, rate_permille=bad
            )
        assert exc.value.code == "promotion_rate_invalid"
    promo = services.set_promotion(
        actor=world.cashier, merchant=world.shop, rate_permille=30
    )
    assert promo.state == "paused"  # no budget yet


def test_till_payment_pays_few_queries_for_rewards(
    world, django_assert_max_num_queries
):
    a, b, stranger = world.resident(), world.resident(), world.resident()
    bind(a, b)
    opt_in(world, rate_permille=30)
    # A payer nobody referred costs the till one look-up beyond the visit's 4.
    with django_assert_max_num_queries(5):
        pay(world, stranger, bill_fen=5000)
    # A referred payer: checks, locks, the reward and its posting (the first
    # one also opens the referrer's pending account); no query per row.
    with django_assert_max_num_queries(24):
        pay(world, b, bill_fen=5000)
    with django_assert_max_num_queries(21):
        pay(world, b, bill_fen=5000)
    assert pending(a) == 300
