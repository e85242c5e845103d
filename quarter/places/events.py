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
    parts = []
    keys = list(after) + [k for k in before if k not in after]
    for key in keys:
        parts.append(
            f"{_label(model, key)}:{_show(before.get(key))} → {_show(after.get(key))}"
        )
    return ";".join(parts)


def _label(model, key: str) -> str:
    try:
        return str(model._meta.get_field(key).verbose_name)
    except Exception:  # noqa: BLE001 - an inline's name, or a field since removed
        return key


def _show(value) -> str:
    if value is None or value == "" or value == {}:
        return "(空)"
    if isinstance(value, dict) and "name" in value:
        return str(value["name"])
    if isinstance(value, dict):
        return ",".join(f"{k} {_show(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(_show(v) for v in value) or "(空)"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)
