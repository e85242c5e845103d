"""Scenario builders for benefit tests: the ≥70 meal rule on a voucher world."""

from __future__ import annotations

import datetime as dt

from quarter.benefits import services
from quarter.benefits.models import BenefitRule, RuleState
from quarter.core import clock
from quarter.vouchers.tests.factories import World

# A Tuesday in December 2026, 10:00 in Hangzhou.
DEC_15 = dt.datetime(2026, 12, 15, 10, 0, tzinfo=clock.SHANGHAI)


def meal_world(*, budget_fen: int = 1_000_000, world: World | None = None):
    """A world with a funded campaign and a pledged 幸福食堂 (elderly_care) canteen."""
    w = world or World()
    campaign = w.campaign(budget_fen=budget_fen)
    canteen, canteen_cashier = w.merchant("东河幸福食堂", type_code="elderly_care")
    w.pledge(campaign, shop=canteen, cashier=canteen_cashier)
    return w, campaign, canteen, canteen_cashier


def meal_rule(world: World, campaign, *, enable: bool = True, **changes) -> BenefitRule:
    """The operator's monthly ¥100 meal voucher for residents aged 70 and over."""
    data = services.RuleInput(
        name="高龄老人助餐券",
        community=world.community,
        min_age=70,
        campaign=campaign,
        face_fen=10_000,
        threshold_fen=10_000,
        coupon_business_type_code="elderly_care",
        starts_on=dt.date(2026, 12, 1),
    )
    data = services.RuleInput(**{**data.__dict__, **changes})
    rule = services.create_rule(actor=world.operator_user, data=data)
    if enable:
        rule = services.change_rule_state(
            actor=world.operator_user, rule=rule, target=RuleState.ENABLED
        )
    return rule
