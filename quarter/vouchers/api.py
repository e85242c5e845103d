"""JSON API of the vouchers app (django-ninja router; mounted under /api/ by quarter/api.py)."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.security import django_auth

from quarter.core import clock
from quarter.core.money import format_yuan
from quarter.places.models import Merchant
from quarter.vouchers import access, codes, selectors
from quarter.vouchers.models import Redemption
from quarter.vouchers.schemas import (
    ClaimOut,
    ErrorOut,
    QuoteOut,
    RedeemIn,
    RedemptionOut,
    RefundIn,
    ReviewIn,
    RoundOut,
    RoundStatsOut,
    TillIn,
    WalletOut,
)
from quarter.vouchers.services import claims, redemptions

router = Router(tags=["vouchers"])
ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: dict,
    429: ErrorOut,
}


@router.get("/vouchers/rounds", response=list[RoundOut])
def list_rounds(request: HttpRequest):
    return list(selectors.list_public_rounds())


@router.get("/vouchers/rounds/{round_id}", response={200: RoundOut, **ERRORS})
def get_round(request: HttpRequest, round_id: int):
    return selectors.get_round(round_id=round_id)


@router.get(
    "/vouchers/rounds/{round_id}/stats",
    response={200: RoundStatsOut, **ERRORS},
    auth=django_auth,
)
def round_stats(request: HttpRequest, round_id: int):
    round_ = selectors.get_round(round_id=round_id)
    access.require_issuer_of(request.user, round_.campaign)
    stats = selectors.round_stats(round_=round_)
    return {**stats, "round_id": round_.pk}


@router.post(
    "/vouchers/rounds/{round_id}/claim",
    response={200: ClaimOut, **ERRORS},
    auth=django_auth,
)
def claim(request: HttpRequest, round_id: int):
    round_ = selectors.get_round(round_id=round_id)
    out = claims.claim_packet(
        actor=request.user,
        round_=round_,
        ip=request.META.get("REMOTE_ADDR"),
        device=request.headers.get("X-Device-Id", "")[:64],
    )
    sold = (
        out.sold_out_at.astimezone(clock.SHANGHAI).strftime("%H:%M:%S")
        if out.sold_out_at
        else None
    )
    message = (
        "领取成功,已放入卡包"
        if out.ok
        else ("抢完了" if out.code == "packet_sold_out" else "领取失败")
    )
    return {
        "ok": out.ok,
        "code": out.code,
        "repeated": out.repeated,
        "message": message,
        "sold_out_at": sold,
    }


@router.get("/vouchers/wallet", response={200: WalletOut, **ERRORS}, auth=django_auth)
def wallet(request: HttpRequest):
    resident = claims.resident_of(request.user)
    claims.sync_wallet(resident=resident)
    at = clock.now().timestamp()
    return {
        "code": codes.wallet_code(resident.pk, at=at),
        "token": codes.wallet_token(resident.pk, at=at),
        "code_seconds_left": codes.wallet_code_seconds_left(at=at),
        "vouchers": selectors.list_wallet(resident=resident),
    }


@router.post(
    "/vouchers/till/{merchant_id}/quote",
    response={200: QuoteOut, **ERRORS},
    auth=django_auth,
)
def quote(request: HttpRequest, merchant_id: int, payload: TillIn):
    shop = get_object_or_404(Merchant, pk=merchant_id)
    q = redemptions.quote_redemption(
        actor=request.user, merchant=shop, code=payload.code, bill_fen=payload.bill_fen
    )
    return {
        "voucher_id": q.voucher.pk,
        "bill_fen": q.bill_fen,
        "face_fen": q.face_fen,
        "payable_fen": q.payable_fen,
        "payable_yuan": format_yuan(q.payable_fen),
        "cofund_fen": q.cofund_fen,
    }


@router.post(
    "/vouchers/till/{merchant_id}/redeem",
    response={200: RedemptionOut, **ERRORS},
    auth=django_auth,
)
def redeem(request: HttpRequest, merchant_id: int, payload: RedeemIn):
    shop = get_object_or_404(Merchant, pk=merchant_id)
    return redemptions.redeem_voucher(
        actor=request.user,
        merchant=shop,
        code=payload.code,
        bill_fen=payload.bill_fen,
        key=payload.key,
        device=request.headers.get("X-Device-Id", "")[:80],
        ip=request.META.get("REMOTE_ADDR"),
    )


@router.post(
    "/vouchers/redemptions/{redemption_id}/refund",
    response={200: RedemptionOut, **ERRORS},
    auth=django_auth,
)
def refund(request: HttpRequest, redemption_id: int, payload: RefundIn):
    r = get_object_or_404(Redemption, pk=redemption_id)
    return redemptions.refund_redemption(
        actor=request.user, redemption=r, amount_fen=payload.amount_fen
    )


@router.post(
    "/vouchers/redemptions/{redemption_id}/review",
    response={200: RedemptionOut, **ERRORS},
    auth=django_auth,
)
def review(request: HttpRequest, redemption_id: int, payload: ReviewIn):
    r = get_object_or_404(Redemption, pk=redemption_id)
    return redemptions.review_redemption(
        actor=request.user, redemption=r, release=payload.release, reason=payload.reason
    )
