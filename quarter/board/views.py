"""Pages of the notice board; thin: parse, call a service or selector, render.

A refusal raised by a service (`DomainError`) becomes a form error on the
field it names and a 400; a 403/404 from `access.py` becomes the project's
error page through `DomainErrorMiddleware`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quarter.board import access, selectors, services
from quarter.board.forms import (
    AnswerForm,
    ApproveForm,
    JobForm,
    NoticeForm,
    ShopNoticeForm,
    SuggestionForm,
)
from quarter.board.models import (
    JobPost,
    Notice,
    NoticeKind,
    Suggestion,
    SuggestionStatus,
)
from quarter.core import numbers, uploads
from quarter.core.errors import DomainError, PermissionDenied
from quarter.coverage.walking import walk_to
from quarter.places.models import Merchant


def _form_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _resident_origin(user):
    resident = getattr(user, "resident", None) if user.is_authenticated else None
    compound = resident.compound if resident is not None else None
    if compound is None:
        return None, None
    return compound, (compound.lat, compound.lng)


# --- notices (public) ---


def notice_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind") or None
    error = None
    notices = []
    try:
        notices = list(
            selectors.visible_notices(
                community_ids=selectors.home_community_ids(request.user), kind=kind
            )[:100]
        )
    except DomainError as exc:
        error = exc
    return render(
        request,
        "board/notices.html",
        {"notices": notices, "kinds": NoticeKind.choices, "kind": kind, "error": error},
        status=400 if error else 200,
    )


def notice_detail(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = selectors.get_notice(actor=request.user, notice_id=notice_id)
    return render(
        request,
        "board/notice.html",
        {"notice": notice, "visible": access.is_visible_notice(notice)},
    )


# --- jobs (public) ---


def job_list(request: HttpRequest) -> HttpResponse:
    compound, origin = _resident_origin(request.user)
    error = None
    hits = []
    try:
        distance = numbers.query_value(
            request.GET,
            "distance",
            numbers.parse_float,
            minimum=100,
            maximum=50_000,
            label=_("距离"),
        )
        hits = selectors.list_open_jobs(
            type_code=request.GET.get("type") or None,
            origin=origin,
            compound=compound,
            max_distance_m=distance if origin else None,
        )
    except (DomainError, ValueError) as exc:
        error = getattr(exc, "message", str(exc))
    return render(
        request,
        "board/jobs.html",
        {
            "hits": hits,
            "types": selectors.job_types(),
            "params": request.GET,
            "compound": compound,
            "error": error,
            "distances": [500, 1000, 2000],
        },
        status=400 if error else 200,
    )


def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.get_job(actor=request.user, job_id=job_id)
    compound, _origin = _resident_origin(request.user)
    walk = walk_to(compound, job.merchant.lat, job.merchant.lng) if compound else None
    return render(
        request,
        "board/job.html",
        {
            "job": job,
            "walk": walk,
            "open": access.is_open_job(job),
            "may_withdraw": job.status in ("pending", "approved")
            and access.can_withdraw_job(request.user, job),
        },
    )


@login_required
@require_POST
def job_withdraw(request: HttpRequest, job_id: int) -> HttpResponse:
    """The shop (or an operator) takes its job post down."""
    job = get_object_or_404(
        JobPost.objects.select_related("community", "merchant"), pk=job_id
    )
    try:
        services.withdraw_job(actor=request.user, job=job)
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("board:job", job_id=job.pk)
    messages.success(request, _("招工信息已撤下,居民不再看到它"))
    if access.is_staff_of(request.user, job.merchant):
        return redirect("board:shop", merchant_id=job.merchant_id)
    return redirect("board:job", job_id=job.pk)


# --- suggestions (residents of the community) ---


@login_required
def suggestion_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    suggestions = list(
        selectors.list_community_suggestions(actor=request.user, status=status)[:100]
    )
    return render(
        request,
        "board/suggestions.html",
        {
            "suggestions": suggestions,
            "statuses": SuggestionStatus.choices,
            "status": status,
        },
    )


@login_required
def suggestion_new(request: HttpRequest) -> HttpResponse:
    access.require_resident(request.user)
    if request.method == "POST":
        uploads.keep_uploads_in_memory(request)
        form = SuggestionForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                suggestion = services.post_suggestion(
                    actor=request.user,
                    category=form.cleaned_data["category"],
                    text=form.cleaned_data["text"],
                    photo=form.cleaned_data["photo"] or None,
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("建议已提交,社区会尽快答复。"))
                return redirect("board:suggestion", suggestion_id=suggestion.pk)
    else:
        form = SuggestionForm()
    return render(
        request,
        "board/suggestion_new.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@login_required
def suggestion_detail(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    suggestion = selectors.get_suggestion(
        actor=request.user, suggestion_id=suggestion_id
    )
    return _suggestion_page(request, suggestion)


def _suggestion_page(request, suggestion, *, answer_form=None, status=200):
    operator = access.is_operator_of(request.user, suggestion.community)
    return render(
        request,
        "board/suggestion.html",
        {
            "suggestion": suggestion,
            "answers": suggestion.answers.select_related("actor"),
            "can_support": access.resident_community_id(request.user)
            == suggestion.community_id
            and suggestion.author_id != request.user.pk,
            "is_operator": operator,
            "answer_form": answer_form or (AnswerForm() if operator else None),
        },
        status=status,
    )


@login_required
@require_POST
def suggestion_support(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    suggestion = get_object_or_404(Suggestion, pk=suggestion_id)
    supported = services.toggle_support(actor=request.user, suggestion=suggestion)
    messages.success(request, _("已附议") if supported else _("已取消附议"))
    return redirect("board:suggestion", suggestion_id=suggestion.pk)


@login_required
@require_POST
def suggestion_answer(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    suggestion = get_object_or_404(
        Suggestion.objects.select_related("community"), pk=suggestion_id
    )
    access.require_operator_of(request.user, suggestion.community)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.answer_suggestion(
                actor=request.user,
                suggestion=suggestion,
                status=form.cleaned_data["status"],
                reply=form.cleaned_data["reply"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已答复,并已通知建议人"))
            return redirect("board:suggestion", suggestion_id=suggestion.pk)
    suggestion = selectors.get_suggestion(
        actor=request.user, suggestion_id=suggestion.pk
    )
    return _suggestion_page(request, suggestion, answer_form=form, status=400)


# --- a shop's own notices and job posts ---


def _own_shop(request, merchant_id) -> Merchant:
    merchant = get_object_or_404(
        Merchant.objects.select_related("main_type", "community"), pk=merchant_id
    )
    access.require_staff_of(request.user, merchant)
    return merchant


def _shop_page(request, merchant, *, notice_form=None, job_form=None, status=200):
    notices, jobs = selectors.shop_submissions(merchant=merchant)
    return render(
        request,
        "board/shop.html",
        {
            "merchant": merchant,
            "notices": notices,
            "jobs": jobs,
            "notice_form": notice_form or ShopNoticeForm(),
            "job_form": job_form or JobForm(),
        },
        status=status,
    )


@login_required
def shop(request: HttpRequest, merchant_id: int) -> HttpResponse:
    return _shop_page(request, _own_shop(request, merchant_id))


@login_required
@require_POST
def shop_notice(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = _own_shop(request, merchant_id)
    form = ShopNoticeForm(request.POST)
    if form.is_valid():
        try:
            services.submit_notice(
                actor=request.user, merchant=merchant, **form.cleaned_data
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("公告已提交,社区审核通过后发布。"))
            return redirect("board:shop", merchant_id=merchant.pk)
    return _shop_page(request, merchant, notice_form=form, status=400)


@login_required
@require_POST
def shop_job(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = _own_shop(request, merchant_id)
    form = JobForm(request.POST)
    if form.is_valid():
        try:
            services.submit_job(
                actor=request.user, merchant=merchant, **form.to_kwargs()
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("招工信息已提交,社区审核通过后发布。"))
            return redirect("board:shop", merchant_id=merchant.pk)
    return _shop_page(request, merchant, job_form=form, status=400)


# --- the operator's desk ---


def _desk_page(request, *, slug=None, notice_form=None, error=None, status=200):
    desk = selectors.get_desk(
        actor=request.user, slug=slug or request.GET.get("community")
    )
    return render(
        request,
        "board/desk.html",
        {
            "desk": desk,
            "notice_form": notice_form or NoticeForm(),
            "approve_form": ApproveForm(),
            "error": error,
        },
        status=status,
    )


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    return _desk_page(request)


def _back_to_desk(community):
    return redirect(f"{reverse('board:desk')}?community={community.slug}")


@login_required
@require_POST
def desk_notice(request: HttpRequest) -> HttpResponse:
    desk_now = selectors.get_desk(
        actor=request.user, slug=request.POST.get("community")
    )
    form = NoticeForm(request.POST)
    if form.is_valid():
        try:
            services.publish_notice(
                actor=request.user, community=desk_now.community, **form.cleaned_data
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("公告已发布"))
            return _back_to_desk(desk_now.community)
    return _desk_page(
        request, slug=desk_now.community.slug, notice_form=form, status=400
    )


def _decide(request, obj, community, call, done: str):
    """Run one decision of the desk; a refusal is a 400 desk page with the reason."""
    try:
        call()
    except DomainError as exc:
        if exc.status_code == 403:
            raise
        return _desk_page(
            request, slug=community.slug, error=exc.message, status=exc.status_code
        )
    messages.success(request, done)
    return _back_to_desk(community)


def _form_problem(form) -> str:
    return ";".join(
        f"{form.fields[k].label if k in form.fields else ''}:{' '.join(v)}"
        for k, v in form.errors.items()
    )


@login_required
@require_POST
def notice_approve(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = get_object_or_404(Notice.objects.select_related("community"), pk=notice_id)
    access.require_operator_of(request.user, notice.community)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _desk_page(
            request, slug=notice.community.slug, error=_form_problem(form), status=400
        )
    return _decide(
        request,
        notice,
        notice.community,
        lambda: services.approve_notice(
            actor=request.user, notice=notice, **form.cleaned_data
        ),
        _("公告已发布"),
    )


@login_required
@require_POST
def notice_reject(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = get_object_or_404(Notice.objects.select_related("community"), pk=notice_id)
    access.require_operator_of(request.user, notice.community)
    return _decide(
        request,
        notice,
        notice.community,
        lambda: services.reject_notice(
            actor=request.user, notice=notice, reason=request.POST.get("reason", "")
        ),
        _("已驳回,并已通知商户"),
    )


@login_required
@require_POST
def notice_withdraw(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = get_object_or_404(Notice.objects.select_related("community"), pk=notice_id)
    access.require_operator_of(request.user, notice.community)
    return _decide(
        request,
        notice,
        notice.community,
        lambda: services.withdraw_notice(actor=request.user, notice=notice),
        _("公告已撤下"),
    )


@login_required
@require_POST
def job_approve(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(JobPost.objects.select_related("community"), pk=job_id)
    access.require_operator_of(request.user, job.community)
    return _decide(
        request,
        job,
        job.community,
        lambda: services.approve_job(actor=request.user, job=job),
        _("招工信息已发布"),
    )


@login_required
@require_POST
def job_reject(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(JobPost.objects.select_related("community"), pk=job_id)
    access.require_operator_of(request.user, job.community)
    return _decide(
        request,
        job,
        job.community,
        lambda: services.reject_job(
            actor=request.user, job=job, reason=request.POST.get("reason", "")
        ),
        _("已驳回,并已通知商户"),
    )
