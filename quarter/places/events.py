"""Audit records of merchants: one function per event, called by services only."""

from __future__ import annotations

from quarter.core import clock
from quarter.places.models import Compound, CompoundEvent, Merchant, MerchantEvent


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
        actor=_user(actor),
        reason=reason,
        before=before or {},
        after=after or {},
        created_at=clock.now(),
    )


def _user(actor):
    """The user to store as actor; SYSTEM and anonymous are stored as none (系统)."""
    return actor if actor is not None and actor.is_authenticated else None


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


def admin_changed(merchant, *, actor, before: dict, after: dict) -> MerchantEvent:
    """Record a back-office edit of a merchant with the changed values."""
    return record(
        merchant,
        MerchantEvent.Kind.ADMIN_CHANGED,
        actor=actor,
        reason="后台修改",
        before=before,
        after=after,
    )


# --- compounds ------------------------------------------------------------------


def compound_changed(
    compound: Compound,
    *,
    actor,
    created: bool,
    before: dict,
    after: dict,
    reason: str = "",
) -> CompoundEvent:
    """Record a compound added or edited in the back office, with before and after."""
    return CompoundEvent.objects.create(
        compound=compound,
        compound_name=compound.name,
        community_id=compound.community_id,
        kind=CompoundEvent.Kind.CREATED if created else CompoundEvent.Kind.CHANGED,
        actor=_user(actor),
        reason=reason,
        before=before,
        after=after,
        created_at=clock.now(),
    )


def compound_deleted(compound: Compound, *, actor, before: dict) -> CompoundEvent:
    """Record a compound deleted in the back office; its last values stay as before."""
    return CompoundEvent.objects.create(
        compound=None,
        compound_name=compound.name,
        community_id=compound.community_id,
        kind=CompoundEvent.Kind.DELETED,
        actor=_user(actor),
        before=before,
        after={},
        created_at=clock.now(),
    )


# --- reading the trail -----------------------------------------------------------


def describe_change(model, before: dict, after: dict) -> str:
    """Say what changed in one line: '户数:200 → 210;社区:东河社区 → 锦绣社区'."""
    from quarter.core.audit import describe_change as describe

    return describe(model, before, after)
