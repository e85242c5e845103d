"""Who may read the visit log (联系本): operators, a shop's staff, residents.

- An operator reads the log of the communities they work for (a superuser
  every community's), never another community's merchants.
- A shop's staff read their own shop's log only.
- A resident reads their own visits and the visits paid with their
  household's printed card (which name no person), nobody else's.

The card app's own `access.py` (card and till) is kept apart while both are
being written; the integrator may fold this module into it.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from quarter.card.log_errors import VisitLogErrorCode as Code
from quarter.card.models import Visit
from quarter.core.errors import NotFound, PermissionDenied
from quarter.core.numbers import MAX_INT
from quarter.people.access import resident_or_none
from quarter.places.access import (
    communities_operated_by,
    is_operator_of,
    is_staff_of,
    list_merchants_for_staff,
    operates_any,
)
from quarter.places.models import Community, Merchant

# --- operators ---


def log_communities_for(actor) -> QuerySet[Community]:
    """Return the communities whose visit log `actor` may read."""
    return communities_operated_by(actor)


def require_log_reader(actor) -> None:
    """Raise `not_community_operator` unless `actor` operates some community."""
    if not operates_any(actor):
        raise PermissionDenied(
            Code.NOT_LOG_OPERATOR, "只有社区工作人员可以查看社区联系本"
        )


def require_log_operator_of(actor, community: Community) -> None:
    """Raise `not_community_operator` unless `actor` works for `community`."""
    if not is_operator_of(actor, community):
        raise PermissionDenied(
            Code.NOT_LOG_OPERATOR, "只有本社区的工作人员可以查看本社区的联系本"
        )


def get_log_community(actor, *, slug: str) -> Community:
    """Return community `slug` if `actor` may read its log.

    Raises `unknown_community` (404), `not_community_operator` (403).
    """
    community = Community.objects.filter(slug=slug).first()
    if community is None:
        raise NotFound(Code.UNKNOWN_COMMUNITY, "没有这个社区", field="community")
    require_log_operator_of(actor, community)
    return community


# --- a shop's staff ---


def log_shops_for(actor) -> QuerySet[Merchant]:
    """Return the shops whose own log `actor` may read (where they work)."""
    return list_merchants_for_staff(actor)


def require_shop_log_reader(actor) -> None:
    """Raise `merchant_not_owned` unless `actor` works at some shop."""
    if not log_shops_for(actor).exists():
        raise PermissionDenied(
            Code.NOT_SHOP_STAFF, "只有商户的工作人员可以查看本店联系本"
        )


def require_shop_staff(actor, merchant: Merchant) -> None:
    """Raise `merchant_not_owned` unless `actor` works at `merchant`."""
    if not is_staff_of(actor, merchant):
        raise PermissionDenied(Code.NOT_SHOP_STAFF, "您不是这家店的工作人员")


def get_log_shop(actor, *, merchant_id: int) -> Merchant:
    """Return shop `merchant_id` if `actor` works there.

    Raises `unknown_merchant` (404), `merchant_not_owned` (403).
    """
    merchant = None
    if 0 < merchant_id <= MAX_INT:
        merchant = Merchant.objects.filter(pk=merchant_id).first()
    if merchant is None:
        raise NotFound(Code.UNKNOWN_MERCHANT, "没有这家商户", field="merchant")
    require_shop_staff(actor, merchant)
    return merchant


# --- residents ---


def visits_of_resident(actor) -> QuerySet[Visit]:
    """Return the visits `actor` may see as a resident.

    Their own (phone card or voucher) and their household's printed-card
    visits, which name no person. Raises `not_a_resident` (403).
    """
    resident = resident_or_none(actor)
    if resident is None:
        raise PermissionDenied(Code.NOT_A_RESIDENT, "只有居民账号可以查看到店记录")
    mine = Q(resident=resident)
    if resident.household_id:
        mine |= Q(resident__isnull=True, household_id=resident.household_id)
    return Visit.objects.filter(mine)
