"""Pages of the sharing rewards: the invitation landing, residents, shops, operators.

Thin: parse the form, call one service or selector, render. A refused form
comes back as the same page with the reason, status 400 (403 for a
permission, from the services' `PermissionDenied`).
"""

from __future__ import annotations

import uuid

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quarter.core.errors import DomainError
from quarter.places.access import list_merchants_for_staff
from quarter.places.models import Merchant
from quarter.referrals import access, selectors, services
from quarter.referrals.forms import DecideForm, PromotionForm, TopUpForm, WithdrawForm
from quarter.referrals.models import ReferralLink, Withdrawal


def _fail(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


# --- the invitation ---


def landing(request: HttpRequest, code: str) -> HttpResponse:
    """Show who invites and keep the code for the sign-up that follows."""
    link = (
        ReferralLink.objects.filter(code=code.strip().upper())
        .select_related("resident")
        .first()
    )
    if link is None:
        return render(request, "referrals/landing.html", {"link": None}, status=404)
    if not request.user.is_authenticated:
        request.session[services.SESSION_KEY] = link.code
    return render(
        request,
        "referrals/landing.html",
        {"link": link, "inviter": services.mask_name(link.resident)},
    )


# --- residents ---


def _qr_svg(url: str) -> str:
    return segno.make_qr(url, error="m").svg_inline(scale=5, dark="#1a1a1a")


def _resident_page(request, resident, *, form=None, status=200) -> HttpResponse:
    link, url, qr = None, "", ""
    if access.may_refer(resident):
        link = services.get_or_create_link(actor=request.user)
        url = request.build_absolute_uri(f"/r/{link.code}/")
        qr = _qr_svg(url)
    summary = selectors.get_resident_summary(resident=resident)
    form = form or WithdrawForm(initial={"key": uuid.uuid4().hex})
    return render(
        request,
        "referrals/me.html",
        {
            "resident": resident,
            "link": link,
            "url": url,
            "qr_svg": qr,
            "s": summary,
            "form": form,
        },
        status=status,
    )


@login_required
def me(request: HttpRequest) -> HttpResponse:
    """My invitations: link and QR, referees (masked), rewards, withdrawals."""
    return _resident_page(request, access.require_resident(request.user))


@login_required
@require_POST
def withdraw(request: HttpRequest) -> HttpResponse:
    resident = access.require_resident(request.user)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.request_withdrawal(
                actor=request.user,
                amount_fen=form.cleaned_data["amount"],
                key=form.cleaned_data["key"],
            )
        except DomainError as exc:
            if exc.status_code == 403:
                raise
            _fail(form, exc)
        else:
            messages.success(request, _("提现申请已提交,社区工作人员审核后发放"))
            return redirect("referrals:me")
    return _resident_page(request, resident, form=form, status=400)


# --- merchants ---


@login_required
def merchant_home(request: HttpRequest) -> HttpResponse:
    """Send shop staff to their shop's promotion page (or list their shops)."""
    shops = list(list_merchants_for_staff(request.user))
    if len(shops) == 1:
        return redirect("referrals:merchant", merchant_id=shops[0].pk)
    return render(request, "referrals/merchant_home.html", {"shops": shops})


def _merchant_page(request, merchant, *, form=None, status=200) -> HttpResponse:
    summary = selectors.get_merchant_summary(merchant=merchant)
    if form is None:
        promo = summary.promotion
        rate = ""
        if promo is not None and promo.state != promo.State.OFF:
            rate = f"{promo.rate_permille / 10:g}"
        form = PromotionForm(initial={"rate": rate})
    return render(
        request,
        "referrals/merchant.html",
        {"merchant": merchant, "s": summary, "form": form},
        status=status,
    )


@login_required
def merchant(request: HttpRequest, merchant_id: int) -> HttpResponse:
    """The shop's promotion: rate, budget left, rewards funded, top-ups."""
    shop = get_object_or_404(Merchant, pk=merchant_id)
    access.require_promotion_manager(request.user, shop)
    return _merchant_page(request, shop)


@login_required
@require_POST
def merchant_promotion(request: HttpRequest, merchant_id: int) -> HttpResponse:
    shop = get_object_or_404(Merchant, pk=merchant_id)
    access.require_promotion_manager(request.user, shop)
    form = PromotionForm(request.POST)
    if form.is_valid():
        rate = None if form.cleaned_data["opt_out"] else form.cleaned_data["rate"]
        try:
            promo = services.set_promotion(
                actor=request.user, merchant=shop, rate_permille=rate
            )
        except DomainError as exc:
            _fail(form, exc)
        else:
            if promo is None or promo.state == promo.State.OFF:
                messages.success(request, _("已退出分享推广"))
            elif promo.state == promo.State.PAUSED:
                messages.warning(
                    request, _("已保存;推广预算为零,请先向社区缴纳预算,推广才会生效")
                )
            else:
                messages.success(request, _("已保存推广比例"))
            return redirect("referrals:merchant", merchant_id=shop.pk)
    return _merchant_page(request, shop, form=form, status=400)


# --- operators ---


def _operator_page(
    request,
    *,
    topup_for=None,
    topup_form=None,
    decide_for=None,
    decide_form=None,
    status=200,
) -> HttpResponse:
    communities = access.require_operator(request.user)
    summary = selectors.get_operator_summary(communities=communities)
    for row in summary.merchants:
        m = row["merchant"]
        row["form"] = (
            topup_form
            if topup_for == m.pk
            else TopUpForm(initial={"key": uuid.uuid4().hex}, prefix=f"m{m.pk}")
        )
    for w in summary.withdrawals:
        w.form = decide_form if decide_for == w.pk else DecideForm(prefix=f"w{w.pk}")
        w.masked = services.mask_name(w.resident)
    return render(
        request,
        "referrals/operator.html",
        {"communities": communities, "s": summary},
        status=status,
    )


@login_required
def operator(request: HttpRequest) -> HttpResponse:
    """Totals, shops' budgets (with top-up forms), top referrers, withdrawals."""
    return _operator_page(request)


@login_required
@require_POST
def operator_topup(request: HttpRequest, merchant_id: int) -> HttpResponse:
    shop = get_object_or_404(Merchant, pk=merchant_id)
    access.require_operator_of_merchant(request.user, shop)
    form = TopUpForm(request.POST, prefix=f"m{shop.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_topup(
                actor=request.user,
                merchant=shop,
                amount_fen=data["amount"],
                note=data["note"],
                key=data["key"],
            )
        except DomainError as exc:
            _fail(form, exc)
        else:
            messages.success(
                request, _("已记录 %(shop)s 的推广预算充值") % {"shop": shop.name}
            )
            return redirect("referrals:operator")
    return _operator_page(request, topup_for=shop.pk, topup_form=form, status=400)


@login_required
@require_POST
def operator_decide(request: HttpRequest, withdrawal_id: int) -> HttpResponse:
    withdrawal = get_object_or_404(
        Withdrawal.objects.select_related("resident__household__compound"),
        pk=withdrawal_id,
    )
    access.require_withdrawal_approver(request.user, withdrawal)
    form = DecideForm(request.POST, prefix=f"w{withdrawal.pk}")
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.decide_withdrawal(
                actor=request.user,
                withdrawal=withdrawal,
                approve=approve,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            if exc.status_code == 403:
                raise
            _fail(form, exc)
        else:
            messages.success(request, _("已批准提现") if approve else _("已驳回提现"))
            return redirect("referrals:operator")
    return _operator_page(
        request, decide_for=withdrawal.pk, decide_form=form, status=400
    )
