"""One till for the community card and the vouchers: read a code, quote, pay, refund.

The shop's staff read what the customer shows:

- the digital card's rotating QR (`tokens`, ``QC1…``), scanned or typed;
- the wallet pay code (18 digits or ``QW1…``, `vouchers.codes`): a resident
  identified by it holds the card too;
- a printed household card: its number (``DJ`` + 10 digits) and PIN.

Every try goes through the till's one brute-force guard
(`redemptions.guard_till_attempt`): wrong codes and wrong PINs count against
the till and against the card or code they name, which locks after five.

With the bill, the quote shows the card price (the shop's rate, 5.5折 on ¥60
→ ¥33) and, when the resident also holds a usable voucher, the best
combination under the voucher's campaign stacking rule (`stacking`).
Confirming with an idempotency key records one `Visit` through
`visits.record_visit` (a voucher used: through the redemption, which records
the visit itself). No money moves through Quarter for the card price: the
shop simply charges less, so the ledger sees only the voucher, as before.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from quarter.card import access, services, stacking, tokens
from quarter.card.errors import CardErrorCode as Code
from quarter.card.models import Visit
from quarter.card.visits import record_visit, refund_visit
from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.core.money import format_yuan
from quarter.people.models import Household, Resident
from quarter.places.models import Merchant
from quarter.vouchers import ratelimit
from quarter.vouchers.errors import VoucherErrorCode as VCode
from quarter.vouchers.locks import lock_resident
from quarter.vouchers.models import Voucher
from quarter.vouchers.services import redemptions

CARD_NUMBER_RE = re.compile(r"^DJ\d{10}$")


@dataclass
class Holder:
    """Who is paying: a resident (phone card or wallet code) or a household card."""

    resident: Resident | None
    household: Household | None
    has_card: bool
    via: str  # "card_qr", "wallet" or "household_card"


@dataclass
class PaymentQuote:
    holder: Holder
    bill_fen: int
    card_permille: int | None
    option: stacking.Option
    voucher: Voucher | None
    card_only_fen: int | None  # what the card alone would leave to pay

    @property
    def payable_fen(self) -> int:
        return self.option.payable_fen

    @property
    def card_discount_fen(self) -> int:
        return self.option.card_discount_fen

    @property
    def voucher_face_fen(self) -> int:
        return self.option.voucher_face_fen

    @property
    def card_price_fen(self) -> int:
        return self.bill_fen - self.option.card_discount_fen

    @property
    def cofund_fen(self) -> int:
        """The shop's co-funded share of the voucher's face (0 without one)."""
        if not self.voucher:
            return 0
        return self.voucher.round.campaign.merchant_share_fen(self.voucher_face_fen)

    @property
    def stacking(self) -> str | None:
        return self.voucher.round.campaign.card_stacking if self.voucher else None

    @property
    def stacking_label(self) -> str:
        if not self.voucher:
            return ""
        return self.voucher.round.campaign.get_card_stacking_display()


def quote_payment(
    *, actor, merchant: Merchant, code: str, bill_fen: int, pin: str = ""
) -> PaymentQuote:
    """Read the code and price the bill; write nothing but the till's counters.

    Raises `shop_not_owned`, `bill_invalid`, `card_code_invalid`,
    `card_code_expired`, `card_pin_required`, `card_pin_wrong`,
    `card_pin_not_set`, the wallet code's `voucher_code_invalid`,
    `voucher_code_locked` and `rate_limited`, and, when the card gives
    nothing here, the voucher till's `no_applicable_voucher`,
    `daily_cap_reached` or `no_card_or_voucher`.
    """
    access.require_till(actor, merchant)
    _check_bill(bill_fen)
    now = clock.now()
    holder = identify(merchant=merchant, code=code, pin=pin, now=now)
    return _price(holder=holder, merchant=merchant, bill_fen=bill_fen, now=now)


def confirm_payment(
    *,
    actor,
    merchant: Merchant,
    code: str,
    bill_fen: int,
    key: str,
    expected_payable_fen: int | None = None,
    pin: str = "",
    device: str = "",
    ip: str | None = None,
) -> Visit:
    """Take the payment as quoted and record its visit; a retried key returns it.

    Re-reads the code (counted like a quote), then, under the resident's row
    lock, prices the bill again: if the payable differs from the quoted
    `expected_payable_fen` (a voucher used meanwhile, a rate changed) it
    raises `quote_changed` (409) and writes nothing. Raises the codes of
    `quote_payment`, `idempotency_key_required`, `idempotency_key_reused`.
    A voucher used: redemption, ledger and event as `redeem_voucher`, and
    the visit with the card discount; card only: the visit alone.
    """
    access.require_till(actor, merchant)
    key = (key or "").strip()
    if not key or len(key) > 80:
        raise DomainError(VCode.KEY_REQUIRED, "缺少幂等键", field="key")
    first = Visit.objects.filter(merchant=merchant, key=key).first()
    if first is not None:
        return _same_or_refuse(first, bill_fen)
    _check_bill(bill_fen)
    if expected_payable_fen is not None and type(expected_payable_fen) is not int:  # noqa: E721
        raise DomainError(
            Code.QUOTE_CHANGED, "应付金额格式不正确", field="expected_payable_fen"
        )
    now = clock.now()
    holder = identify(merchant=merchant, code=code, pin=pin, now=now)
    try:
        with transaction.atomic():
            if holder.resident is not None:
                holder.resident = lock_resident(holder.resident.pk)
            q = _price(holder=holder, merchant=merchant, bill_fen=bill_fen, now=now)
            if (
                expected_payable_fen is not None
                and q.payable_fen != expected_payable_fen
            ):
                raise DomainError(
                    Code.QUOTE_CHANGED,
                    f"优惠已变化,现应付{format_yuan(q.payable_fen)},请重新计算后确认",
                    status_code=409,
                )
            if q.voucher is not None:
                r = redemptions._do_redeem(
                    actor=actor,
                    merchant=merchant,
                    resident=holder.resident,
                    bill_fen=bill_fen,
                    key=key,
                    device=device,
                    ip=ip,
                    now=now,
                    voucher=q.voucher,
                    base_fen=q.option.base_fen,
                    card_discount_fen=q.card_discount_fen,
                )
                return Visit.objects.get(redemption=r)
            return record_visit(
                merchant=merchant,
                staff=actor,
                key=key,
                bill_fen=bill_fen,
                card_discount_fen=q.card_discount_fen,
                household=holder.household,
                resident=holder.resident,
            )
    except IntegrityError:
        first = Visit.objects.filter(merchant=merchant, key=key).first()
        if first is None:
            raise
        return _same_or_refuse(first, bill_fen)


def refund_payment(*, actor, visit: Visit, amount_fen: int) -> Visit:
    """Give back cash of a till payment, at most what was paid; the visit follows.

    A voucher used: `refund_redemption` (its rule: all of it restores the
    voucher) refunds the visit with it. Card only: `refund_visit`. Raises
    `shop_not_owned`, `refund_amount_invalid`, `visit_not_refundable`.
    """
    access.require_till(actor, visit.merchant)
    if type(amount_fen) is not int or amount_fen <= 0:  # noqa: E721
        raise DomainError(
            VCode.REFUND_INVALID, "请输入正确的退款金额", field="amount_fen"
        )
    if visit.redemption_id is not None:
        redemptions.refund_redemption(
            actor=actor, redemption=visit.redemption, amount_fen=amount_fen
        )
        return Visit.objects.get(pk=visit.pk)
    if visit.status == Visit.Status.REFUNDED:
        raise DomainError(Code.VISIT_NOT_REFUNDABLE, "这笔消费已全额退款")
    left = visit.payable_fen - visit.refunded_fen
    if amount_fen > left:
        raise DomainError(
            VCode.REFUND_INVALID,
            f"退款金额不能超过顾客实付的剩余部分({format_yuan(left)})",
            field="amount_fen",
            params={"max_fen": left},
        )
    return refund_visit(visit, refunded_fen=amount_fen)


# --- reading what the customer shows -------------------------------------------


def identify(*, merchant: Merchant, code: str, pin: str, now: dt.datetime) -> Holder:
    """Return who is paying, counting the try against the till's guard."""
    text = re.sub(r"\s", "", code or "")
    if tokens.looks_like_token(text):
        return _from_card_token(merchant, text, now)
    if CARD_NUMBER_RE.match(text.upper()):
        return _from_household_card(merchant, text.upper(), pin)
    resident_id = redemptions._resident_id_from_code(text, merchant=merchant, now=now)
    resident = (
        Resident.objects.select_related("household").filter(pk=resident_id).first()
    )
    if resident is None:
        raise redemptions._code_invalid()
    return Holder(resident, resident.household, access.has_card(resident), "wallet")


def _from_card_token(merchant: Merchant, text: str, now: dt.datetime) -> Holder:
    token = tokens.read(text, at=now.timestamp())
    subject = f"r{token.resident_id}" if token.resident_id else None
    redemptions.guard_till_attempt(merchant, subject)
    if token.state == "expired":
        redemptions.count_till_failure(merchant, subject)
        raise DomainError(
            Code.CARD_CODE_EXPIRED,
            "大家卡二维码已过期(超过1分钟),请顾客刷新卡面后重新出示,截图无效",
            field="code",
        )
    resident = None
    if token.state == "ok":
        resident = (
            Resident.objects.select_related("household")
            .filter(pk=token.resident_id, household_id=token.household_id)
            .first()
        )
    if resident is None or not access.has_card(resident):
        redemptions.count_till_failure(merchant, subject)
        raise DomainError(
            Code.CARD_CODE_INVALID,
            "无法识别的大家卡二维码(可能被改动或不属于本平台),请顾客重新出示",
            field="code",
        )
    return Holder(resident, resident.household, True, "card_qr")


def _from_household_card(merchant: Merchant, number: str, pin: str) -> Holder:
    household = Household.objects.filter(card_number=number).first()
    subject = f"h{household.pk}" if household else None
    redemptions.guard_till_attempt(merchant, subject)
    if not (pin or "").strip():
        raise DomainError(Code.CARD_PIN_REQUIRED, "家庭卡请输入6位密码", field="pin")
    matches = services.pin_matches(household, pin) if household else False
    if matches is None:
        raise DomainError(
            Code.CARD_PIN_NOT_SET,
            "这张家庭卡还没有设置密码,请到社区设置后使用",
            field="pin",
        )
    if not matches:
        failures = redemptions.count_till_failure(merchant, subject)
        limit = ratelimit.limit_of("code_fail")
        if household is not None and failures == limit:
            services.record_card_locked(
                household, merchant_id=merchant.pk, failures=limit
            )
        left = max(limit - failures, 0) if household else None
        more = f",还可再试{left}次" if left else ""
        raise DomainError(Code.CARD_PIN_WRONG, f"卡号或密码不正确{more}", field="pin")
    return Holder(None, household, True, "household_card")


# --- pricing ---------------------------------------------------------------------


def _price(
    *, holder: Holder, merchant: Merchant, bill_fen: int, now: dt.datetime
) -> PaymentQuote:
    rate = access.card_rate_of(merchant) if holder.has_card else None
    if rate is None:
        if holder.resident is None:
            raise DomainError(Code.NOTHING_TO_APPLY, "本店暂未开通大家卡优惠")
        # No card price here: the voucher till as it always was (its messages).
        voucher = redemptions._best_voucher(
            resident_id=holder.resident.pk,
            merchant=merchant,
            bill_fen=bill_fen,
            now=now,
        )
        option = stacking.Option(
            bill_fen, 0, voucher.pk, voucher.face_fen, bill_fen, False
        )
        return PaymentQuote(holder, bill_fen, None, option, voucher, None)
    vouchers = (
        redemptions.vouchers_within_cap(
            resident_id=holder.resident.pk, merchant=merchant, now=now
        )
        if holder.resident is not None
        else []
    )
    offers = [
        stacking.Offer(
            v.pk, v.threshold_fen, v.face_fen, v.round.campaign.card_stacking
        )
        for v in vouchers
    ]
    found = stacking.options(bill_fen=bill_fen, card_permille=rate, offers=offers)
    option = stacking.best(found)
    card_only = next(o for o in found if o.voucher_id is None)
    voucher = next((v for v in vouchers if v.pk == option.voucher_id), None)
    return PaymentQuote(holder, bill_fen, rate, option, voucher, card_only.payable_fen)


def _check_bill(bill_fen) -> None:
    redemptions._check_bill(bill_fen)


def _same_or_refuse(first: Visit, bill_fen) -> Visit:
    if first.bill_fen != bill_fen:
        raise DomainError(VCode.KEY_REUSED, "同一笔收款请求的金额不一致,请刷新后重试")
    return first
