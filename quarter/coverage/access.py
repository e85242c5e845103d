"""Who may see or do what in planning (coverage): the operators of a community.

The scopes at the bottom tell the back office (quarter.core.scope) how each
coverage model reaches a community.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from quarter.core import scope
from quarter.core.actors import is_person, is_system
from quarter.core.errors import NotFound, PermissionDenied
from quarter.coverage.errors import CoverageErrorCode as Code
from quarter.coverage.models import (
    CoverageRun,
    MerchantReach,
    ReachArray,
    StreetNetwork,
)
from quarter.places.access import (
    communities_operated_by,
    is_operator_of,
    operates_any,
    operates_or_plans,
    require_operator_of,
)
from quarter.places.models import Community, District, Merchant, StreetOffice


def list_planning_communities(actor):
    """Return the communities whose planning pages `actor` may open."""
    return communities_operated_by(actor)


def require_planner(actor) -> None:
    """Raise `not_community_operator` unless `actor` may plan for some community."""
    if not operates_any(actor):
        raise PermissionDenied(
            Code.NOT_COMMUNITY_OPERATOR, "只有社区工作人员可以查看规划"
        )


def require_planner_of(actor, community: Community) -> None:
    """Raise `not_community_operator` unless `actor` may plan for `community`."""
    require_operator_of(actor, community, message="只有本社区的工作人员可以查看规划")


def get_planning_community(actor, *, slug: str) -> Community:
    """Return the community `slug` if `actor` may plan for it.

    Raises `unknown_community` (404), `not_community_operator` (403).
    """
    community = Community.objects.filter(slug=slug).first()
    if community is None:
        raise NotFound(Code.UNKNOWN_COMMUNITY, "没有这个社区", field="community")
    require_planner_of(actor, community)
    return community


def can_plan_for(actor, community: Community) -> bool:
    return is_operator_of(actor, community)


# --- recomputing the stored figures ---


def can_compute_for(actor, community: Community) -> bool:
    """Return whether `actor` may have `community`'s walking reach (re)computed.

    The community's operators, the district and street planners whose area
    holds it, SYSTEM (commands, jobs, the demo) and superusers.
    """
    return operates_or_plans(actor, community)


def require_compute_for(actor, community: Community) -> None:
    """Raise `not_community_operator` unless `actor` may compute `community`."""
    if not can_compute_for(actor, community):
        raise PermissionDenied(
            Code.NOT_COMMUNITY_OPERATOR, "只有本社区的工作人员或本区规划人员可以计算"
        )


def require_merchant_change_by(actor, merchant_ids) -> None:
    """Raise `not_community_operator` unless `actor` may change every merchant.

    The refresh after a shop opens, closes or moves follows the change: its
    staff, the operators of its community, SYSTEM and superusers made it.
    """
    if is_system(actor) or (is_person(actor) and actor.is_superuser):
        return
    if not is_person(actor):
        raise PermissionDenied(Code.NOT_COMMUNITY_OPERATOR, "请先登录")
    foreign = (
        Merchant.objects.filter(pk__in=merchant_ids)
        .exclude(Q(staff__user=actor) | Q(community__operators__user=actor))
        .exists()
    )
    if foreign:
        raise PermissionDenied(
            Code.NOT_COMMUNITY_OPERATOR, "只能为本社区或自己的店铺更新步行可达性"
        )


# --- districts: the district commerce bureau plans every community at once ---


def districts_planned_by(actor) -> QuerySet[District]:
    """Return the districts whose district view `actor` may open.

    The issuer of a district (its commerce bureau, which runs the 15-minute
    circle programme), its district-wide planners and superusers; community
    workers plan their own community only.
    """
    qs = District.objects.order_by("id")
    if is_person(actor) and actor.is_superuser:
        return qs
    if not is_person(actor):
        return qs.none()
    return qs.filter(
        Q(issuers__user=actor)
        | Q(planners__user=actor, planners__street_office__isnull=True)
    ).distinct()


def require_district_planner(actor, district: District) -> None:
    """Raise `not_district_planner` unless `actor` may plan for `district`."""
    if not districts_planned_by(actor).filter(pk=district.pk).exists():
        raise PermissionDenied(
            Code.NOT_DISTRICT_PLANNER, "只有本区的商务部门可以查看全区规划"
        )


def street_offices_planned_by(actor) -> QuerySet[StreetOffice]:
    """Return the street offices whose street view `actor` may open.

    Every street of a district `actor` plans as a whole (issuer, district-wide
    planner, superuser), and the street office of a street planner.
    """
    qs = StreetOffice.objects.select_related("district").order_by("district", "id")
    if not is_person(actor):
        return qs.none()
    if actor.is_superuser:
        return qs
    return qs.filter(
        Q(district__in=districts_planned_by(actor)) | Q(planners__user=actor)
    ).distinct()


def require_street_planner(actor, street_office: StreetOffice) -> None:
    """Raise `not_street_planner` unless `actor` may plan for `street_office`."""
    if not street_offices_planned_by(actor).filter(pk=street_office.pk).exists():
        raise PermissionDenied(
            Code.NOT_STREET_PLANNER, "只有本街道或本区的规划人员可以查看街道规划"
        )


# --- back-office scopes ---

scope.declare(StreetNetwork, superuser_only=True)
scope.declare(CoverageRun, community="community")
scope.declare(ReachArray, community="community")
scope.declare(MerchantReach, community="merchant__community")
