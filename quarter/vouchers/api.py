"""JSON API of the vouchers app (a django-ninja router, mounted under /api/)."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.responses import Status
from ninja.security import django_auth

from quarter.core import clock
from quarter.core.clientip import client_ip
from quarter.core.errors import DomainError
from quarter.core.money import format_yuan
from quarter.places.models import Merchant
from quarter.vouchers import access, codes, selectors
from quarter.vouchers.answers import claim_answer
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
    response={200: ClaimOut, 503: ErrorOut, **ERRORS},
    auth=django_auth,
)
def claim(request: HttpRequest, round_id: int):
    """Claim with the session: the same service and answer as the claim button."""
    round_ = selectors.get_round(round_id=round_id)
    try:
        result = claims.claim_packet(
            actor=request.user,
            round_=round_,
            ip=client_ip(request),
            device=request.headers.get("X-Device-Id", ""),
        )
    except DomainError as exc:
        result = exc
    return Status(*claim_answer(result))


@router.get("/vouchers/wallet", response={200: WalletOut, **ERRORS}, auth=django_auth)
def wallet(request: HttpRequest):
    """The wallet; reads only (packets Redis acknowledged are listed as pending)."""
    resident = claims.resident_of(request.user)
    at = clock.now().timestamp()
    vouchers = selectors.list_wallet(resident=resident)
    return {
        "code": codes.wallet_code(resident.pk, at=at),
        "token": codes.wallet_token(resident.pk, at=at),
        "code_seconds_left": codes.wallet_code_seconds_left(at=at),
        "vouchers": vouchers,
        "pending": selectors.list_pending_vouchers(
            resident=resident, known_round_ids={v.round_id for v in vouchers}
        ),
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
        ip=client_ip(request),
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
