"""The visit log writer: amounts add up, retry records once, refunds stay in bounds."""

from __future__ import annotations

import pytest

from quarter.card import visits
from quarter.card.models import Visit
from quarter.card.signals import visit_recorded, visit_refunded
from quarter.core.errors import DomainError
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db


def test_card_payment_is_recorded_once_per_key_with_the_customers_compound():
    world = World()
    resident = world.resident()
    seen = []

    def spy(sender, visit, **kwargs):
        seen.append(visit.pk)

    visit_recorded.connect(spy)
    try:
        v1 = visits.record_visit(
            merchant=world.shop,
            staff=world.cashier,
            key="k1",
            bill_fen=6000,
            card_discount_fen=2700,
            resident=resident,
        )
        v2 = visits.record_visit(
            merchant=world.shop,
            staff=world.cashier,
            key="k1",
            bill_fen=6000,
            card_discount_fen=2700,
            resident=resident,
        )
    finally:
        visit_recorded.disconnect(spy)
    assert v1.pk == v2.pk and seen == [v1.pk]
    assert v1.payable_fen == 3300 and v1.method == Visit.Method.CARD
    assert v1.compound == world.compound and v1.household == resident.household


def test_discount_beyond_the_bill_is_refused_and_writes_nothing():
    world = World()
    resident = world.resident()
    with pytest.raises(DomainError):
        visits.record_visit(
            merchant=world.shop,
            staff=world.cashier,
            key="k",
            bill_fen=1000,
            card_discount_fen=1200,
            resident=resident,
        )
    assert not Visit.objects.exists()


def test_refunds_never_pass_what_was_paid():
    world = World()
    resident = world.resident()
    visit = visits.record_visit(
        merchant=world.shop,
        staff=world.cashier,
        key="k",
        bill_fen=6000,
        card_discount_fen=2700,
        resident=resident,
    )
    refunds = []

    def spy(sender, visit, refunded_fen, **kwargs):
        refunds.append(refunded_fen)

    visit_refunded.connect(spy)
    try:
        visit = visits.refund_visit(visit, refunded_fen=1000)
        assert visit.status == Visit.Status.PARTLY_REFUNDED
        with pytest.raises(DomainError):
            visits.refund_visit(visit, refunded_fen=2400)
        visit = visits.refund_visit(visit)
    finally:
        visit_refunded.disconnect(spy)
    assert visit.status == Visit.Status.REFUNDED and visit.refunded_fen == 3300
    assert refunds == [1000, 2300]
    with pytest.raises(DomainError):
        visits.refund_visit(visit)
