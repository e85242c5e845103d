"""Audit records of benefit rules: one function per event, called by services only."""

from __future__ import annotations

from quarter.benefits.models import BenefitEvent, RuleState
from quarter.benefits.models import BenefitEventKind as Kind
from quarter.core import clock
from quarter.core.actors import is_person


def _record(kind: Kind, rule, *, actor, reason="", before=None, after=None):
    if not isinstance(kind, Kind):
        raise TypeError(f"unknown benefit event kind {kind!r}")
    return BenefitEvent.objects.create(
        kind=kind.value,
        rule=rule,
        actor=actor if is_person(actor) else None,
        reason=reason,
        before=before or {},
        after=after or {},
        created_at=clock.now(),
    )


def rule_created(rule, *, actor, snapshot: dict):
    return _record(Kind.RULE_CREATED, rule, actor=actor, after=snapshot)


def rule_state_changed(rule, *, actor, before: str, after: str, reason: str = ""):
    return _record(
        Kind.RULE_STATE_CHANGED,
        rule,
        actor=actor,
        reason=reason,
        before={"state": before, "label": str(RuleState(before).label)},
        after={"state": after, "label": str(RuleState(after).label)},
    )


def rule_updated(rule, *, actor, before: dict, after: dict):
    """The changed terms only, before and after (see services.describe_rule)."""
    return _record(Kind.RULE_UPDATED, rule, actor=actor, before=before, after=after)


def rule_previewed(rule, *, actor, matched: int):
    # Previewing shows masked personal data: who looked, when, how many rows.
    return _record(Kind.RULE_PREVIEWED, rule, actor=actor, after={"matched": matched})
