"""Pages of reviews: rate a shop, reply, moderate, run the star evaluation. Thin views.

A refusal the user can fix (stars missing, text too long, no visit yet) comes
back as the form with the message and a 400/403; a DomainError that escapes
(no permission, wrong state) becomes the error page with its status through
`quarter.core.middleware.DomainErrorMiddleware`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quarter.core import clock
from quarter.core.errors import DomainError, PermissionDenied
from quarter.places.models import Community, Merchant
from quarter.reviews import access, scoring, selectors, services
from quarter.reviews.errors import ReviewErrorCode as Code
from quarter.reviews.models import Evaluation, EvaluationResult, Rating

STAR_FIELDS = (("quality", "质量"), ("service", "服务"), ("price", "价格"))


def _merchant(merchant_id: int) -> Merchant:
    return get_object_or_404(
        Merchant.objects.select_related("community", "main_type"), pk=merchant_id
    )


# --- residents ---------------------------------------------------------------------


@login_required
def rate(request: HttpRequest, merchant_id: int) -> HttpResponse:
    """Show the rating form (GET) or rate the shop (POST)."""
    # Uploads are kept in memory by quarter.core.inputs' middleware.
    merchant = _merchant(merchant_id)
    resident = access.require_resident(request.user)
    access.require_not_own_merchant(request.user, merchant)
    access.require_listed(merchant)
    error, status = None, 200
    if request.method == "POST":
        try:
            rating = services.rate_merchant(
                actor=request.user,
                merchant=merchant,
                stars=services.parse_stars(request.POST),
                text=request.POST.get("text", ""),
                photos=request.FILES.getlist("photos"),
            )
        except PermissionDenied:
            raise
        except DomainError as exc:
            error, status = exc, exc.status_code
        else:
            if rating.status == "flagged":
                messages.info(request, _("谢谢您的评价,社区核查后计入评分。"))
            else:
                messages.success(request, _("谢谢您的评价!"))
            return redirect("merchant_detail", merchant_id=merchant.pk)
    return render(
        request,
        "reviews/rate.html",
        {
            "merchant": merchant,
            "rateable": selectors.count_rateable(resident=resident, merchant=merchant),
            "window_days": selectors.rating_window().days,
            "error": error,
            "values": request.POST,
            "star_fields": STAR_FIELDS,
        },
        status=status,
    )


# --- merchants ---------------------------------------------------------------------


@login_required
def merchant_reviews(request: HttpRequest, merchant_id: int) -> HttpResponse:
    """Show the merchant its stars with the breakdown and its ratings to reply to."""
    merchant = _merchant(merchant_id)
    access.require_stars_viewer(request.user, merchant)
    result = selectors.get_latest_result(merchant=merchant)
    return render(
        request,
        "reviews/merchant.html",
        {
            "merchant": merchant,
            "result": result,
            "average": selectors.get_merchant_average(merchant=merchant),
            "ratings": Rating.objects.filter(merchant=merchant)
            .exclude(status="hidden")
            .prefetch_related("photos")[:50],
            "can_reply": access.can_reply(request.user, merchant),
            "formula": scoring.formula_lines(),
        },
    )


@login_required
@require_POST
def reply(request: HttpRequest, rating_id: int) -> HttpResponse:
    rating = get_object_or_404(Rating.objects.select_related("merchant"), pk=rating_id)
    services.reply_to_rating(
        actor=request.user, rating=rating, text=request.POST.get("reply", "")
    )
    messages.success(request, _("已回复"))
    return redirect("reviews:merchant", merchant_id=rating.merchant_id)


# --- operators: moderation ---------------------------------------------------


@login_required
def moderation(request: HttpRequest) -> HttpResponse:
    access.require_any_operator(request.user)
    communities = access.communities_for(request.user)
    return render(
        request,
        "reviews/moderation.html",
        {
            "ratings": selectors.list_moderation_queue(communities=communities)[:100],
        },
    )


def _moderate(request, rating_id: int, verb) -> HttpResponse:
    rating = get_object_or_404(
        Rating.objects.select_related("merchant__community"), pk=rating_id
    )
    access.require_moderator(request.user, rating.merchant)
    verb(actor=request.user, rating=rating, reason=request.POST.get("reason", ""))
    messages.success(request, _("已处理"))
    return redirect("reviews:moderation")


@login_required
@require_POST
def hide(request: HttpRequest, rating_id: int) -> HttpResponse:
    return _moderate(request, rating_id, services.hide_rating)


@login_required
@require_POST
def show(request: HttpRequest, rating_id: int) -> HttpResponse:
    return _moderate(request, rating_id, services.show_rating)


@login_required
@require_POST
def clear(request: HttpRequest, rating_id: int) -> HttpResponse:
    return _moderate(request, rating_id, services.clear_rating)


# --- operators: the annual star evaluation -----------------------------------


@login_required
def evaluations(request: HttpRequest) -> HttpResponse:
    """List the operator's evaluations (GET) or open one for a year (POST)."""
    access.require_any_operator(request.user)
    communities = list(access.communities_for(request.user))
    error, status = None, 200
    if request.method == "POST":
        try:
            community = _pick_community(request.POST.get("community"), communities)
            year = _parse_year(request.POST.get("year"))
            evaluation = services.open_evaluation(
                actor=request.user, community=community, year=year
            )
        except PermissionDenied:
            raise
        except DomainError as exc:
            error, status = exc, exc.status_code
        else:
            return redirect("reviews:evaluation", evaluation_id=evaluation.pk)
    return render(
        request,
        "reviews/evaluations.html",
        {
            "communities": communities,
            "evaluations": Evaluation.objects.filter(
                community__in=communities
            ).select_related("community"),
            "error": error,
            "default_year": clock.local_now().year,
            "formula": scoring.formula_lines(),
        },
        status=status,
    )


def _pick_community(raw, communities) -> Community:
    for community in communities:
        if str(community.pk) == str(raw or "").strip():
            return community
    raise DomainError(Code.UNKNOWN_COMMUNITY, "请选择社区", field="community")


def _parse_year(raw) -> int:
    text = str(raw or "").strip()
    if not text.isdigit() or len(text) != 4:
        raise DomainError(Code.YEAR_OUT_OF_RANGE, "请填写四位数的年度", field="year")
    return int(text)


@login_required
def evaluation(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    item = get_object_or_404(
        Evaluation.objects.select_related("community"), pk=evaluation_id
    )
    access.require_evaluator(request.user, item.community)
    return render(
        request,
        "reviews/evaluation.html",
        {
            "evaluation": item,
            "results": item.results.select_related("merchant"),
            "formula": scoring.formula_lines(),
            "today": clock.local_now().date(),
            "bar": scoring.star_bar(),
        },
    )


def _result(result_id: int) -> EvaluationResult:
    return get_object_or_404(
        EvaluationResult.objects.select_related("evaluation__community", "merchant"),
        pk=result_id,
    )


@login_required
@require_POST
def reevaluate(request: HttpRequest, result_id: int) -> HttpResponse:
    result = _result(result_id)
    result = services.reevaluate_result(actor=request.user, result=result)
    messages.success(
        request,
        _("%(name)s 复评 %(stars)s 星")
        % {"name": result.merchant.name, "stars": result.stars},
    )
    return redirect("reviews:evaluation", evaluation_id=result.evaluation_id)


@login_required
@require_POST
def remove(request: HttpRequest, result_id: int) -> HttpResponse:
    result = _result(result_id)
    result = services.remove_below_bar(
        actor=request.user, result=result, reason=request.POST.get("reason", "")
    )
    messages.success(request, _("%(name)s 已清退") % {"name": result.merchant.name})
    return redirect("reviews:evaluation", evaluation_id=result.evaluation_id)
