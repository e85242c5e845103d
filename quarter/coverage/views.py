"""Pages of the planning dashboard; thin: parse, call a selector or service, render.

Only the operators of a community see its planning pages (checked in the
selectors); a refusal becomes a 403 page, an unknown community a 404.
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop, pgettext
from django.views.decorators.http import require_GET, require_POST

from quarter.core import downloads, numbers
from quarter.core.errors import DomainError, NotFound, PermissionDenied
from quarter.coverage import access, exports, selectors, services
from quarter.coverage import district as district_view
from quarter.coverage import engine as eng

# Display texts defined outside this module (engine.PROFILE_LABELS, the
# selectors' GROUPINGS and DomainError messages), marked here so that
# makemessages collects them; they are translated when shown (gettext /
# {% translate var %}). The Chinese text stays the msgid.
_DISPLAY_MSGIDS = (
    # engine.PROFILE_LABELS
    gettext_noop("成年人(1.2米/秒)"),
    gettext_noop("老年人(0.8米/秒)"),
    # selectors.GROUPINGS (the 2025 "四个一" configuration)
    gettext_noop("一店一早"),
    gettext_noop("一菜一修"),
    gettext_noop("一老一小"),
    gettext_noop("一收一洗"),
    # messages of the DomainErrors the planning pages show
    gettext_noop("没有这个社区"),
    gettext_noop("只有本社区的工作人员可以查看规划"),
    gettext_noop("没有这种步行速度"),
    gettext_noop("没有这个业态"),
    gettext_noop("本社区还没有录入小区,无法计算覆盖"),
    gettext_noop("请在地图上选择位置"),
    gettext_noop("位置离社区太远(超过5公里)"),
    gettext_noop("本社区没有这个小区"),
    gettext_noop("本区还没有录入小区,无法计算覆盖"),
    gettext_noop("只有本区的商务部门可以查看全区规划"),
    gettext_noop("只有本街道或本区的规划人员可以查看街道规划"),
    gettext_noop("只有本社区的工作人员或本区规划人员可以计算"),
    gettext_noop("只能为本社区或自己的店铺更新步行可达性"),
)


def _profile_labels() -> dict[str, str]:
    return {code: gettext(label) for code, label in eng.PROFILE_LABELS.items()}


def _js_labels() -> dict[str, str]:
    """Texts planning.js draws on maps and charts; the script fills in %(n)s."""
    return {
        "households": gettext("%(n)s 户"),
        "missing_within_15": gettext("15分钟内缺:"),
        "all_basic": gettext("基本保障类齐全"),
        "list_separator": pgettext("list separator", "、"),
        "merchant_households_15": gettext("15分钟内%(n)s户"),
        "proposed_shop": gettext("拟开店位置"),
        "site": gettext("选址 %(n)s"),
        "merchant_count": gettext("商户数"),
        "coverage_share_15": gettext("15分钟覆盖户数%"),
    }


def _planning_view(view):
    """Resolve the community for the operator; a GET never recomputes stale figures.

    A GET shows what is stored (the page notes when it is out of date,
    `request.coverage_stale`); a POST (what-if, suggest) brings the figures
    up to date first, as its answer is computed from them.
    """

    @functools.wraps(view)
    @login_required
    def wrapper(request: HttpRequest, slug: str, *args, **kwargs):
        community = _community_or_404(request, slug)
        if request.method == "POST":
            services.ensure_coverage(actor=request.user, community=community)
            request.coverage_stale = False
        else:
            _run, request.coverage_stale = services.coverage_for_page(
                actor=request.user, community=community
            )
        return view(request, community, *args, **kwargs)

    return wrapper


def _community_or_404(request: HttpRequest, slug: str):
    try:
        return selectors.get_planning_community(actor=request.user, slug=slug)
    except NotFound as exc:
        raise Http404(gettext(exc.message)) from None
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(gettext(exc.message)) from None


@login_required
@require_POST
def recompute(request: HttpRequest, slug: str) -> HttpResponse:
    """Recompute the community's walking reach now (the operator's 重新计算)."""
    community = _community_or_404(request, slug)
    services.refresh_community(actor=request.user, community=community)
    messages.success(request, gettext("已重新计算步行可达性"))
    return redirect("planning_dashboard", slug=community.slug)


def _profile(request: HttpRequest) -> str:
    profile = request.GET.get("profile") or request.POST.get("profile") or "standard"
    return profile if profile in eng.speed_profiles() else "standard"


@login_required
def planning_home(request: HttpRequest) -> HttpResponse:
    """List the districts and communities the user may plan for."""
    districts = access.districts_planned_by(request.user)
    if (
        not districts.exists()
        and not access.street_offices_planned_by(request.user).exists()
    ):
        try:
            access.require_planner(request.user)
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(gettext(exc.message)) from None
    communities = selectors.list_planning_communities(actor=request.user)
    streets = access.street_offices_planned_by(request.user).exclude(
        district__in=districts
    )
    return render(
        request,
        "coverage/home.html",
        {"communities": communities, "districts": districts, "streets": streets},
    )


def _district_or_404(request: HttpRequest, district_id: int):
    from quarter.places.models import District

    district = District.objects.filter(pk=district_id).first()
    if district is None:
        raise Http404(gettext("没有这个区"))
    try:
        access.require_district_planner(request.user, district)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(gettext(exc.message)) from None
    return district


def _street_or_404(request: HttpRequest, street_id: int):
    from quarter.places.models import StreetOffice

    street = StreetOffice.objects.select_related("district").filter(pk=street_id)
    street = street.first()
    if street is None:
        raise Http404(gettext("没有这个街道"))
    try:
        access.require_street_planner(request.user, street)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(gettext(exc.message)) from None
    return street


def _area_urls(name: str, pk: int) -> dict[str, str]:
    """The area page's own links (district or street), for the shared template."""
    return {
        "suggest_url": reverse(f"planning_{name}_suggest", args=[pk]),
        "csv_url": reverse(f"planning_{name}_export_csv", args=[pk]),
        "xlsx_url": reverse(f"planning_{name}_export_xlsx", args=[pk]),
        "print_url": reverse(f"planning_{name}_print", args=[pk]),
    }


def _render_area(request, report, *, urls, streets=()) -> HttpResponse:
    return render(
        request,
        "coverage/district.html",
        {
            "district": report.district,
            "street": report.street_office,
            "report": report,
            "profile": report.profile,
            "profiles": _profile_labels(),
            "map_data": exports.district_map_data(report),
            "basic_types": [
                t.business_type
                for t in (report.rows[0].report.type_counts if report.rows else [])
                if t.business_type.tier == "basic"
            ],
            "streets": streets,
            "own_communities": {
                c.pk for c in selectors.list_planning_communities(actor=request.user)
            },
            **urls,
        },
    )


def _render_area_print(request, report) -> HttpResponse:
    return render(
        request,
        "coverage/district_print.html",
        {"report": report, "profile_label": _profile_labels()[report.profile]},
    )


def _area_export(report, fmt: str, name: str) -> HttpResponse:
    content = (
        exports.district_xlsx(report) if fmt == "xlsx" else exports.district_csv(report)
    )
    return downloads.attachment(
        content,
        kind=fmt,
        name=f"{name}-{report.profile}",
        display_name=gettext("%(district)s生活圈覆盖排名")
        % {"district": report.area_name},
    )


def _render_sites(request, picks, error) -> HttpResponse:
    return render(
        request,
        "coverage/_district_sites.html",
        {"picks": picks, "error": error},
        status=400 if error else 200,
    )


@login_required
@require_GET
def district_dashboard(request: HttpRequest, district_id: int) -> HttpResponse:
    """Every community of a district ranked, on a map, with area-wide site picks."""
    district = _district_or_404(request, district_id)
    report = district_view.district_report(
        actor=request.user, district=district, profile=_profile(request)
    )
    return _render_area(
        request,
        report,
        urls=_area_urls("district", district.pk),
        streets=district.streets.order_by("id"),
    )


@login_required
@require_GET
def district_suggest(request: HttpRequest, district_id: int) -> HttpResponse:
    district = _district_or_404(request, district_id)
    error, picks = None, []
    try:
        picks = district_view.suggest_sites_in_district(
            actor=request.user,
            district=district,
            type_code=request.GET.get("type", ""),
            profile=_profile(request),
        )
    except DomainError as exc:
        error = exc
    return _render_sites(request, picks, error)


@login_required
@require_GET
def district_export(request: HttpRequest, district_id: int, fmt: str) -> HttpResponse:
    district = _district_or_404(request, district_id)
    report = district_view.district_report(
        actor=request.user, district=district, profile=_profile(request)
    )
    return _area_export(report, fmt, f"district-{district.pk}")


@login_required
@require_GET
def district_print(request: HttpRequest, district_id: int) -> HttpResponse:
    district = _district_or_404(request, district_id)
    report = district_view.district_report(
        actor=request.user, district=district, profile=_profile(request)
    )
    return _render_area_print(request, report)


@login_required
@require_GET
def street_dashboard(request: HttpRequest, street_id: int) -> HttpResponse:
    """The district view restricted to one street office's communities."""
    street = _street_or_404(request, street_id)
    report = district_view.street_report(
        actor=request.user, street_office=street, profile=_profile(request)
    )
    urls = _area_urls("street", street.pk)
    if access.districts_planned_by(request.user).filter(pk=street.district_id).exists():
        urls["district_url"] = reverse("planning_district", args=[street.district_id])
    return _render_area(request, report, urls=urls)


@login_required
@require_GET
def street_suggest(request: HttpRequest, street_id: int) -> HttpResponse:
    street = _street_or_404(request, street_id)
    error, picks = None, []
    try:
        picks = district_view.suggest_sites_in_street(
            actor=request.user,
            street_office=street,
            type_code=request.GET.get("type", ""),
            profile=_profile(request),
        )
    except DomainError as exc:
        error = exc
    return _render_sites(request, picks, error)


@login_required
@require_GET
def street_export(request: HttpRequest, street_id: int, fmt: str) -> HttpResponse:
    street = _street_or_404(request, street_id)
    report = district_view.street_report(
        actor=request.user, street_office=street, profile=_profile(request)
    )
    return _area_export(report, fmt, f"street-{street.pk}")


@login_required
@require_GET
def street_print(request: HttpRequest, street_id: int) -> HttpResponse:
    street = _street_or_404(request, street_id)
    report = district_view.street_report(
        actor=request.user, street_office=street, profile=_profile(request)
    )
    return _render_area_print(request, report)


@require_GET
@_planning_view
def dashboard(request: HttpRequest, community) -> HttpResponse:
    profile = _profile(request)
    report = selectors.get_gap_report(
        actor=request.user, community=community, profile=profile
    )
    return render(
        request,
        "coverage/dashboard.html",
        {
            "report": report,
            "community": community,
            "profile": profile,
            "profiles": _profile_labels(),
            "js_labels": _js_labels(),
            "bands": eng.BANDS_MIN,
            "chart_data": exports.chart_data(report),
            "suggest_type": _first_gap_type(report),
            "pending": selectors.list_pending_shops(report=report, limit=20),
            "stale": request.coverage_stale,
        },
    )


def _first_gap_type(report) -> str:
    """The basic type missing for the most households: the default to plan for."""
    worst = max(
        (t for t in report.type_counts if t.business_type.tier == "basic"),
        key=lambda t: report.households_total - t.households_covered,
        default=None,
    )
    return worst.business_type.code if worst else ""


@require_GET
@_planning_view
def print_report(request: HttpRequest, community) -> HttpResponse:
    report = selectors.get_gap_report(
        actor=request.user, community=community, profile=_profile(request)
    )
    return render(
        request,
        "coverage/print.html",
        {
            "report": report,
            "community": community,
            "bands": eng.BANDS_MIN,
            "profile_label": _profile_labels()[report.profile],
        },
    )


@require_GET
@_planning_view
def map_data(request: HttpRequest, community) -> JsonResponse:
    profile = _profile(request)
    report = selectors.get_gap_report(
        actor=request.user, community=community, profile=profile
    )
    data = selectors.list_map_points(community=community, report=report)
    # The first compound's isochrones come along; others on request (isochrones).
    first = report.compounds[0].id if report.compounds else None
    data["isochrones"] = (
        selectors.get_isochrones(
            actor=request.user, community=community, profile=profile, compound_id=first
        )
        if first is not None
        else {"type": "FeatureCollection", "features": []}
    )
    return JsonResponse(data)


@require_GET
@_planning_view
def isochrones(request: HttpRequest, community) -> JsonResponse:
    try:
        compound_id = numbers.parse_int(
            request.GET.get("compound", ""), minimum=1, label=gettext("小区")
        )
    except numbers.NumberProblem:
        return JsonResponse(
            {"code": "unknown_compound", "message": gettext("请选择小区")}, status=400
        )
    try:
        data = selectors.get_isochrones(
            actor=request.user,
            community=community,
            profile=_profile(request),
            compound_id=compound_id,
        )
    except NotFound as exc:
        return JsonResponse(
            {**exc.as_dict(), "message": gettext(exc.message)}, status=404
        )
    return JsonResponse(data)


@require_GET
@_planning_view
def suggest(request: HttpRequest, community) -> HttpResponse:
    profile = _profile(request)
    type_code = request.GET.get("type", "")
    error, picks = None, []
    try:
        picks = selectors.suggest_sites(
            actor=request.user,
            community=community,
            type_code=type_code,
            profile=profile,
        )
    except DomainError as exc:
        error = exc
    return render(
        request,
        "coverage/_suggestions.html",
        {
            "community": community,
            "picks": picks,
            "error": error,
            "type_code": type_code,
            "profile": profile,
        },
        status=400 if error else 200,
    )


@require_POST
@_planning_view
def what_if(request: HttpRequest, community) -> HttpResponse:
    error, result = None, None
    try:
        result = selectors.simulate_shop(
            actor=request.user,
            community=community,
            type_code=request.POST.get("type", ""),
            lat=_float(request.POST.get("lat")),
            lng=_float(request.POST.get("lng")),
            profile=_profile(request),
        )
    except DomainError as exc:
        error = exc
    return render(
        request,
        "coverage/_whatif.html",
        {"result": result, "error": error},
        status=400 if error else 200,
    )


def _float(value) -> float | None:
    """A finite number or None; the selector says which coordinate is missing."""
    try:
        return numbers.parse_float(value, minimum=-180, maximum=180)
    except numbers.NumberProblem:
        return None


@require_GET
@_planning_view
def export(request: HttpRequest, community, fmt: str) -> HttpResponse:
    report = selectors.get_gap_report(
        actor=request.user, community=community, profile=_profile(request)
    )
    content = (
        exports.gap_report_xlsx(report)
        if fmt == "xlsx"
        else exports.gap_report_csv(report)
    )
    return downloads.attachment(
        content,
        kind=fmt,
        name=f"coverage-{community.pk}-{report.profile}",
        display_name=gettext("%(community)s业态缺口报告")
        % {"community": community.name},
    )
