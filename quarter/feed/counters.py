"""Update the feed's counters from one event: a visit, a refund, a search.

Called by the signal receivers inside the event's transaction, so a counter
commits or rolls back with the payment. Rows grow with `F()` updates or under
a row lock, never read-modify-write unguarded, so two tills at once count both.
A wholly refunded visit is taken back; a partial refund leaves the visit
counted (the customer still came).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from quarter.core import clock
from quarter.feed.models import (
    SLOTS,
    CompoundMerchantCount,
    MerchantAffinity,
    SearchInterest,
    TypeSlotCount,
    slot_of,
)


def count_visit(visit, *, sign: int = 1) -> None:
    """Add (sign=1) or take back (sign=-1) one visit in every counter it touches."""
    slot = slot_of(visit.occurred_at.astimezone(clock.SHANGHAI).hour)
    merchant = visit.merchant
    new_visitor = False
    if visit.resident_id is not None:
        new_visitor = _count_affinity(visit, slot, sign)
    compound_id = visit.compound_id
    if compound_id is not None:
        _upsert(
            CompoundMerchantCount,
            {"compound_id": compound_id, "merchant_id": merchant.pk},
            visits=sign,
            visitors=sign if new_visitor else 0,
        )
    _upsert(
        TypeSlotCount,
        {"business_type_id": merchant.main_type_id, "slot": slot},
        visits=sign,
    )


def _count_affinity(visit, slot: int, sign: int) -> bool:
    """Count the visit for its resident; True when the resident is new to (or,
    taking back, gone from) the shop."""
    keys = {"resident_id": visit.resident_id, "merchant_id": visit.merchant_id}
    row = MerchantAffinity.objects.select_for_update().filter(**keys).first()
    voucher = 1 if visit.redemption_id else 0
    if row is None:
        if sign < 0:
            return False
        slots = [0] * len(SLOTS)
        slots[slot] = 1
        try:
            with transaction.atomic():
                MerchantAffinity.objects.create(
                    **keys,
                    visits=1,
                    slot_visits=slots,
                    vouchers=voucher,
                    first_at=visit.occurred_at,
                    last_at=visit.occurred_at,
                )
            return True
        except IntegrityError:  # another till created it meanwhile
            row = MerchantAffinity.objects.select_for_update().get(**keys)
    slots = list(row.slot_visits) or [0] * len(SLOTS)
    slots[slot] = max(0, slots[slot] + sign)
    row.visits = max(0, row.visits + sign)
    row.vouchers = max(0, row.vouchers + sign * voucher)
    row.slot_visits = slots
    if sign > 0:
        row.last_at = max(row.last_at, visit.occurred_at)
    row.save(update_fields=["visits", "vouchers", "slot_visits", "last_at"])
    if row.visits == 0 and sign < 0:
        row.delete()
        return True
    return False


def _upsert(model, keys: dict, **increments) -> None:
    for _attempt in range(3):
        updated = model.objects.filter(**keys).update(
            **{name: F(name) + value for name, value in increments.items()}
        )
        if updated:
            return
        if all(v <= 0 for v in increments.values()):
            return  # nothing to take back from
        try:
            with transaction.atomic():
                model.objects.create(**keys, **increments)
            return
        except IntegrityError:
            continue
    raise RuntimeError(f"could not count {model.__name__} {keys}")


def count_refund(visit, refunded_fen: int) -> None:
    """A refund that leaves nothing paid takes the visit back."""
    if visit.status == visit.Status.REFUNDED:
        count_visit(visit, sign=-1)


def count_search(*, resident, query: str, type_ids: list[int]) -> None:
    """Remember the business types a resident's own search asked for."""
    now = clock.now()
    for type_id in type_ids:
        keys = {"resident_id": resident.pk, "business_type_id": type_id}
        updated = SearchInterest.objects.filter(**keys).update(
            searches=F("searches") + 1, query=query[:100], last_at=now
        )
        if updated:
            continue
        try:
            with transaction.atomic():
                SearchInterest.objects.create(
                    **keys, searches=1, query=query[:100], last_at=now
                )
        except IntegrityError:
            SearchInterest.objects.filter(**keys).update(
                searches=F("searches") + 1, last_at=now
            )
