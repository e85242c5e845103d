"""Reads of reviews: averages, recent reviews, what a resident may rate, star inputs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum

from quarter.card.models import Visit
from quarter.core import clock
from quarter.places.models import Merchant
from quarter.reviews import scoring
from quarter.reviews.models import (
    EvaluationResult,
    Rating,
    RatingStatus,
)
from quarter.vouchers.models import Redemption

DEFAULT_PRIOR = 3.0
# A redemption that does not count as a purchase (and so allows no rating).
DEAD_REDEMPTIONS = (Redemption.Status.REJECTED, Redemption.Status.REFUNDED)


def rating_window() -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, "QUARTER_REVIEWS_WINDOW_DAYS", 30)))


# --- averages ---------------------------------------------------------------


def _counted(qs: QuerySet[Rating]) -> QuerySet[Rating]:
    return qs.filter(status=RatingStatus.VISIBLE)


def _sum_and_count(qs: QuerySet[Rating]) -> tuple[float, int]:
    row = _counted(qs).aggregate(
        total=Sum(F("quality") + F("service") + F("price")), n=Count("id")
    )
    return (row["total"] or 0) / 3, row["n"]


def get_community_mean(*, community_id: int) -> float:
    """Return the mean stars of the community's counted ratings (3.0 if none)."""
    total, count = _sum_and_count(
        Rating.objects.filter(merchant__community_id=community_id)
    )
    return total / count if count else DEFAULT_PRIOR


@dataclass
class Average:
    smoothed: float  # what pages show (see scoring's docstring)
    count: int  # counted ratings
    raw: float | None  # the plain mean of counted ratings, None without any


def get_merchant_average(
    *, merchant: Merchant, prior: float | None = None, before: dt.datetime | None = None
) -> Average:
    """Return the merchant's Bayesian-smoothed average, count and plain mean."""
    if prior is None:
        prior = get_community_mean(community_id=merchant.community_id)
    qs = Rating.objects.filter(merchant=merchant)
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    total, count = _sum_and_count(qs)
    return Average(
        smoothed=scoring.smoothed(
            total=total, count=count, prior=prior, weight=scoring.prior_weight()
        ),
        count=count,
        raw=total / count if count else None,
    )


def list_recent_reviews(*, merchant: Merchant, limit: int = 10) -> list[Rating]:
    """Return the merchant's latest visible ratings with photos and replies."""
    return list(
        Rating.objects.filter(merchant=merchant, status=RatingStatus.VISIBLE)
        .select_related("author__resident")
        .prefetch_related("photos")[:limit]
    )


# --- what a resident may rate ----------------------------------------------


def list_rateable_visits(*, resident, merchant: Merchant) -> QuerySet[Visit]:
    """Return the resident's unrated visits at `merchant` in the rating window.

    A visit is theirs when they are its resident, or when it names no resident
    and their household (a printed household card). Wholly refunded visits
    do not count, nor visits whose voucher payment was refunded or rejected
    after risk review (the till records a visit for every voucher payment).
    """
    since = clock.now() - rating_window()
    mine = Q(resident=resident)
    if resident.household_id is not None:
        mine |= Q(resident__isnull=True, household_id=resident.household_id)
    return (
        Visit.objects.filter(mine, merchant=merchant, occurred_at__gte=since)
        .exclude(status=Visit.Status.REFUNDED)
        .exclude(redemption__status__in=DEAD_REDEMPTIONS)
        .filter(rating__isnull=True)
        .exclude(redemption__rating__isnull=False)
        .order_by("occurred_at", "id")
    )


def list_rateable_redemptions(*, resident, merchant: Merchant) -> QuerySet[Redemption]:
    """Return the resident's unrated voucher payments at `merchant` in the window.

    A redemption that became a visit is rated through that visit.
    """
    since = clock.now() - rating_window()
    return (
        Redemption.objects.filter(
            resident=resident, merchant=merchant, created_at__gte=since
        )
        .exclude(status__in=DEAD_REDEMPTIONS)
        .filter(rating__isnull=True, visit__isnull=True)
        .order_by("created_at", "id")
    )


def count_rateable(*, resident, merchant: Merchant) -> int:
    """Return how many ratings the resident may still give `merchant`."""
    return (
        list_rateable_visits(resident=resident, merchant=merchant).count()
        + list_rateable_redemptions(resident=resident, merchant=merchant).count()
    )


# --- stars ------------------------------------------------------------------


def get_stars(*, merchant_ids) -> dict[int, int]:
    """Return each merchant's stars from its community's latest evaluation."""
    stars: dict[int, int] = {}
    rows = (
        EvaluationResult.objects.filter(merchant_id__in=list(merchant_ids))
        .order_by("merchant_id", "-evaluation__year", "-id")
        .values_list("merchant_id", "stars")
    )
    for merchant_id, value in rows:
        stars.setdefault(merchant_id, value)
    return stars


def get_latest_result(*, merchant: Merchant) -> EvaluationResult | None:
    return (
        EvaluationResult.objects.filter(merchant=merchant)
        .select_related("evaluation")
        .order_by("-evaluation__year", "-id")
        .first()
    )


def count_visits(*, merchant: Merchant, start: dt.datetime, end: dt.datetime) -> int:
    """Return the merchant's visits in [start, end), wholly refunded ones left out."""
    return (
        Visit.objects.filter(
            merchant=merchant, occurred_at__gte=start, occurred_at__lt=end
        )
        .exclude(status=Visit.Status.REFUNDED)
        .count()
    )


def count_upheld_fraud_flags(
    *, merchant: Merchant, start: dt.datetime, end: dt.datetime
) -> int:
    """Return the redemptions at `merchant` an operator rejected after risk review."""
    return Redemption.objects.filter(
        merchant=merchant,
        status=Redemption.Status.REJECTED,
        reviewed_at__isnull=False,
        created_at__gte=start,
        created_at__lt=end,
    ).count()


def list_moderation_queue(*, communities) -> QuerySet[Rating]:
    """Return ratings of these communities: flagged first, then the newest."""
    return (
        Rating.objects.filter(merchant__community__in=communities)
        .select_related("merchant")
        .order_by(
            # flagged < hidden < visible alphabetically: flagged first
            "status",
            "-created_at",
        )
    )


# --- what other apps' pages show ------------------------------------------------


def get_merchant_summary(*, merchant: Merchant, actor) -> dict:
    """Return what the merchant page shows: average, count, recent reviews, stars."""
    from quarter.reviews import access

    return {
        "average": get_merchant_average(merchant=merchant),
        "recent": list_recent_reviews(merchant=merchant),
        "stars": get_stars(merchant_ids=[merchant.pk]).get(merchant.pk),
        "can_rate": access.resident_of(actor) is not None
        and not access.places_access.is_staff_of(actor, merchant),
    }


def add_stars(rows: list[dict]) -> list[dict]:
    """Give each map row (with an `id`) its `stars` (None without an evaluation)."""
    stars = get_stars(merchant_ids=[row["id"] for row in rows])
    for row in rows:
        row["stars"] = stars.get(row["id"])
    return rows
