"""Who may see which indicator sheets: the only place this app decides it.

A district planner (or the district's commerce bureau, or a superuser) sees
every circle of the district; a street-office planner the circles of the
street office; a community's operators their own circle's sheet only.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from quarter.core.errors import NotFound, PermissionDenied
from quarter.coverage.access import districts_planned_by
from quarter.indicators.errors import IndicatorsErrorCode as Code
from quarter.places.access import (
    communities_operated_by,
    communities_planned_by,
    operates_or_plans,
)
from quarter.places.models import Community, District


def district_communities(actor, district: District) -> QuerySet[Community]:
    """Return the circles of `district` whose sheets `actor` sees in the district view.

    Raises `not_district_planner` when there is none.
    """
    in_district = Community.objects.filter(street_office__district=district)
    if districts_planned_by(actor).filter(pk=district.pk).exists():
        return in_district
    mine = in_district.filter(pk__in=communities_planned_by(actor).values("pk"))
    if not mine.exists():
        raise PermissionDenied(
            Code.NOT_DISTRICT_PLANNER, "只有本区的商务部门和规划人员可以查看全区指标"
        )
    return mine


def can_view_circle(actor, community: Community) -> bool:
    return operates_or_plans(actor, community)


def require_circle_viewer(actor, community: Community) -> None:
    """Raise `not_circle_viewer` unless `actor` may see `community`'s sheet."""
    if not can_view_circle(actor, community):
        raise PermissionDenied(
            Code.NOT_CIRCLE_VIEWER, "只有本社区的工作人员和本区规划人员可以查看指标"
        )


def get_district(actor, district_id: int) -> District:
    """Return the district. Raises `unknown_district` (404), `not_district_planner`."""
    district = District.objects.filter(pk=district_id).first()
    if district is None:
        raise NotFound(Code.UNKNOWN_DISTRICT, "没有这个区", field="district")
    district_communities(actor, district)
    return district


def get_circle(actor, slug: str) -> Community:
    """Return the community. Raises `unknown_community` (404), `not_circle_viewer`."""
    community = Community.objects.filter(slug=slug).first()
    if community is None:
        raise NotFound(Code.UNKNOWN_COMMUNITY, "没有这个社区", field="community")
    require_circle_viewer(actor, community)
    return community


def visible_districts(actor) -> QuerySet[District]:
    """Districts with at least one circle `actor` sees as a planner."""
    planned = communities_planned_by(actor).values("street_office__district")
    return District.objects.filter(pk__in=planned).order_by("id")


def visible_circles(actor) -> QuerySet[Community]:
    """Circles whose sheet `actor` may open (operated or planned)."""
    return Community.objects.filter(
        Q(pk__in=communities_operated_by(actor).values("pk"))
        | Q(pk__in=communities_planned_by(actor).values("pk"))
    ).order_by("id")
