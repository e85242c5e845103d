"""Who may do what with vouchers: the only place the vouchers app decides permissions.

Grouped by who acts: residents (claim), merchants (till, pledge), operators
(review), issuers (campaigns, rounds, settlement), then who may read a
settlement statement. `require_*` raise `PermissionDenied` with a code from
`errors.py`; services, views, the API and the back office call the same
functions. The scopes at the bottom tell the back office how each vouchers
model reaches a community or district.
"""

from __future__ import annotations

from django.db.models import QuerySet

from quarter.core import scope
from quarter.core.actors import is_person, is_system
from quarter.core.errors import PermissionDenied
from quarter.people.models import Issuer
from quarter.places.access import is_operator_of, is_staff_of, operates_any
from quarter.places.models import Merchant
from quarter.vouchers.errors import VoucherErrorCode as Code
from quarter.vouchers.models import (
    Campaign,
    Claim,
    LotteryEntry,
    MerchantPledge,
    Redemption,
    Round,
    RoundCoupon,
    Settlement,
    StockShard,
    Voucher,
    VoucherEvent,
)

# --- merchants: the till ---


def can_redeem_at(actor, merchant: Merchant) -> bool:
    """Return whether `actor` may quote, redeem and refund at `merchant`'s till."""
    return is_staff_of(actor, merchant)


def require_till_staff(actor, merchant: Merchant) -> None:
    """Raise `shop_not_owned` unless `actor` works at `merchant`."""
    if not can_redeem_at(actor, merchant):
        raise PermissionDenied(Code.SHOP_NOT_OWNED, "您不是这家店的工作人员")


def require_in_programme(merchant: Merchant) -> None:
    """Raise `merchant_not_eligible` unless `merchant` is admitted (on the map).

    A merchant removed (清退, e.g. after the annual star evaluation) or not yet
    approved takes no vouchers and signs no pledge; its history stays.
    """
    if merchant.admission != "approved":
        raise PermissionDenied(
            Code.MERCHANT_NOT_ELIGIBLE,
            "本店不在社区便民商户名单中(未入驻或已清退),不能使用消费券",
        )


# --- operators: risk review ---


def require_reviewer(actor) -> None:
    """Raise `not_operator` unless `actor` operates a community (review queue)."""
    if not operates_any(actor):
        raise PermissionDenied(Code.NOT_OPERATOR, "只有社区工作人员可以审核")


def require_reviewer_of(actor, redemption: Redemption) -> None:
    """Raise `not_operator` unless `actor` operates the redemption's community."""
    if not is_operator_of(actor, redemption.merchant.community):
        raise PermissionDenied(Code.NOT_OPERATOR, "只有本社区的工作人员可以审核")


def held_redemptions_for(actor) -> QuerySet[Redemption]:
    """Return the held redemptions `actor` may review (their communities')."""
    qs = Redemption.objects.filter(status=Redemption.Status.HELD)
    return scope.limit(qs, actor, reach=_operator_reach(actor))


def _operator_reach(actor) -> scope.Reach:
    """The actor's reach as an operator only (an issuer does not review)."""
    reach = scope.reach_of(actor)
    if reach.everything:
        return reach
    return scope.Reach(community_ids=reach.community_ids)


# --- issuers ---


def issuer_for(actor, *, district_id: int | None = None) -> Issuer:
    """Return the actor's issuer role (in `district_id` if given); `not_issuer`."""
    if not is_person(actor):
        raise PermissionDenied(Code.NOT_ISSUER, "请先以发券机构账号登录")
    qs = Issuer.objects.filter(user=actor).select_related("district")
    if district_id is not None:
        qs = qs.filter(district_id=district_id)
    issuer = qs.first()
    if issuer is None:
        raise PermissionDenied(Code.NOT_ISSUER, "只有发券机构可以办理")
    return issuer


def require_issuer_of(actor, campaign: Campaign) -> Issuer:
    """Return the actor's issuer role in the campaign's district; `not_issuer`."""
    return issuer_for(actor, district_id=campaign.issuer.district_id)


def is_issuer_of_district(actor, district_id: int) -> bool:
    if not is_person(actor):
        return False
    return actor.issuer_roles.filter(district_id=district_id).exists()


# --- settlements: who settles and pays ---
#
# An issuer acts for its own district only: it settles the redemptions of its
# district's campaigns, marks its district's settlements paid, and reads their
# statements. SYSTEM (the nightly job) settles every district.


def issuer_district_ids(actor) -> list[int]:
    """Return the districts `actor` issues for (empty for everyone else)."""
    if is_system(actor) or not getattr(actor, "is_authenticated", False):
        return []
    return list(actor.issuer_roles.values_list("district_id", flat=True))


def settleable_redemptions(actor) -> QuerySet[Redemption]:
    """Return the redemptions `actor` may settle; raise `not_issuer` for others."""
    qs = Redemption.objects.all()
    if is_system(actor):
        return qs
    districts = issuer_district_ids(actor)
    if not districts:
        raise PermissionDenied(Code.NOT_ISSUER, "只有发券机构可以结算")
    return qs.filter(voucher__round__campaign__issuer__district_id__in=districts)


def _settlement_district_id(settlement: Settlement) -> int:
    return settlement.merchant.community.street_office.district_id


def require_settlement_payer(actor, settlement: Settlement) -> None:
    """Raise `not_issuer` unless `actor` issues for the settlement's district."""
    if _settlement_district_id(settlement) not in issuer_district_ids(actor):
        raise PermissionDenied(
            Code.NOT_ISSUER, "只有本区发券机构可以确认该结算单已付款"
        )


# --- settlements: who reads ---


def can_view_settlement(actor, settlement: Settlement) -> bool:
    """Return whether `actor` may read or download a settlement statement.

    The merchant's staff, the operators of its community and the issuers of
    its district may; SYSTEM and superusers may.
    """
    if is_system(actor):
        return True
    shop = settlement.merchant
    return (
        is_staff_of(actor, shop)
        or is_operator_of(actor, shop.community)
        or is_issuer_of_district(actor, shop.community.street_office.district_id)
    )


def require_settlement_viewer(actor, settlement: Settlement) -> None:
    """Raise `shop_not_owned` unless `actor` may read this settlement."""
    if not can_view_settlement(actor, settlement):
        raise PermissionDenied(Code.SHOP_NOT_OWNED, "无权查看该结算单")


# --- back-office scopes ---

_CAMPAIGN_DISTRICT = "issuer__district"
_RESIDENT_COMMUNITY = "resident__household__compound__community"

scope.declare(Campaign, district=_CAMPAIGN_DISTRICT)
scope.declare(Round, district=f"campaign__{_CAMPAIGN_DISTRICT}")
scope.declare(RoundCoupon, district=f"round__campaign__{_CAMPAIGN_DISTRICT}")
scope.declare(StockShard, district=f"round__campaign__{_CAMPAIGN_DISTRICT}")
scope.declare(LotteryEntry, district=f"round__campaign__{_CAMPAIGN_DISTRICT}")
scope.declare(
    Claim,
    district=f"campaign__{_CAMPAIGN_DISTRICT}",
    community=_RESIDENT_COMMUNITY,
)
scope.declare(
    Voucher,
    district=f"round__campaign__{_CAMPAIGN_DISTRICT}",
    community=_RESIDENT_COMMUNITY,
)
scope.declare(
    Redemption,
    district=f"voucher__round__campaign__{_CAMPAIGN_DISTRICT}",
    community="merchant__community",
)
scope.declare(Settlement, community="merchant__community")
scope.declare(
    MerchantPledge,
    district=f"campaign__{_CAMPAIGN_DISTRICT}",
    community="merchant__community",
)
scope.declare(
    VoucherEvent,
    district=(
        f"campaign__{_CAMPAIGN_DISTRICT}",
        f"round__campaign__{_CAMPAIGN_DISTRICT}",
    ),
    community="redemption__merchant__community",
)
