"""Audit records of merchants: one function per event, called by services only."""

from __future__ import annotations

from quarter.core import clock
from quarter.places.models import Merchant, MerchantEvent


def record(
    merchant: Merchant,
    kind: str,
    *,
    actor,
    reason: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> MerchantEvent:
    return MerchantEvent.objects.create(
        merchant=merchant,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        reason=reason,
        before=before or {},
        after=after or {},
        created_at=clock.now(),
    )


def applied(merchant, *, actor) -> MerchantEvent:
    return record(merchant, MerchantEvent.Kind.APPLIED, actor=actor)


def admission_changed(
    merchant, kind: str, *, actor, reason: str, before: str
) -> MerchantEvent:
    return record(
        merchant,
        kind,
        actor=actor,
        reason=reason,
        before={"admission": before, "status": merchant.status},
        after={"admission": merchant.admission, "status": merchant.status},
    )


def fields_changed(merchant, kind: str, *, actor, before: dict, after: dict, reason=""):
    return record(
        merchant, kind, actor=actor, reason=reason, before=before, after=after
    )
