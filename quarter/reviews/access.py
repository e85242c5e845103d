"""Who may see or do what in reviews: the only place its permissions are decided.

Residents rate (only where they paid, decided in services from the visit
log); a merchant's staff reply to its ratings and read its star breakdown;
operators of the merchant's community moderate ratings and run the star
evaluation. Superusers and SYSTEM pass every operator check (places.access).
"""

from __future__ import annotations

from django.db.models import QuerySet

from quarter.core import media, scope
from quarter.core.actors import is_person
from quarter.core.errors import DomainError, PermissionDenied
from quarter.places import access as places_access
from quarter.places.models import Community, Merchant
from quarter.reviews.errors import ReviewErrorCode as Code
from quarter.reviews.models import (
    Evaluation,
    EvaluationResult,
    Rating,
    RatingPhoto,
    RatingStatus,
    ReviewEvent,
)


def resident_of(actor):
    """Return the actor's resident profile, or None."""
    if not is_person(actor):
        return None
    return getattr(actor, "resident", None)


def require_resident(actor):
    """Return the actor's resident profile; raise `not_a_resident` otherwise."""
    resident = resident_of(actor)
    if resident is None:
        raise PermissionDenied(Code.NOT_A_RESIDENT, "只有本社区居民可以评价商户")
    return resident


def require_not_own_merchant(actor, merchant: Merchant) -> None:
    """Raise `cannot_rate_own_merchant` for the merchant's owner or staff."""
    if places_access.is_staff_of(actor, merchant):
        raise PermissionDenied(Code.OWN_MERCHANT, "商户人员不能评价自己的店")


def require_replier(actor, merchant: Merchant) -> None:
    """Raise `not_merchant_staff` unless `actor` works at `merchant`."""
    if not places_access.is_staff_of(actor, merchant):
        raise PermissionDenied(
            Code.NOT_MERCHANT_STAFF, "只有本店的工作人员可以回复评价"
        )


def can_reply(actor, merchant: Merchant) -> bool:
    return places_access.is_staff_of(actor, merchant)


def can_moderate(actor, merchant: Merchant) -> bool:
    return places_access.is_operator_of(actor, merchant.community)


def require_moderator(actor, merchant: Merchant) -> None:
    """Raise `not_community_operator` unless `actor` runs the shop's community."""
    if not can_moderate(actor, merchant):
        raise PermissionDenied(
            Code.NOT_COMMUNITY_OPERATOR, "只有本社区的工作人员可以管理评价"
        )


def require_any_operator(actor) -> None:
    """Raise `not_community_operator` unless `actor` operates some community."""
    if not places_access.operates_any(actor):
        raise PermissionDenied(Code.NOT_COMMUNITY_OPERATOR, "只有社区工作人员可以办理")


def require_evaluator(actor, community: Community) -> None:
    """Raise `not_community_operator` unless `actor` operates `community`."""
    if not places_access.is_operator_of(actor, community):
        raise PermissionDenied(
            Code.NOT_COMMUNITY_OPERATOR, "只有本社区的工作人员可以办理评星"
        )


def communities_for(actor) -> QuerySet[Community]:
    """Return the communities whose ratings and evaluations `actor` handles."""
    return places_access.communities_operated_by(actor)


def can_view_stars(actor, merchant: Merchant) -> bool:
    """Return whether `actor` may read the merchant's star breakdown."""
    return places_access.is_staff_of(actor, merchant) or places_access.is_operator_of(
        actor, merchant.community
    )


def require_stars_viewer(actor, merchant: Merchant) -> None:
    if not can_view_stars(actor, merchant):
        raise PermissionDenied(
            Code.NOT_MERCHANT_STAFF, "只有本店人员和社区工作人员可以查看评星明细"
        )


def require_listed(merchant: Merchant) -> None:
    """Raise `merchant_not_listed` (404) for a merchant not on the map."""
    if not merchant.is_listed:
        raise DomainError(
            Code.MERCHANT_NOT_LISTED, "商户不存在或未入驻", status_code=404
        )


scope.declare(Evaluation, community="community")
scope.declare(EvaluationResult, community="evaluation__community")
scope.declare(Rating, community="merchant__community")
scope.declare(RatingPhoto, community="rating__merchant__community")
scope.declare(ReviewEvent, community="community")


# --- rating photos under /media/ratings/ ---


def may_read_rating_photo(actor, name: str) -> bool:
    """A rating's photos are as public as the rating: hidden or flagged ones
    only for their author and the shop's moderators."""
    photo = (
        RatingPhoto.objects.filter(image=name)
        .select_related("rating__merchant")
        .first()
    )
    if photo is None:
        return False
    rating = photo.rating
    if rating.status == RatingStatus.VISIBLE and rating.merchant.is_listed:
        return True
    if is_person(actor) and rating.author_id == actor.pk:
        return True
    return can_moderate(actor, rating.merchant)


media.protect("ratings/", may_read_rating_photo)
