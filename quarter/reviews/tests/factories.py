"""Builders for reviews tests: visits, voucher payments, ratings on a World."""

from __future__ import annotations

import datetime as dt
import itertools

from django.test import TestCase

from quarter.card.visits import record_visit
from quarter.core import clock
from quarter.reviews.models import Rating
from quarter.vouchers import codes
from quarter.vouchers.engines import use_engine
from quarter.vouchers.engines.db_engine import DatabaseEngine
from quarter.vouchers.services import claims, redemptions

_keys = itertools.count(1)
JUNE = dt.datetime(2026, 6, 1, 10, 0, tzinfo=clock.SHANGHAI)


def visit(world, resident=None, *, household=None, shop=None, bill_fen=6000):
    """Record a card payment of `resident` (or a household card) at the shop."""
    return record_visit(
        merchant=shop or world.shop,
        staff=world.cashier,
        key=f"visit-{next(_keys)}",
        bill_fen=bill_fen,
        card_discount_fen=bill_fen // 10,
        resident=resident,
        household=household,
    )


def rating(visit_, *, stars=(5, 5, 5), status="visible", author=None) -> Rating:
    """Store a rating for `visit_` directly (for reads: averages, stars)."""
    q, s, p = stars
    return Rating.objects.create(
        merchant=visit_.merchant,
        author=author or (visit_.resident.user if visit_.resident else None),
        visit=visit_,
        quality=q,
        service=s,
        price=p,
        status=status,
        created_at=clock.now(),
    )


def voucher_payment(world, resident, *, bill_fen=4500, held=False):
    """Claim a packet and pay with a voucher at the world's shop; return the redemption.

    With `held`, the redemption is put on hold for review as a risk rule would.
    Leaves the clock where the payment happened.
    """
    use_engine(DatabaseEngine())
    try:
        campaign = world.campaign()
        round_ = world.round(campaign, packets=5, preset="hz2022")
        world.pledge(campaign)
        clock.freeze(round_.release_at + dt.timedelta(seconds=1))
        with TestCase.captureOnCommitCallbacks(execute=True):
            out = claims.claim_packet(actor=resident.user, round_=round_)
        assert out.ok, out
        r = redemptions.redeem_voucher(
            actor=world.cashier,
            merchant=world.shop,
            bill_fen=bill_fen,
            key=f"r{next(_keys)}",
            code=codes.wallet_code(resident.pk, at=clock.now().timestamp()),
        )
    finally:
        use_engine(None)
    if held:
        type(r).objects.filter(pk=r.pk).update(status="held")
        r.refresh_from_db()
    return r


def matrix_objects(side) -> dict:
    """Objects of community A for the access matrix: a rating and an evaluation.

    The rating hangs on a visit of A's resident at A's shop; the evaluation is
    last year's, opened by SYSTEM, so A's shop has a (passed) result.
    """
    from quarter.core.actors import SYSTEM
    from quarter.reviews import services

    w = side.world
    rated = rating(visit(w, side.resident), stars=(4, 4, 4))
    evaluation = services.open_evaluation(
        actor=SYSTEM, community=w.community, year=clock.local_now().year - 1
    )
    return {
        "rating_A": rated.pk,
        "evaluation_A": evaluation.pk,
        "result_A": evaluation.results.get(merchant=w.shop).pk,
    }


def community_with_a_bad_shop():
    """A World whose shop has three 5-star visits, and a bad shop beside it.

    The bad shop has thirty 1-star ratings and its customers are leaving (34
    visits last year, 2 this year), so it scores 1 star in 2026. Leaves the
    clock frozen at JUNE (2026-06-01 10:00). Returns (world, bad, its cashier).
    """
    from quarter.vouchers.tests.factories import World

    clock.freeze(JUNE - dt.timedelta(days=365))
    w = World()
    resident = w.resident()
    # A long-standing account: its ratings are never part of a burst.
    type(resident.user).objects.filter(pk=resident.user_id).update(
        date_joined=JUNE - dt.timedelta(days=800)
    )
    bad, bad_cashier = w.merchant("差评小吃店")
    for _ in range(6):
        visit(w, resident, shop=bad)
    clock.freeze(JUNE)
    for _ in range(3):
        rating(visit(w, resident), stars=(5, 5, 5))
    for i in range(30):
        v = visit(w, resident, shop=bad)
        if i >= 2:  # all but two of the bad shop's visits were last year
            type(v).objects.filter(pk=v.pk).update(
                occurred_at=JUNE - dt.timedelta(days=365 + i)
            )
        rating(v, stars=(1, 1, 1))
    return w, bad, bad_cashier
