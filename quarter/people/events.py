"""Audit records of the people app: one function per event, called by services only."""

from __future__ import annotations

from quarter.core import clock
from quarter.people.models import AccessLog, RegisterEvent


def _actor(actor):
    return (
        actor
        if actor is not None and getattr(actor, "is_authenticated", False)
        else None
    )


def register_imported(community, *, actor, counts: dict) -> RegisterEvent:
    return RegisterEvent.objects.create(
        community=community,
        kind=RegisterEvent.Kind.IMPORTED,
        actor=_actor(actor),
        after=counts,
        created_at=clock.now(),
    )


def register_moved_away(entry, *, actor, reason: str) -> RegisterEvent:
    return RegisterEvent.objects.create(
        community_id=entry.community_id,
        entry=entry,
        kind=RegisterEvent.Kind.MOVED_AWAY,
        actor=_actor(actor),
        reason=reason,
        before={"status": "active"},
        after={"status": "moved_away"},
        created_at=clock.now(),
    )


def register_matched(entry, *, actor) -> RegisterEvent:
    return RegisterEvent.objects.create(
        community_id=entry.community_id,
        entry=entry,
        kind=RegisterEvent.Kind.MATCHED,
        actor=_actor(actor),
        created_at=clock.now(),
    )


def personal_data_accessed(
    *, actor, action: str, data: str, subject: str, reason: str, ip: str | None
) -> AccessLog:
    return AccessLog.objects.create(
        actor=_actor(actor),
        action=action,
        data=data[:80],
        subject=subject[:120],
        reason=reason[:200],
        ip=ip or None,
        created_at=clock.now(),
    )
