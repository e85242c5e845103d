"""Pages of the feed: the resident's full feed, demand for operators and shops."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from quarter.feed import access, demand, selectors
from quarter.places import access as places_access
from quarter.places.models import Community, Merchant


@login_required
def for_you(request: HttpRequest) -> HttpResponse:
    items = selectors.get_feed(actor=request.user, limit=20)
    return render(request, "feed/for_you.html", {"items": items})


@login_required
def community_demand(request: HttpRequest) -> HttpResponse:
    ids = set(
        places_access.communities_operated_by(request.user).values_list("pk", flat=True)
    ) | set(
        places_access.communities_planned_by(request.user).values_list("pk", flat=True)
    )
    readable = Community.objects.filter(pk__in=ids).order_by("id")
    slug = request.GET.get("community")
    community = get_object_or_404(Community, slug=slug) if slug else readable.first()
    access.require_demand_reader(request.user, community)
    rows = demand.unmet_searches(community=community)
    gaps = demand.coverage_gaps(community=community)
    return render(
        request,
        "feed/demand.html",
        {
            "community": community,
            "communities": readable,
            "rows": [(r, r.sentence(demand.DEFAULT_DAYS)) for r in rows],
            "gaps": sorted(gaps.items()),
            "days": demand.DEFAULT_DAYS,
        },
    )


@login_required
def shop_demand(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = get_object_or_404(
        Merchant.objects.select_related("main_type"), pk=merchant_id
    )
    access.require_shop_staff(request.user, merchant)
    rows = demand.searches_near_shop(merchant=merchant)
    return render(
        request, "feed/shop_demand.html", {"merchant": merchant, "rows": rows}
    )
