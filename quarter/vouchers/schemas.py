"""Input and output schemas of the vouchers API. Money is fen; `*_yuan` is text."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from quarter.core.money import format_yuan
from quarter.vouchers.inputs import RefundInput, ReviewInput, TillInput


class ErrorOut(Schema):
    code: str
    field: str | None
    message: str


class CouponOut(Schema):
    face_fen: int
    threshold_fen: int
    count: int
    label: str

    @staticmethod
    def resolve_label(obj) -> str:
        return f"满{format_yuan(obj.threshold_fen)}减{format_yuan(obj.face_fen)}"


class RoundOut(Schema):
    id: int
    campaign: str
    name: str
    release_at: dt.datetime
    claim_closes_at: dt.datetime
    valid_from: dt.datetime
    valid_until: dt.datetime
    packets_total: int
    packet_face_fen: int
    packet_face_yuan: str
    sold_out_at: dt.datetime | None
    coupons: list[CouponOut]

    @staticmethod
    def resolve_campaign(obj) -> str:
        return obj.campaign.name

    @staticmethod
    def resolve_packet_face_yuan(obj) -> str:
        return format_yuan(obj.packet_face_fen)

    @staticmethod
    def resolve_coupons(obj):
        return list(obj.coupons.all())


class ClaimOut(Schema):
    ok: bool
    code: str | None = Field(
        None, description="ok, already_claimed, registered or packet_sold_out"
    )
    repeated: bool = False
    message: str
    sold_out_at: str | None = None
    wallet_url: str | None = None
    id: str | None = Field(None, description="the engine's id of the claim")


class VoucherOut(Schema):
    id: int
    face_fen: int
    threshold_fen: int
    status: str
    valid_from: dt.datetime
    valid_until: dt.datetime
    round_id: int


class PendingVoucherOut(Schema):
    """A coupon of an acknowledged packet whose rows are still being written."""

    face_fen: int
    threshold_fen: int
    status: str
    valid_from: dt.datetime
    valid_until: dt.datetime
    round_id: int


class WalletOut(Schema):
    code: str = Field(..., description="顾客手输付款码(18位数字,60秒内有效)")
    token: str = Field(..., description="付款二维码内容(QW1开头的长令牌,60秒内有效)")
    code_seconds_left: int
    vouchers: list[VoucherOut]
    pending: list[PendingVoucherOut] = []


class TillIn(Schema):
    code: str = Field(
        ...,
        min_length=6,
        max_length=64,
        description="顾客付款码下方的18位数字,或扫码所得的QW1令牌",
    )
    bill_fen: int = Field(..., gt=0, le=10_000_000, description="消费金额(分)")

    def to_input(self) -> TillInput:
        return TillInput(code=self.code, bill_fen=self.bill_fen)


class RedeemIn(TillIn):
    key: str = Field(
        ..., min_length=1, max_length=80, description="幂等键:重试时保持不变"
    )


class QuoteOut(Schema):
    voucher_id: int
    bill_fen: int
    face_fen: int
    payable_fen: int
    payable_yuan: str
    cofund_fen: int = Field(0, description="the shop's co-funded share of face_fen")


class RedemptionOut(Schema):
    id: int
    status: str
    bill_fen: int
    face_fen: int
    cofund_fen: int = Field(0, description="the shop's co-funded share of face_fen")
    payable_fen: int
    payable_yuan: str
    refunded_fen: int
    flags: list[dict]

    @staticmethod
    def resolve_payable_yuan(obj) -> str:
        return format_yuan(obj.payable_fen)


class RefundIn(Schema):
    amount_fen: int = Field(..., gt=0, le=10_000_000)

    def to_input(self) -> RefundInput:
        return RefundInput(amount_fen=self.amount_fen)


class ReviewIn(Schema):
    release: bool
    reason: str = Field(..., min_length=2, max_length=300)

    def to_input(self) -> ReviewInput:
        return ReviewInput(release=self.release, reason=self.reason)


class RoundStatsOut(Schema):
    round_id: int
    packets: int
    claims: int
    sellout_seconds: float | None
    redeemed: int
    redemption_rate: float
    subsidy_fen: int
    driven_fen: int
    leverage: float | None
    curve: list[list[float]]
