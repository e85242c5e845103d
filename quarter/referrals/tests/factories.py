"""Scenario helpers for referral tests: bind, opt a shop in, pay at the till."""

from __future__ import annotations

import itertools

from quarter.card import visits
from quarter.referrals import services

_keys = itertools.count(1)


def bind(referrer, referee):
    """Bind `referee` to `referrer` through the referrer's own link."""
    link = services.get_or_create_link(actor=referrer.user)
    return services.bind_referee(actor=referee.user, code=link.code)


def opt_in(
    world,
    *,
    rate_permille: int = 30,
    budget_fen: int = 100_000,
    shop=None,
    cashier=None,
):
    """Top the shop's budget up (operator) and opt it in at the rate (merchant)."""
    shop = shop or world.shop
    if budget_fen:
        services.record_topup(
            actor=world.operator_user,
            merchant=shop,
            amount_fen=budget_fen,
            note="银行转账 0001",
            key=f"t{next(_keys)}",
        )
    return services.set_promotion(
        actor=cashier or world.cashier, merchant=shop, rate_permille=rate_permille
    )


def pay(
    world,
    resident,
    *,
    bill_fen: int,
    card_discount_fen: int = 0,
    shop=None,
    cashier=None,
):
    """Record a card payment as the till does."""
    return visits.record_visit(
        merchant=shop or world.shop,
        staff=cashier or world.cashier,
        key=f"v{next(_keys)}",
        bill_fen=bill_fen,
        card_discount_fen=card_discount_fen,
        resident=resident,
    )


def matrix_values(side) -> dict:
    """Objects of community A for the access matrix: a link code and a withdrawal."""
    import datetime as dt

    from quarter.core import clock
    from quarter.core.actors import SYSTEM

    world = side.world
    start = clock.now()
    referee = world.resident()
    bind(side.resident, referee)
    opt_in(world, rate_permille=100, budget_fen=10_000)
    pay(world, referee, bill_fen=5_000)
    clock.freeze(clock.now() + dt.timedelta(days=8))
    services.release_rewards(actor=SYSTEM)
    withdrawal = services.request_withdrawal(
        actor=side.resident.user, amount_fen=100, key="matrix"
    )
    clock.freeze(start)
    return {
        "refcode_A": side.resident.referral_link.code,
        "withdrawal_A": withdrawal.pk,
    }
