"""Who may see what of the feed.

A resident sees only their own feed (`selectors.get_feed` takes no resident
argument). Demand signals name no one, yet are still scoped: a community's
unmet searches to its operators and to planners/issuers above it; a shop's
nearby searches to its own staff.
"""

from __future__ import annotations

from quarter.core.errors import PermissionDenied
from quarter.places import access as places_access


def require_demand_reader(actor, community) -> None:
    """Raise `not_community_operator` unless `actor` operates or plans `community`
    (None: the actor reads no community at all)."""
    if community is None:
        raise PermissionDenied("not_community_operator", "只有社区工作人员可以查看")
    if places_access.is_operator_of(actor, community):
        return
    if places_access.communities_planned_by(actor).filter(pk=community.pk).exists():
        return
    raise PermissionDenied("not_community_operator", "只有本社区的工作人员可以查看")


def require_shop_staff(actor, merchant) -> None:
    places_access.require_staff_of(actor, merchant)
