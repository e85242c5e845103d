"""The demo shows every state of a reward: withdrawable, pending, reversed."""

import pytest

from quarter.ledger import selectors as ledger
from quarter.referrals import selectors
from quarter.referrals.models import Promotion, Reward

pytestmark = pytest.mark.django_db


def test_demo_has_a_promoting_shop_and_a_referrer_with_rewards_in_each_state():
    from quarter.demo.services import load_demo
    from quarter.people.models import Resident
    from quarter.referrals.demo import load_referral_demo

    load_demo()
    promo = Promotion.objects.get(merchant__name="阿明理发店")
    assert (promo.rate_permille, promo.state) == (30, "active")
    referrer = Resident.objects.get(phone="13800000002")
    summary = selectors.get_resident_summary(resident=referrer)
    assert summary.referee_count == 3
    assert summary.pending_fen > 0 and summary.withdrawable_fen > 0
    assert set(Reward.objects.values_list("status", flat=True)) == {
        "pending",
        "released",
        "reversed",
    }
    assert load_referral_demo() is None  # idempotent
    assert ledger.get_total() == 0
