"""Reads of 免申即享: rules a worker manages, what a person got and why."""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from quarter.benefits import access
from quarter.benefits.models import (
    RULE_TRANSITIONS,
    BenefitGrant,
    BenefitRule,
    BenefitShortfall,
    RuleState,
)

ACTION_LABELS = {
    RuleState.ENABLED: "启用",
    RuleState.PAUSED: "暂停",
    RuleState.ENDED: "结束",
}


def list_rules(*, actor):
    return (
        access.rules_managed_by(actor)
        .select_related("community", "district", "campaign")
        .annotate(grant_count=Count("grants"))
        .order_by("-created_at", "-pk")
    )


def list_my_grants(*, actor) -> list[BenefitGrant]:
    return list(
        access.grants_of(actor)
        .select_related("rule", "rule__coupon_business_type", "merchant", "claim")
        .order_by("-created_at", "-pk")
    )


def rule_summary(*, rule: BenefitRule) -> dict:
    grants = rule.grants.aggregate(n=Count("pk"), fen=Sum("amount_fen"))
    open_short = BenefitShortfall.objects.filter(rule=rule, resolved_at__isnull=True)
    return {
        "grants": grants["n"] or 0,
        "granted_fen": grants["fen"] or 0,
        "shortfalls": open_short.count(),
        "shortfall_fen": open_short.aggregate(s=Sum("needed_fen"))["s"] or 0,
        "periods": list(
            rule.grants.values("period")
            .annotate(n=Count("pk"), fen=Sum("amount_fen"))
            .order_by("-period")
        ),
        "events": list(rule.events.select_related("actor")[:20]),
        "open_shortfalls": list(
            open_short.filter(~Q(period=""))
            .select_related("resident")
            .order_by("-last_seen_at")[:10]
        ),
    }


def state_targets(rule: BenefitRule) -> list[tuple[str, str]]:
    """The states the rule may go to now, with the button's label."""
    return [
        (target, ACTION_LABELS[target])
        for target in (RuleState.ENABLED, RuleState.PAUSED, RuleState.ENDED)
        if RULE_TRANSITIONS.allowed(rule.state, target)
    ]
