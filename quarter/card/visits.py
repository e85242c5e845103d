"""Write the visit log: the one place a payment at a till becomes a `Visit`.

The till (card, voucher, or both) calls `record_visit` after its own checks
(who may use this till, which code was shown); refunds call `refund_visit`.
Both send their signal inside the same transaction (see `signals.py`).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from quarter.card.models import Visit
from quarter.card.signals import visit_recorded, visit_refunded
from quarter.core import clock
from quarter.core.errors import DomainError


def record_visit(
    *,
    merchant,
    staff,
    key: str,
    bill_fen: int,
    card_discount_fen: int = 0,
    voucher_face_fen: int = 0,
    household=None,
    resident=None,
    redemption=None,
) -> Visit:
    """Record one payment and return its visit; a repeated (merchant, key) returns it.

    The method follows from what was used: a card discount, a voucher
    (`redemption`), or both. The customer's compound is taken from the
    household (the resident's, if only the resident is given).
    """
    existing = Visit.objects.filter(merchant=merchant, key=key).first()
    if existing is not None:
        return existing
    if bill_fen <= 0 or card_discount_fen < 0 or voucher_face_fen < 0:
        raise DomainError("visit_bad_amount", "金额不正确", field="bill")
    payable_fen = bill_fen - card_discount_fen - voucher_face_fen
    if payable_fen < 0:
        raise DomainError("visit_bad_amount", "优惠不能超过消费金额", field="bill")
    if household is None and resident is not None:
        household = resident.household
    if household is None and resident is None:
        raise DomainError("visit_no_customer", "没有持卡人或券的主人")
    if redemption is not None and card_discount_fen:
        method = Visit.Method.CARD_VOUCHER
    elif redemption is not None:
        method = Visit.Method.VOUCHER
    else:
        method = Visit.Method.CARD
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                merchant=merchant,
                household=household,
                resident=resident,
                compound_id=household.compound_id if household is not None else None,
                staff=staff,
                method=method,
                key=key,
                bill_fen=bill_fen,
                card_discount_fen=card_discount_fen,
                voucher_face_fen=voucher_face_fen,
                payable_fen=payable_fen,
                redemption=redemption,
                occurred_at=clock.now(),
            )
            visit_recorded.send(sender=Visit, visit=visit)
    except IntegrityError:
        return Visit.objects.get(merchant=merchant, key=key)
    return visit


def refund_visit(visit: Visit, *, refunded_fen: int | None = None) -> Visit:
    """Give `refunded_fen` of what the customer paid back (None: all that is left).

    The visit then reads partly or wholly refunded. Raises
    `visit_refund_too_much` if the refunds would pass what was paid, or if
    the visit is already wholly refunded.
    """
    with transaction.atomic():
        visit = Visit.objects.select_for_update().get(pk=visit.pk)
        if visit.status == Visit.Status.REFUNDED:
            raise DomainError("visit_refund_too_much", "这笔消费已全额退款")
        if refunded_fen is None:
            refunded_fen = visit.payable_fen - visit.refunded_fen
        elif refunded_fen <= 0:
            raise DomainError("visit_bad_amount", "退款金额应大于 0", field="amount")
        if visit.refunded_fen + refunded_fen > visit.payable_fen:
            raise DomainError(
                "visit_refund_too_much", "退款金额不能超过实付金额", field="amount"
            )
        visit.refunded_fen += refunded_fen
        visit.status = (
            Visit.Status.REFUNDED
            if visit.refunded_fen == visit.payable_fen
            and (refunded_fen or visit.payable_fen == 0)
            else Visit.Status.PARTLY_REFUNDED
        )
        visit.save(update_fields=["refunded_fen", "status"])
        visit_refunded.send(sender=Visit, visit=visit, refunded_fen=refunded_fen)
    return visit
