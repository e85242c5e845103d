"""Who may do what with the community card: the card app's permission decisions.

Residents see their own card; a household's printed card and its PIN are
managed by a resident of the household or an operator of its community; the
till (card and vouchers alike) is its shop's staff's (`vouchers.access`).
Which customer gets the card price is decided here too. The scopes at the
bottom tell the back office how card models reach a community.
"""

from __future__ import annotations

from django.db.models import QuerySet

from quarter.card.errors import CardErrorCode as Code
from quarter.card.models import CardEvent, CardPin, Visit
from quarter.core import scope
from quarter.core.actors import is_person
from quarter.core.errors import PermissionDenied
from quarter.people.access import resident_or_none
from quarter.people.models import Household, Resident
from quarter.places.access import is_operator_of
from quarter.places.models import Admission, Merchant
from quarter.vouchers.access import can_redeem_at, require_till_staff
from quarter.vouchers.errors import VoucherErrorCode

# --- residents: their own card ---


def card_holder(actor) -> Resident | None:
    """Return the actor's resident profile if it holds a digital card, else None."""
    resident = resident_or_none(actor)
    return resident if resident is not None and has_card(resident) else None


def has_card(resident: Resident) -> bool:
    """Return whether a resident holds the card: verified, with a household."""
    return resident.verified_at is not None and resident.household_id is not None


def require_card_holder(actor) -> Resident:
    """Return the actor's resident profile; `no_community_card` (403) if no card."""
    resident = card_holder(actor)
    if resident is None:
        raise PermissionDenied(Code.NO_CARD, "完成实名认证并登记住址后才有大家卡")
    return resident


# --- households: the printed card and its PIN ---


def can_manage_household_card(actor, household: Household) -> bool:
    """Return whether `actor` may print the card and set its PIN.

    A verified resident of the household may, and the operators of its
    community (for elderly residents without a phone).
    """
    if not is_person(actor):
        return False
    resident = resident_or_none(actor)
    if resident is not None and resident.household_id == household.pk:
        return resident.verified_at is not None
    return is_operator_of(actor, household.compound.community)


def require_household_card_manager(actor, household: Household) -> None:
    """Raise `not_card_manager` unless `actor` may manage the household's card."""
    if not can_manage_household_card(actor, household):
        raise PermissionDenied(
            Code.NOT_CARD_MANAGER, "只有本户居民或本社区工作人员可以管理这张家庭卡"
        )


def households_managed_by(actor) -> QuerySet[Household]:
    """Return the households whose cards `actor` may manage (operators' communities)."""
    qs = Household.objects.select_related("compound__community")
    return scope.limit(qs, actor)


# --- the till ---


def require_till(actor, merchant: Merchant) -> None:
    """Raise `shop_not_owned` unless `actor` works at the shop's till, and
    `merchant_not_eligible` unless the shop is admitted (a shop removed after
    the star evaluation, or not yet approved, takes neither card nor voucher)."""
    require_till_staff(actor, merchant)
    if merchant.admission != Admission.APPROVED:
        raise PermissionDenied(
            VoucherErrorCode.MERCHANT_NOT_ELIGIBLE,
            "本店不在社区便民商户名单中(未入驻或已清退),不能使用大家卡和消费券",
        )


def can_refund_visit(actor, visit: Visit) -> bool:
    return can_redeem_at(actor, visit.merchant)


def card_rate_of(merchant: Merchant) -> int | None:
    """Return the shop's card rate in permille if it takes the card now, else None."""
    if merchant.admission != Admission.APPROVED:
        return None
    return merchant.card_discount_permille


# --- back-office scopes ---

_HOUSEHOLD_COMMUNITY = "household__compound__community"
scope.declare(CardPin, community=_HOUSEHOLD_COMMUNITY, issuers_via_community=False)
scope.declare(CardEvent, community=_HOUSEHOLD_COMMUNITY, issuers_via_community=False)


def require_card_operator(actor) -> None:
    """Raise `not_card_manager` unless `actor` operates a community."""
    from quarter.places.access import operates_any

    if not operates_any(actor):
        raise PermissionDenied(Code.NOT_CARD_MANAGER, "只有社区工作人员可以查找家庭卡")
