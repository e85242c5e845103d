"""JSON API of the one till: read the card (or pay code), quote, confirm, refund.

The same services as the till page (`payments`). Bad input: 422
`invalid_input` with the field; a refused code, bill or PIN: 400 with the
service's code; a changed quote: 409; the brute-force guard: 429.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.security import django_auth
from pydantic import Field

from quarter.card import payments
from quarter.card.models import Visit
from quarter.core.clientip import client_ip
from quarter.core.money import format_yuan
from quarter.places.models import Merchant

router = Router(tags=["card"])


class ErrorOut(Schema):
    code: str
    field: str | None
    message: str


ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: dict,
    429: ErrorOut,
}


class PayIn(Schema):
    code: str = Field(
        ...,
        min_length=6,
        max_length=64,
        description="大家卡二维码(QC1…)、付款码(18位或QW1…)或家庭卡号(DJ+10位)",
    )
    pin: str = Field("", max_length=6, description="家庭卡密码(仅家庭卡)")
    bill_fen: int = Field(..., gt=0, le=10_000_000, description="消费金额(分)")


class ConfirmIn(PayIn):
    key: str = Field(..., min_length=1, max_length=80, description="幂等键")
    expected_payable_fen: int = Field(
        ..., ge=0, le=10_000_000, description="报价的应付金额(分),不一致则409"
    )


class RefundIn(Schema):
    amount_fen: int = Field(..., gt=0, le=10_000_000)


class PaymentQuoteOut(Schema):
    bill_fen: int
    card_permille: int | None
    card_discount_fen: int
    voucher_id: int | None
    voucher_face_fen: int
    stacking: str | None
    payable_fen: int
    payable_yuan: str
    card_only_fen: int | None


class VisitOut(Schema):
    id: int
    method: str
    status: str
    bill_fen: int
    card_discount_fen: int
    voucher_face_fen: int
    payable_fen: int
    payable_yuan: str
    refunded_fen: int
    redemption_id: int | None

    @staticmethod
    def resolve_payable_yuan(obj) -> str:
        return format_yuan(obj.payable_fen)


@router.post(
    "/card/till/{merchant_id}/quote",
    response={200: PaymentQuoteOut, **ERRORS},
    auth=django_auth,
)
def quote(request: HttpRequest, merchant_id: int, payload: PayIn):
    shop = get_object_or_404(Merchant, pk=merchant_id)
    q = payments.quote_payment(
        actor=request.user,
        merchant=shop,
        code=payload.code,
        pin=payload.pin,
        bill_fen=payload.bill_fen,
    )
    return {
        "bill_fen": q.bill_fen,
        "card_permille": q.card_permille,
        "card_discount_fen": q.card_discount_fen,
        "voucher_id": q.voucher.pk if q.voucher else None,
        "voucher_face_fen": q.voucher_face_fen,
        "stacking": q.stacking,
        "payable_fen": q.payable_fen,
        "payable_yuan": format_yuan(q.payable_fen),
        "card_only_fen": q.card_only_fen,
    }


@router.post(
    "/card/till/{merchant_id}/confirm",
    response={200: VisitOut, **ERRORS},
    auth=django_auth,
)
def confirm(request: HttpRequest, merchant_id: int, payload: ConfirmIn):
    shop = get_object_or_404(Merchant, pk=merchant_id)
    return payments.confirm_payment(
        actor=request.user,
        merchant=shop,
        code=payload.code,
        pin=payload.pin,
        bill_fen=payload.bill_fen,
        key=payload.key,
        expected_payable_fen=payload.expected_payable_fen,
        device=request.headers.get("X-Device-Id", "")[:80],
        ip=client_ip(request),
    )


@router.post(
    "/card/visits/{visit_id}/refund",
    response={200: VisitOut, **ERRORS},
    auth=django_auth,
)
def refund(request: HttpRequest, visit_id: int, payload: RefundIn):
    visit = get_object_or_404(Visit, pk=visit_id)
    return payments.refund_payment(
        actor=request.user, visit=visit, amount_fen=payload.amount_fen
    )
