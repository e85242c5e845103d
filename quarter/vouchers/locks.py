"""Row locks of the vouchers app, always taken in primary-key order.

Two transactions that lock the same rows in the same order queue instead of
deadlocking (the same reason as saleor's giftcard lock_objects). Call inside
`transaction.atomic`.
"""

from __future__ import annotations

from quarter.people.models import Resident
from quarter.vouchers.models import Redemption, Round, Voucher


def lock_resident(resident_id: int) -> Resident | None:
    """Lock a resident's row: the till's redemptions of one wallet queue here.

    Taken first, before any voucher row, so the per-day cap and the choice of
    voucher are read by one till at a time for this resident.
    """
    # The household comes along (the visit names it); only the resident's row
    # is locked.
    return (
        Resident.objects.select_for_update(of=("self",))
        .select_related("household")
        .filter(pk=resident_id)
        .first()
    )


def lock_round(round_id: int) -> Round:
    return Round.objects.select_for_update().get(pk=round_id)


def lock_vouchers(voucher_ids) -> dict[int, Voucher]:
    rows = Voucher.objects.select_for_update().filter(pk__in=voucher_ids).order_by("pk")
    return {v.pk: v for v in rows}


def lock_redemption(redemption_id: int) -> Redemption:
    return Redemption.objects.select_for_update().get(pk=redemption_id)
