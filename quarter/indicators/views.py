"""Pages of the indicator sheets; thin: resolve, call a selector, render.

Permissions are decided in indicators/access.py (called by the selectors);
a refusal becomes a 403 page, an unknown district or circle a 404 (both
through quarter.core's DomainErrorMiddleware).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from quarter.core import downloads
from quarter.core.errors import PermissionDenied
from quarter.coverage.access import can_plan_for
from quarter.indicators import access, bar, exports, selectors
from quarter.indicators.errors import IndicatorsErrorCode as Code


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The districts and circles whose sheets the user may open."""
    districts = access.visible_districts(request.user)
    circles = access.visible_circles(request.user).select_related(
        "street_office__district"
    )
    if not districts.exists() and not circles.exists():
        raise PermissionDenied(
            Code.NOT_CIRCLE_VIEWER, "只有社区工作人员和区、街道规划人员可以查看指标"
        )
    return render(
        request,
        "indicators/home.html",
        {"districts": districts, "circles": circles},
    )


def _district_context(request, district_id: int) -> dict:
    district = access.get_district(request.user, district_id)
    sheet = selectors.district_sheet(actor=request.user, district=district)
    return {
        "district": district,
        "sheet": sheet,
        "satisfaction_bar": bar.SATISFACTION_BAR,
        "today": timezone.localdate(),
    }


@login_required
@require_GET
def district(request: HttpRequest, district_id: int) -> HttpResponse:
    """Every circle of the district ranked against the bar."""
    return render(
        request, "indicators/district.html", _district_context(request, district_id)
    )


@login_required
@require_GET
def district_print(request: HttpRequest, district_id: int) -> HttpResponse:
    """The district summary as a printable page (A4 landscape)."""
    return render(
        request, "indicators/print.html", _district_context(request, district_id)
    )


@login_required
@require_GET
def district_export(request: HttpRequest, district_id: int) -> HttpResponse:
    """The district summary and one sheet per circle, as XLSX."""
    district = access.get_district(request.user, district_id)
    sheet = selectors.district_sheet(actor=request.user, district=district)
    return downloads.attachment(
        exports.district_xlsx(sheet),
        kind="xlsx",
        name=f"indicators-district-{district.pk}-{timezone.localdate():%Y%m%d}",
        display_name=gettext("%(district)s生活圈指标汇总表")
        % {"district": district.name},
    )


@login_required
@require_GET
def circle(request: HttpRequest, slug: str) -> HttpResponse:
    """One circle's indicator sheet (printable)."""
    community = access.get_circle(request.user, slug)
    sheet = selectors.circle_sheet(actor=request.user, community=community)
    return render(
        request,
        "indicators/circle.html",
        {
            "community": community,
            "s": sheet,
            "satisfaction_bar": bar.SATISFACTION_BAR,
            "planning_link": can_plan_for(request.user, community),
            "district_link": access.visible_districts(request.user)
            .filter(pk=community.street_office.district_id)
            .exists(),
        },
    )
