"""Who may see or do what with sharing rewards: the only place it is decided.

Residents act on their own link, rewards and withdrawals; merchants' staff on
their shop's promotion; operators record top-ups for the merchants of their
community and decide the withdrawals of its residents. `require_*` raise
`PermissionDenied` with a code from `errors.py`; services and views call the
same functions. No model of this app is in the back office, so no scope is
declared.
"""

from __future__ import annotations

from django.db.models import QuerySet

from quarter.core.actors import is_person
from quarter.core.errors import PermissionDenied
from quarter.people.models import Resident
from quarter.places.access import communities_operated_by, is_operator_of, is_staff_of
from quarter.places.models import Community, Merchant
from quarter.referrals.errors import ReferralErrorCode as Code
from quarter.referrals.models import Withdrawal

# --- residents ---


def resident_of(actor) -> Resident | None:
    """Return the actor's resident profile (read afresh), or None."""
    if not is_person(actor):
        return None
    return Resident.objects.filter(user=actor).select_related("household").first()


def require_resident(actor) -> Resident:
    """Return the actor's resident profile; `not_a_resident` (403) if none."""
    resident = resident_of(actor)
    if resident is None:
        raise PermissionDenied(Code.NOT_A_RESIDENT, "只有居民账号可以参加分享奖励")
    return resident


def may_refer(resident: Resident) -> bool:
    """Return whether the resident may invite: only real-name verified residents.

    A second account of the same person can never be verified (one ID number,
    one account), so it can never hand out a link of its own.
    """
    return resident.verified_at is not None and bool(resident.id_hash)


# --- merchants ---


def can_manage_promotion(actor, merchant: Merchant) -> bool:
    """Return whether `actor` may set the shop's promotion and read its budget."""
    return is_staff_of(actor, merchant)


def require_promotion_manager(actor, merchant: Merchant) -> None:
    """Raise `merchant_not_owned` unless `actor` works at `merchant`."""
    if not can_manage_promotion(actor, merchant):
        raise PermissionDenied(Code.NOT_MERCHANT_STAFF, "您不是这家店的工作人员")


# --- operators ---


def require_operator_of_merchant(actor, merchant: Merchant) -> None:
    """Raise `not_community_operator` unless `actor` operates the shop's community."""
    if not is_operator_of(actor, merchant.community):
        raise PermissionDenied(
            Code.NOT_OPERATOR, "只有本社区的工作人员可以记录推广预算充值"
        )


def withdrawal_community(withdrawal: Withdrawal) -> Community | None:
    household = withdrawal.resident.household
    return household.compound.community if household is not None else None


def require_withdrawal_approver(actor, withdrawal: Withdrawal) -> None:
    """Raise `not_community_operator` unless `actor` operates the resident's
    community."""
    community = withdrawal_community(withdrawal)
    if community is None or not is_operator_of(actor, community):
        raise PermissionDenied(Code.NOT_OPERATOR, "只有居民所在社区的工作人员可以审核")


def operated_communities(actor) -> QuerySet[Community]:
    """Return the communities whose referral figures `actor` may read."""
    return communities_operated_by(actor)


def require_operator(actor) -> QuerySet[Community]:
    """Return the actor's communities; `not_community_operator` if none."""
    communities = operated_communities(actor)
    if not communities.exists():
        raise PermissionDenied(Code.NOT_OPERATOR, "只有社区工作人员可以查看")
    return communities
