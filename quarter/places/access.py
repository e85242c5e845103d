"""Who may see or do what in places: the only place its permissions are decided.

`is_*` / `can_*` answer a question; `require_*` raise `PermissionDenied` with a
code and a Chinese message. Services, views and the back office all call
these. The scopes at the bottom tell the back office (quarter.core.scope) how
each places model reaches a community.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from quarter.core import media, scope
from quarter.core.actors import is_person, is_system
from quarter.core.errors import PermissionDenied
from quarter.places.errors import PlacesErrorCode as Code
from quarter.places.models import (
    BusinessType,
    Community,
    Compound,
    CompoundEvent,
    District,
    Merchant,
    MerchantEvent,
    MerchantPhoto,
    MerchantSearchDocument,
    MerchantService,
    MerchantStaff,
    OpeningException,
    OpeningHours,
    SearchLog,
    StreetOffice,
)

# --- who reaches which communities ---


def reach_of(actor) -> scope.Reach:
    """Return the communities `actor` operates and the districts it issues for."""
    return scope.Reach(
        community_ids=frozenset(
            Community.objects.filter(operators__user=actor).values_list("pk", flat=True)
        ),
        district_ids=frozenset(
            District.objects.filter(issuers__user=actor).values_list("pk", flat=True)
        ),
    )


def communities_operated_by(actor) -> QuerySet[Community]:
    """Return the communities `actor` operates (every one for a superuser)."""
    qs = Community.objects.order_by("id")
    if _sees_all(actor):
        return qs
    if not is_person(actor):
        return qs.none()
    return qs.filter(operators__user=actor)


def communities_planned_by(actor) -> QuerySet[Community]:
    """Return the communities whose plans and measures `actor` may see.

    A district planner or the district's issuer (its commerce bureau) sees
    every community of the district; a street-office planner those of the
    street office; a superuser all. Operators plan their own community through
    `communities_operated_by`, not here.
    """
    qs = Community.objects.order_by("id")
    if _sees_all(actor):
        return qs
    if not is_person(actor):
        return qs.none()
    return qs.filter(
        Q(street_office__district__issuers__user=actor)
        | Q(
            street_office__district__planners__user=actor,
            street_office__district__planners__street_office__isnull=True,
        )
        | Q(street_office__planners__user=actor)
    ).distinct()


def operates_or_plans(actor, community: Community) -> bool:
    """Return whether `actor` operates `community` or plans the area holding it."""
    return (
        is_operator_of(actor, community)
        or communities_planned_by(actor).filter(pk=community.pk).exists()
    )


def plans_any(actor) -> bool:
    """Return whether `actor` is a district or street planner (or issuer)."""
    return communities_planned_by(actor).exists()


def _sees_all(actor) -> bool:
    return is_system(actor) or (is_person(actor) and actor.is_superuser)


# --- operators ---


def is_operator_of(actor, community: Community) -> bool:
    """Return whether `actor` works for `community` (superusers and SYSTEM do)."""
    if _sees_all(actor):
        return True
    if not is_person(actor):
        return False
    return actor.operator_roles.filter(community=community).exists()


def operates_any(actor) -> bool:
    """Return whether `actor` works for at least one community (or sees all)."""
    if _sees_all(actor):
        return True
    return is_person(actor) and actor.operator_roles.exists()


def require_operator_of(actor, community: Community, *, message: str = "") -> None:
    """Raise `not_community_operator` unless `actor` works for `community`."""
    if not is_operator_of(actor, community):
        raise PermissionDenied(
            Code.NOT_COMMUNITY_OPERATOR, message or "只有本社区的工作人员可以办理"
        )


# --- merchants' staff ---


def is_staff_of(actor, merchant: Merchant) -> bool:
    """Return whether `actor` is the owner or a till worker of `merchant`."""
    if not is_person(actor):
        return False
    return MerchantStaff.objects.filter(merchant=merchant, user=actor).exists()


def require_staff_of(actor, merchant: Merchant, *, code: str = "") -> None:
    """Raise `merchant_not_owned` (or `code`) unless `actor` works at `merchant`."""
    if not is_staff_of(actor, merchant):
        raise PermissionDenied(
            code or Code.MERCHANT_NOT_OWNED, "您不是这家店的工作人员"
        )


def can_manage_merchant(actor, merchant: Merchant) -> bool:
    """Return whether `actor` may change the merchant's profile and hours."""
    return is_staff_of(actor, merchant)


def list_merchants_for_staff(actor) -> QuerySet[Merchant]:
    """Return the merchants `actor` works at."""
    if not is_person(actor):
        return Merchant.objects.none()
    return Merchant.objects.filter(staff__user=actor).order_by("pk")


# --- any signed-in person ---


def require_signed_in(actor) -> None:
    """Raise `merchant_not_owned` (403) for an anonymous visitor or a missing actor."""
    if not is_person(actor):
        raise PermissionDenied(Code.MERCHANT_NOT_OWNED, "请先登录")


# --- back-office scopes ---

scope.declare(BusinessType, shared=True)
scope.declare(District, district="", community="streets__communities")
scope.declare(StreetOffice, district="district", community="communities")
scope.declare(Community, community="")
scope.declare(Compound, community="community")
scope.declare(CompoundEvent, community="community")
scope.declare(Merchant, community="community")
for _model in (
    MerchantEvent,
    MerchantPhoto,
    MerchantSearchDocument,
    MerchantService,
    MerchantStaff,
    OpeningException,
    OpeningHours,
):
    scope.declare(_model, community="merchant__community")
scope.declare(SearchLog, community="compound__community")

# A shop's photos are part of its public page.
media.public("merchants/")
