"""Pages of problem reporting: report, follow, handle, the 民情地图 and statistics.

Thin: parse with a form, call one service or selector, render. Permissions are
decided in `quarter.civic.access` (called by the services and here for reads).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quarter.civic import access, selectors, services
from quarter.civic.errors import CivicErrorCode as Code
from quarter.civic.forms import DispatchForm, ReasonForm, ReportForm, ResolveForm
from quarter.civic.models import Category, Report, Status
from quarter.core import clock, uploads
from quarter.core.errors import DomainError
from quarter.places.models import Community


def _form_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
def report_new(request: HttpRequest) -> HttpResponse:
    uploads.keep_uploads_in_memory(request)
    communities = access.require_reporter(request.user)
    form = ReportForm(
        request.POST or None, request.FILES or None, communities=communities
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            report = services.submit_report(
                actor=request.user,
                report=services.NewReport(
                    category=d["category"],
                    description=d["description"],
                    lat=d["lat"],
                    lng=d["lng"],
                    address=d["address"],
                    photo=d["photo"],
                    merchant=d["merchant"],
                ),
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("问题已上报,我们会尽快处理。"))
            return redirect("civic:report_detail", report_id=report.pk)
    centre = communities.first()
    merchant_categories = [
        c.pk for c in form.fields["category"].queryset if c.about_merchant
    ]
    return render(
        request,
        "civic/report_form.html",
        {
            "form": form,
            "centre": [centre.center_lat, centre.center_lng],
            "merchant_categories": merchant_categories,
        },
        status=400 if form.errors else 200,
    )


@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    reports = (
        Report.objects.filter(reporter=request.user)
        .select_related("category", "department")
        .order_by("-created_at")
    )
    return render(
        request, "civic/my_reports.html", {"reports": reports, "now": clock.now()}
    )


@login_required
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(
        Report.objects.select_related(
            "category", "department", "community", "merchant"
        ),
        pk=report_id,
    )
    access.require_can_view(request.user, report)
    user = request.user
    is_operator = access.is_operator_of(user, report.community_id)
    is_handler = (
        report.department_id is not None
        and access.departments_of(user).filter(pk=report.department_id).exists()
    )
    ctx = {
        "report": report,
        "events": report.events.select_related("actor", "department"),
        "overdue": report.is_overdue(clock.now()),
        "is_reporter": report.reporter_id == user.pk,
        "is_operator": is_operator,
        "is_handler": is_handler,
        "dispatch_form": DispatchForm(
            departments=access.departments_for(report.community)
        )
        if is_operator
        else None,
        "resolve_form": ResolveForm() if is_handler else None,
        "can_reopen": report.reporter_id == user.pk
        and report.status == Status.RESOLVED
        and report.reopen_count == 0,
    }
    return render(request, "civic/report_detail.html", ctx)


def _act(request, report_id: int, action) -> HttpResponse:
    report = get_object_or_404(Report, pk=report_id)
    try:
        action(report)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        return render(request, "error.html", {"error": exc}, status=exc.status_code)
    return redirect("civic:report_detail", report_id=report.pk)


@login_required
@require_POST
def report_dispatch(request: HttpRequest, report_id: int) -> HttpResponse:
    def action(report):
        access.require_operator_of(request.user, report.community_id)
        form = DispatchForm(
            request.POST, departments=access.departments_for(report.community)
        )
        if not form.is_valid():
            raise DomainError(
                Code.DEPARTMENT_REQUIRED, _("请选择承办部门"), field="department"
            )
        services.dispatch_report(
            actor=request.user,
            report=report,
            department=form.cleaned_data["department"],
        )
        messages.success(request, _("已派单"))

    return _act(request, report_id, action)


@login_required
@require_POST
def report_start(request: HttpRequest, report_id: int) -> HttpResponse:
    return _act(
        request,
        report_id,
        lambda report: services.start_report(actor=request.user, report=report),
    )


@login_required
@require_POST
def report_resolve(request: HttpRequest, report_id: int) -> HttpResponse:
    uploads.keep_uploads_in_memory(request)

    def action(report):
        access.require_handler_of(request.user, report)
        form = ResolveForm(request.POST, request.FILES)
        if not form.is_valid():
            raise DomainError(Code.REPLY_REQUIRED, _("请填写办理答复"), field="reply")
        services.resolve_report(
            actor=request.user,
            report=report,
            reply=form.cleaned_data["reply"],
            photo=form.cleaned_data["photo"],
        )
        messages.success(request, _("已办结并答复上报人"))

    return _act(request, report_id, action)


@login_required
@require_POST
def report_close(request: HttpRequest, report_id: int) -> HttpResponse:
    return _act(
        request,
        report_id,
        lambda report: services.close_report(actor=request.user, report=report),
    )


def _reason(request) -> str:
    form = ReasonForm(request.POST)
    if not form.is_valid():
        raise DomainError(
            Code.REASON_REQUIRED, _("请填写原因(200字以内)"), field="reason"
        )
    return form.cleaned_data["reason"]


@login_required
@require_POST
def report_reject(request: HttpRequest, report_id: int) -> HttpResponse:
    def action(report):
        access.require_operator_of(request.user, report.community_id)
        services.reject_report(
            actor=request.user, report=report, reason=_reason(request)
        )

    return _act(request, report_id, action)


@login_required
@require_POST
def report_reopen(request: HttpRequest, report_id: int) -> HttpResponse:
    def action(report):
        access.require_reporter_of(request.user, report)
        services.reopen_report(
            actor=request.user, report=report, reason=_reason(request)
        )

    return _act(request, report_id, action)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Department staff: what is dispatched to them. Operators: their communities."""
    user = request.user
    is_staff = access.is_department_staff(user)
    communities = access.operated_communities(user)
    if not is_staff and not communities.exists():
        access.require_department_staff(user)
    if is_staff:
        reports = access.department_queue(user)
    else:
        reports = Report.objects.filter(community__in=communities)
    status = request.GET.get("status", "")
    if status and status not in Status.values and status != "open":
        raise DomainError(Code.BAD_FILTER, _("未知的状态筛选"), field="status")
    if status == "open":
        reports = reports.filter(
            status__in=[Status.SUBMITTED, Status.DISPATCHED, Status.IN_PROGRESS]
        )
    elif status:
        reports = reports.filter(status=status)
    reports = reports.select_related("category", "department", "community").order_by(
        "deadline_at"
    )[:500]
    return render(
        request,
        "civic/queue.html",
        {
            "reports": reports,
            "now": clock.now(),
            "is_department": is_staff,
            "statuses": Status.choices,
            "status": status,
        },
    )


# --- 民情地图 and statistics (public, no personal data) ----------------------------


def _community(request) -> Community | None:
    slug = request.GET.get("community", "")
    qs = Community.objects.order_by("id")
    if slug:
        community = qs.filter(slug=slug[:60]).first()
        if community is None:
            raise DomainError(Code.BAD_FILTER, _("没有这个社区"), field="community")
        return community
    return qs.filter(civic_categories__isnull=False).first() or qs.first()


def _map_filter(request, community) -> selectors.MapFilter:
    category = None
    raw = request.GET.get("category", "")
    if raw:
        if not raw.isdigit():
            raise DomainError(Code.BAD_FILTER, _("类别应为编号"), field="category")
        category = Category.objects.filter(pk=int(raw), community=community).first()
        if category is None:
            raise DomainError(
                Code.BAD_FILTER, _("本社区没有这个类别"), field="category"
            )
    status = request.GET.get("status", "")
    if status and status != "open" and status not in Status.values:
        raise DomainError(Code.BAD_FILTER, _("未知的状态筛选"), field="status")
    overdue = request.GET.get("overdue", "")
    if overdue not in ("", "0", "1"):
        raise DomainError(Code.BAD_FILTER, _("超时筛选应为0或1"), field="overdue")
    return selectors.MapFilter(category=category, status=status, overdue=overdue == "1")


def reports_map(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    flt = _map_filter(request, community) if community else selectors.MapFilter()
    return render(
        request,
        "civic/map.html",
        {
            "communities": Community.objects.order_by("id"),
            "community": community,
            "categories": selectors.list_categories(community=community)
            if community
            else [],
            "statuses": Status.choices,
            "flt": flt,
            "query": request.GET.urlencode(),
        },
    )


def reports_map_data(request: HttpRequest) -> JsonResponse:
    community = _community(request)
    if community is None:
        return JsonResponse({"reports": [], "cells": []})
    points = selectors.list_map_reports(
        community=community, flt=_map_filter(request, community)
    )
    return JsonResponse({"reports": points, "cells": selectors.density_cells(points)})


def stats(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    months = selectors.monthly_stats(community=community) if community else []
    chart = {
        "labels": [m.month for m in months],
        "counts": [m.count for m in months],
        "on_time": [m.on_time_rate for m in months],
        "hours": [
            round(m.avg_handling_minutes / 60, 1)
            if m.avg_handling_minutes is not None
            else None
            for m in months
        ],
    }
    return render(
        request,
        "civic/stats.html",
        {
            "communities": Community.objects.order_by("id"),
            "community": community,
            "months": list(reversed(months)),
            "chart": chart,
        },
    )
