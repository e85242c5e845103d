"""Audit rows of the sharing rewards: one small function per event kind."""

from __future__ import annotations

from quarter.core import clock
from quarter.core.actors import is_person
from quarter.referrals.models import ReferralEvent

Kind = ReferralEvent.Kind


def _record(
    kind, *, actor, merchant=None, resident=None, reason="", before=None, after=None
) -> ReferralEvent:
    return ReferralEvent.objects.create(
        kind=kind,
        actor=actor if is_person(actor) else None,
        merchant=merchant,
        resident=resident,
        reason=reason[:200],
        before=before or {},
        after=after or {},
        created_at=clock.now(),
    )


def bound(referral, *, actor) -> ReferralEvent:
    return _record(
        Kind.BOUND,
        actor=actor,
        resident=referral.referee,
        after={"referrer": referral.referrer_id, "code": referral.code},
    )


def refused(*, actor, resident, code: str, why: str) -> ReferralEvent:
    return _record(
        Kind.REFUSED, actor=actor, resident=resident, reason=why, after={"code": code}
    )


def promotion_set(merchant, *, actor, before: dict, after: dict) -> ReferralEvent:
    return _record(
        Kind.PROMOTION_SET, actor=actor, merchant=merchant, before=before, after=after
    )


def paused(merchant) -> ReferralEvent:
    return _record(Kind.PAUSED, actor=None, merchant=merchant, reason="推广预算用完")


def topped_up(topup, *, actor) -> ReferralEvent:
    return _record(
        Kind.TOPPED_UP,
        actor=actor,
        merchant=topup.merchant,
        reason=topup.note,
        after={"amount_fen": topup.amount_fen},
    )


def withdrawal_changed(withdrawal, *, actor, kind, reason="") -> ReferralEvent:
    return _record(
        kind,
        actor=actor,
        resident=withdrawal.resident,
        reason=reason,
        after={"withdrawal": withdrawal.pk, "amount_fen": withdrawal.amount_fen},
    )
