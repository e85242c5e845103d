"""Audit records of ratings and evaluations: one function per event, services only."""

from __future__ import annotations

from quarter.core import clock
from quarter.reviews.models import Evaluation, EvaluationResult, Rating, ReviewEvent


def _user(actor):
    """The user to store; SYSTEM and anonymous are stored as none (系统)."""
    return actor if actor is not None and actor.is_authenticated else None


def rating_event(
    rating: Rating, kind: str, *, actor, reason: str = "", before="", after=""
) -> ReviewEvent:
    """Record something that happened to a rating (rated, flagged, hidden...)."""
    return ReviewEvent.objects.create(
        kind=kind,
        community_id=rating.merchant.community_id,
        merchant_id=rating.merchant_id,
        rating=rating,
        actor=_user(actor),
        reason=reason,
        before={"status": before} if before else {},
        after={"status": after} if after else {},
        created_at=clock.now(),
    )


def evaluation_opened(evaluation: Evaluation, *, actor, merchants: int) -> ReviewEvent:
    return ReviewEvent.objects.create(
        kind=ReviewEvent.Kind.OPENED,
        community_id=evaluation.community_id,
        actor=_user(actor),
        after={"year": evaluation.year, "merchants": merchants},
        created_at=clock.now(),
    )


def result_event(
    result: EvaluationResult,
    kind: str,
    *,
    actor,
    reason: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> ReviewEvent:
    """Record a change of one merchant's evaluation (warned, re-evaluated, removed)."""
    return ReviewEvent.objects.create(
        kind=kind,
        community_id=result.evaluation.community_id,
        merchant_id=result.merchant_id,
        result=result,
        actor=_user(actor),
        reason=reason,
        before=before or {},
        after=after or {},
        created_at=clock.now(),
    )
