"""Audit records of vouchers: one function per event, called by services only.

Every kind is a `VoucherEventKind` (the typed list, like Saleor's
`GiftCardEvents`); `_record` refuses anything else, so no service can write an
event around this module with a free-text kind.
"""

from __future__ import annotations

from quarter.core import clock
from quarter.vouchers.models import VoucherEvent
from quarter.vouchers.models import VoucherEventKind as Kind


def _record(
    kind: Kind, *, actor, reason: str = "", before=None, after=None, **refs
) -> VoucherEvent:
    if not isinstance(kind, Kind):
        raise TypeError(f"unknown voucher event kind {kind!r}")
    return VoucherEvent.objects.create(
        kind=kind.value,
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
        Kind.CAMPAIGN_CREATED,
        actor=actor,
        campaign=campaign,
        after={"budget_fen": campaign.budget_fen, "name": campaign.name},
    )


def round_created(round_, *, actor, snapshot: dict):
    return _record(
        Kind.ROUND_CREATED,
        actor=actor,
        campaign=round_.campaign,
        round=round_,
        after=snapshot,
    )


def round_changed(round_, *, actor, reason: str, before: dict, after: dict):
    return _record(
        Kind.ROUND_CHANGED,
        actor=actor,
        campaign=round_.campaign,
        round=round_,
        reason=reason,
        before=before,
        after=after,
    )


def round_stopped(round_, *, actor, reason: str, released_packets: int):
    return _record(
        Kind.ROUND_STOPPED,
        actor=actor,
        campaign=round_.campaign,
        round=round_,
        reason=reason,
        after={"released_packets": released_packets},
    )


def merchant_pledged(campaign, *, actor, merchant_id: int):
    return _record(
        Kind.MERCHANT_PLEDGED,
        actor=actor,
        campaign=campaign,
        after={"merchant_id": merchant_id},
    )


def redemption_made(redemption, *, actor):
    return _record(
        Kind.REDEMPTION_MADE,
        actor=actor,
        redemption=redemption,
        after={
            "status": redemption.status,
            "flags": redemption.flags,
            "bill_fen": redemption.bill_fen,
            "face_fen": redemption.face_fen,
        },
    )


def redemption_refunded(
    redemption, *, actor, amount_fen: int, full: bool, before: str, cut_fen: int = 0
):
    return _record(
        Kind.REDEMPTION_REFUNDED,
        actor=actor,
        redemption=redemption,
        before={"status": before},
        after={
            "status": redemption.status,
            "amount_fen": amount_fen,
            "full": full,
            "refunded_fen": redemption.refunded_fen,
            "cut_fen": cut_fen,
        },
    )


def redemption_reviewed(redemption, *, actor, reason: str, before: str):
    return _record(
        Kind.REDEMPTION_REVIEWED,
        actor=actor,
        redemption=redemption,
        reason=reason,
        before={"status": before},
        after={"status": redemption.status},
    )


def vouchers_expired(round_, *, count: int, amount_fen: int):
    return _record(
        Kind.VOUCHERS_EXPIRED,
        actor=None,
        campaign=round_.campaign,
        round=round_,
        after={"count": count, "amount_fen": amount_fen},
    )


def settlement_made(settlement, *, actor):
    return _record(
        Kind.SETTLEMENT_MADE,
        actor=actor,
        after={
            "settlement_id": settlement.pk,
            "merchant_id": settlement.merchant_id,
            "amount_fen": settlement.amount_fen,
            "count": settlement.count,
            "business_date": settlement.business_date.isoformat(),
        },
    )


def settlement_paid(settlement, *, actor, before: str):
    return _record(
        Kind.SETTLEMENT_PAID,
        actor=actor,
        reason=settlement.payment_ref,
        before={"status": before},
        after={
            "settlement_id": settlement.pk,
            "status": settlement.status,
            "amount_fen": settlement.amount_fen,
            "payment_ref": settlement.payment_ref,
        },
    )


def lottery_drawn(round_, *, actor, seed: str, registrants: int, winners: int):
    return _record(
        Kind.LOTTERY_DRAWN,
        actor=actor,
        campaign=round_.campaign,
        round=round_,
        after={"seed": seed, "registrants": registrants, "winners": winners},
    )


def wallet_code_locked(resident, *, merchant_id: int, failures: int, until: str):
    return _record(
        Kind.WALLET_CODE_LOCKED,
        actor=None,
        resident=resident,
        reason=f"付款码{failures}次输错,已锁定",
        after={"merchant_id": merchant_id, "failures": failures, "locked_until": until},
    )
