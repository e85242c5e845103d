"""Reads of the coverage app: walking reach, gap reports and planning views."""

from __future__ import annotations

from django.db.models import QuerySet

from quarter.places.models import Community


def list_planning_communities(*, actor) -> QuerySet[Community]:
    """Return the communities `actor` operates (all of them for a superuser)."""
    qs = Community.objects.order_by("id")
    if actor is None or not actor.is_authenticated:
        return qs.none()
    if actor.is_superuser:
        return qs
    return qs.filter(operators__user=actor)
