"""Audit records of vouchers: one function per event, called by services only."""

from __future__ import annotations

from quarter.core import clock
from quarter.vouchers.models import VoucherEvent


def _record(kind: str, *, actor, reason: str = "", before=None, after=None, **refs):
    return VoucherEvent.objects.create(
        kind=kind,
        actor=actor
        if actor is not None and getattr(actor, "is_authenticated", False)
        else None,
        reason=reason,
        before=before or {},
        after=after or {},
        created_at=clock.now(),
        **refs,
    )


def campaign_created(campaign, *, actor):
    return _record(
        "campaign_created",
        actor=actor,
        campaign=campaign,
        after={"budget_fen": campaign.budget_fen, "name": campaign.name},
    )


def round_created(round_, *, actor, snapshot: dict):
    return _record(
        "round_created",
        actor=actor,
        campaign=round_.campaign,
        round=round_,
        after=snapshot,
    )


def round_changed(round_, *, actor, reason: str, before: dict, after: dict):
    return _record(
        "round_changed",
        actor=actor,
        campaign=round_.campaign,
        round=round_,
        reason=reason,
        before=before,
        after=after,
    )


def round_stopped(round_, *, actor, reason: str, released_packets: int):
    return _record(
        "round_stopped",
        actor=actor,
        campaign=round_.campaign,
        round=round_,
        reason=reason,
        after={"released_packets": released_packets},
    )


def merchant_pledged(campaign, *, actor, merchant_id: int):
    return _record(
        "merchant_pledged",
        actor=actor,
        campaign=campaign,
        after={"merchant_id": merchant_id},
    )


def redemption_made(redemption, *, actor):
    return _record(
        "redemption_made",
        actor=actor,
        redemption=redemption,
        after={
            "status": redemption.status,
            "flags": redemption.flags,
            "bill_fen": redemption.bill_fen,
            "face_fen": redemption.face_fen,
        },
    )


def redemption_refunded(redemption, *, actor, amount_fen: int, full: bool, before: str):
    return _record(
        "redemption_refunded",
        actor=actor,
        redemption=redemption,
        before={"status": before},
        after={"status": redemption.status, "amount_fen": amount_fen, "full": full},
    )


def redemption_reviewed(redemption, *, actor, reason: str, before: str):
    return _record(
        "redemption_reviewed",
        actor=actor,
        redemption=redemption,
        reason=reason,
        before={"status": before},
        after={"status": redemption.status},
    )


def vouchers_expired(round_, *, count: int, amount_fen: int):
    return _record(
        "vouchers_expired",
        actor=None,
        campaign=round_.campaign,
        round=round_,
        after={"count": count, "amount_fen": amount_fen},
    )


def settlement_made(settlement, *, actor):
    return _record(
        "settlement_made",
        actor=actor,
        after={
            "settlement_id": settlement.pk,
            "merchant_id": settlement.merchant_id,
            "amount_fen": settlement.amount_fen,
            "count": settlement.count,
            "business_date": settlement.business_date.isoformat(),
        },
    )
