"""The benefits demo loads on top of the voucher demo and keeps the books exact."""

from quarter.benefits.models import BenefitRule, RuleState
from quarter.ledger import selectors as ledger


def test_load_benefits_demo_enables_the_meal_rule_and_runs_once(db):
    from quarter.benefits.demo import load_benefits_demo
    from quarter.demo.services import load_demo

    load_demo()  # calls load_benefits_demo itself, after the voucher demo
    rule = BenefitRule.objects.get(name__startswith="高龄老人助餐券")
    assert rule.state == RuleState.ENABLED
    assert rule.community.name == "东河社区"
    assert rule.events.filter(kind="rule_state_changed").exists()
    grant = rule.grants.first()
    assert grant is not None and grant.claim.round.granted
    assert grant.resident.birth_year <= 1956
    assert ledger.get_total() == 0
    roles = ledger.get_bucket_balances(bucket=rule.campaign.bucket)
    assert sum(roles.values()) == rule.campaign.budget_fen
    assert load_benefits_demo() is None  # idempotent
