"""Write side of the feed: searches noted, the item-item model retrained,
counters rebuilt from the visit log."""

from __future__ import annotations

from django.db import transaction

from quarter.card.models import Visit
from quarter.core.identity import pseudonym
from quarter.feed import counters, itemsim, selectors
from quarter.feed.models import (
    CompoundMerchantCount,
    ItemNeighbour,
    MerchantAffinity,
    TypeSlotCount,
)


def note_search(log) -> None:
    """Remember which business types a resident's own search asked for.

    The log names its searcher by a keyed pseudonym only; the resident is
    found among the residents of the search's compound, whose pseudonyms are
    computed here (a compound is a few hundred to a few thousand people).
    """
    if log.compound_id is None:
        return
    from quarter.people.models import Resident
    from quarter.places.intent import understand
    from quarter.places.models import BusinessType

    resident = next(
        (
            r
            for r in Resident.objects.filter(household__compound_id=log.compound_id)
            if pseudonym("user", r.user_id) == log.visitor
        ),
        None,
    )
    if resident is None:
        return
    codes = list(understand(log.query).types)
    type_ids = list(
        BusinessType.objects.filter(code__in=codes).values_list("pk", flat=True)
    )
    if type_ids:
        counters.count_search(resident=resident, query=log.query, type_ids=type_ids)


def train_neighbours() -> int:
    """Retrain the item-item model from the residents' counters; return pairs kept."""
    rows = list(
        MerchantAffinity.objects.filter(visits__gt=0).values_list(
            "resident_id", "merchant_id", "visits"
        )
    )
    model = itemsim.train(rows)
    with transaction.atomic():
        ItemNeighbour.objects.all().delete()
        ItemNeighbour.objects.bulk_create(
            [
                ItemNeighbour(merchant_id=m, neighbour_id=n, score=s)
                for m, pairs in model.items()
                for n, s in pairs
            ],
            batch_size=1000,
        )
    selectors.clear_cache()
    return sum(len(p) for p in model.values())


def rebuild_counters() -> int:
    """Recount every counter from the visit log (after a restore or a bug fix)."""
    with transaction.atomic():
        MerchantAffinity.objects.all().delete()
        CompoundMerchantCount.objects.all().delete()
        TypeSlotCount.objects.all().delete()
        n = 0
        for visit in (
            Visit.objects.exclude(status=Visit.Status.REFUNDED)
            .select_related("merchant")
            .order_by("occurred_at", "id")
            .iterator(chunk_size=500)
        ):
            counters.count_visit(visit)
            n += 1
    selectors.clear_cache()
    return n
