"""免申即享 demo for 东河社区: the monthly ¥100 meal voucher for people aged 70+.

Called by `quarter.demo.services.load_demo()` after the voucher demo: the
rule draws on the voucher demo's campaign (every approved 东河 shop, the
幸福食堂 included, has pledged to it), is enabled, and the daily run is done
once, so the rule page shows grants and the register's people aged 70+
without a verified account as waiting. Idempotent: does nothing if the rule
exists.
"""

from __future__ import annotations

from quarter.benefits import services
from quarter.benefits.models import BenefitRule, RuleState
from quarter.core import clock
from quarter.core.actors import SYSTEM
from quarter.people.models import User
from quarter.vouchers.demo import CAMPAIGN_NAME
from quarter.vouchers.models import Campaign

RULE_NAME = "高龄老人助餐券(每月)"


def load_benefits_demo() -> BenefitRule | None:
    operator = User.objects.filter(username="operator_donghe").first()
    campaign = Campaign.objects.filter(name=CAMPAIGN_NAME).first()
    if (
        operator is None
        or campaign is None
        or BenefitRule.objects.filter(name=RULE_NAME).exists()
    ):
        return None
    role = operator.operator_roles.select_related("community").first()
    if role is None:
        return None
    rule = services.create_rule(
        actor=operator,
        data=services.RuleInput(
            name=RULE_NAME,
            community=role.community,
            min_age=70,
            campaign=campaign,
            face_fen=10_000,
            threshold_fen=10_000,
            coupon_business_type_code="elderly_care",
            starts_on=clock.local_now().date().replace(day=1),
        ),
    )
    rule = services.change_rule_state(
        actor=operator, rule=rule, target=RuleState.ENABLED, reason="演示"
    )
    services.run_grants(actor=SYSTEM)
    return rule
