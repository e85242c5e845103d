"""Counters the feed ranks from, kept up to date as events arrive.

Visits (card and voucher payments) and searches update these rows in the
event's own transaction (`counters.py`); the page only reads them. A
resident's own rows are read for that resident alone. Compound-level counts
name no one: the feed shows "同小区邻居常去" only once several different
residents stand behind a count (`ranking.MIN_NEIGHBOURS`). `ItemNeighbour` is
the item-item model, retrained in batch (`manage.py feed_train`).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from quarter.people.models import Resident
from quarter.places.models import BusinessType, Compound, Merchant

# Parts of the day the feed tells apart (hours, Asia/Shanghai).
SLOTS = ((5, 10), (10, 14), (14, 17), (17, 24))


def slot_of(hour: int) -> int:
    """The part of the day an hour belongs to; the night (0-5) counts as evening."""
    for i, (start, end) in enumerate(SLOTS):
        if start <= hour < end:
            return i
    return len(SLOTS) - 1


class MerchantAffinity(models.Model):
    """How often one resident paid at one shop (refunds taken back), and when."""

    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="feed_affinities"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    visits = models.IntegerField(default=0)
    # Visits per part of the day (SLOTS): [morning, midday, afternoon, evening].
    slot_visits = models.JSONField(default=list)
    vouchers = models.IntegerField(default=0)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "merchant"], name="feed_affinity_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident_id}→{self.merchant_id}: {self.visits}"


class SearchInterest(models.Model):
    """Business types a resident searched for (their own searches only)."""

    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="feed_searches"
    )
    business_type = models.ForeignKey(
        BusinessType, on_delete=models.CASCADE, related_name="+"
    )
    query = models.CharField(max_length=100)
    searches = models.IntegerField(default=0)
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "business_type"], name="feed_search_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.query} ×{self.searches}"


class CompoundMerchantCount(models.Model):
    """Visits from one compound to one shop, and how many residents made them."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    visits = models.IntegerField(default=0)
    visitors = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "merchant"], name="feed_compound_count_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.compound_id}→{self.merchant_id}: {self.visits}"


class TypeSlotCount(models.Model):
    """Visits per business type and part of the day, over everyone: when a type
    is wanted (breakfast in the morning), learned from the log."""

    business_type = models.ForeignKey(
        BusinessType, on_delete=models.CASCADE, related_name="+"
    )
    slot = models.PositiveSmallIntegerField()
    visits = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business_type", "slot"], name="feed_type_slot_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.business_type_id}@{self.slot}: {self.visits}"


class ItemNeighbour(models.Model):
    """Item-item similarity: residents who use `merchant` also use `neighbour`."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    neighbour = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "neighbour"], name="feed_neighbour_unique"
            )
        ]
        verbose_name = _("相似商户")
        verbose_name_plural = _("相似商户")

    def __str__(self) -> str:
        return f"{self.merchant_id}~{self.neighbour_id}: {self.score:.3f}"
