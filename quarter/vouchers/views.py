"""Pages of the vouchers app: countdown and claim, wallet, till, review, issuer console.

Views parse input, call one service or selector and render; permissions are
checked again in the services.
"""

from __future__ import annotations

import datetime as dt
import uuid

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from quarter.core import clock, downloads
from quarter.core.clientip import client_ip
from quarter.core.errors import DomainError, PermissionDenied
from quarter.core.money import format_yuan
from quarter.places.models import Merchant
from quarter.vouchers import access, codes, selectors
from quarter.vouchers.answers import claim_answer
from quarter.vouchers.forms import (
    CampaignForm,
    RefundForm,
    ReviewForm,
    RoundChangeForm,
    RoundForm,
)
from quarter.vouchers.models import Campaign, Phase, Redemption, Settlement
from quarter.vouchers.services import campaigns, claims, redemptions, settlement


def _device(request) -> str:
    return (
        request.headers.get("X-Device-Id")
        or request.COOKIES.get("qdev")
        or request.headers.get("User-Agent", "")
    )[:64]


def _form_error(form, exc: DomainError) -> None:
    field = (exc.field or "").split(".")[0]
    form.add_error(field if field in form.fields else None, exc.message)


# --- residents ---------------------------------------------------------------------


def round_list(request):
    rounds = selectors.list_public_rounds()
    now = clock.now()
    items = [
        {"round": r, "phase": r.phase(now), "packet": selectors.describe_round(r)}
        for r in rounds
    ]
    return render(request, "vouchers/round_list.html", {"items": items})


def round_detail(request, round_id: int):
    round_ = selectors.get_round(round_id=round_id)
    now = clock.now()
    ticket, problem, claimed = None, None, None
    if request.user.is_authenticated and hasattr(request.user, "resident"):
        claimed = selectors.has_claimed(resident=request.user.resident, round_=round_)
        try:
            ticket = claims.issue_rush_ticket(actor=request.user, round_=round_)
        except DomainError as exc:
            problem = exc.message
    return render(
        request,
        "vouchers/round_detail.html",
        {
            "round": round_,
            "phase": round_.phase(now),
            "packet": selectors.describe_round(round_),
            "coupons": round_.coupons.all(),
            "ticket": ticket,
            "problem": problem,
            "claimed": claimed,
            "now_ms": int(now.timestamp() * 1000),
            "release_ms": int(round_.release_at.timestamp() * 1000),
        },
    )


@csrf_exempt  # the ticket travels in a custom header a cross-site form cannot send
@require_POST
def rush_claim(request, round_id: int):
    """The claim button's URL when the gate (`rushgate`) is not in front of Django.

    The same service and the same answer as the gate: `claim_with_ticket`,
    then `claim_answer`.
    """
    try:
        result = claims.claim_with_ticket(
            ticket=request.headers.get("X-Rush-Ticket", ""),
            round_id=round_id,
            ip=client_ip(request),
            device=_device(request),
        )
    except DomainError as exc:
        result = exc
    status, body = claim_answer(result)
    return JsonResponse(body, status=status)


def hello(request):
    """Hello world through the whole Django stack: the benchmark's baseline."""
    return HttpResponse(b"hello", content_type="text/plain")


@login_required
def wallet(request):
    resident = claims.resident_of(request.user)
    vouchers = selectors.list_wallet(resident=resident)
    # Reads only: packets Redis acknowledged that the persister has not written.
    pending = selectors.list_pending_vouchers(
        resident=resident, known_round_ids={v.round_id for v in vouchers}
    )
    shops = {}
    for v in vouchers:
        if v.status == "unused" and v.round.campaign_id not in shops:
            shops[v.round.campaign_id] = list(
                selectors.merchants_accepting(voucher=v)[:30]
            )
    pins = [
        {
            "id": m.pk,
            "name": m.name,
            "lat": m.lat,
            "lng": m.lng,
            "type_name": m.main_type.name_zh,
            "tier": m.main_type.tier,
        }
        for ms in shops.values()
        for m in ms
    ]
    return render(
        request,
        "vouchers/wallet.html",
        {
            "vouchers": pending + vouchers,
            "pending": bool(pending),
            "shops": shops,
            "pins": pins,
            "has_unused": bool(pending) or any(v.status == "unused" for v in vouchers),
            "has_shops": bool(pins),
        },
    )


@login_required
def wallet_code(request):
    """The rotating pay code: a QR of the long token plus the typed digits (htmx)."""
    resident = claims.resident_of(request.user)
    at = clock.now().timestamp()
    code = codes.group_code(codes.wallet_code(resident.pk, at=at))
    token = codes.wallet_token(resident.pk, at=at)
    svg = segno.make_qr(token, error="m").svg_inline(
        scale=5, dark="#1f2328", omitsize=True
    )
    return render(
        request,
        "vouchers/_wallet_code.html",
        {"code": code, "svg": svg, "seconds": codes.wallet_code_seconds_left(at=at)},
    )


# --- merchants ---------------------------------------------------------------------


@login_required
def till_home(request):
    shops = list(selectors.list_merchants_for_staff(user=request.user))
    if len(shops) == 1:
        return redirect("vouchers:till", merchant_id=shops[0].pk)
    return render(request, "vouchers/till_home.html", {"shops": shops})


def _shop_for(request, merchant_id: int) -> Merchant:
    """The shop of the till; a 403 page unless the user works there."""
    shop = get_object_or_404(Merchant, pk=merchant_id)
    access.require_till_staff(request.user, shop)
    return shop


@login_required
def till(request, merchant_id: int):
    from quarter.card import selectors as card_selectors
    from quarter.card.forms import PayForm

    shop = _shop_for(request, merchant_id)
    from quarter.vouchers.models import MerchantPledge

    pledged = set(
        MerchantPledge.objects.filter(merchant=shop).values_list(
            "campaign_id", flat=True
        )
    )
    open_campaigns = Campaign.objects.filter(
        issuer__district_id=shop.community.street_office.district_id
    ).exclude(pk__in=pledged)
    return render(
        request,
        "vouchers/till.html",
        {
            "shop": shop,
            "form": PayForm(),
            "recent": card_selectors.list_recent_visits(merchant=shop),
            "unpledged": open_campaigns,
            "refund_form": RefundForm(),
        },
    )


def _till_status(form, exc: DomainError | None) -> int:
    """A refused quote or confirm answers 400 (or the refusal's own 409/429)."""
    if exc is not None:
        return exc.status_code
    return 400 if form.errors else 200


@login_required
@require_POST
def till_quote(request, merchant_id: int):
    """Read the customer's code, price the bill: card price and the best voucher."""
    from quarter.card import payments
    from quarter.card.forms import PayForm

    shop = _shop_for(request, merchant_id)
    form = PayForm(request.POST)
    ctx, exc = {"shop": shop, "form": form}, None
    if form.is_valid():
        try:
            quote = payments.quote_payment(
                actor=request.user, merchant=shop, **form.to_input().kwargs()
            )
            ctx.update(quote=quote, key=uuid.uuid4().hex)
        except DomainError as e:
            exc = e
            _form_error(form, e)
    return render(
        request, "vouchers/_till_quote.html", ctx, status=_till_status(form, exc)
    )


@login_required
@require_POST
def till_redeem(request, merchant_id: int):
    """Confirm the quoted payment (idempotency key): one visit, maybe a redemption."""
    from quarter.card import payments
    from quarter.card.forms import ConfirmForm

    shop = _shop_for(request, merchant_id)
    form = ConfirmForm(request.POST)
    ctx, exc = {"shop": shop, "form": form}, None
    if form.is_valid():
        try:
            ctx["visit"] = payments.confirm_payment(
                actor=request.user,
                merchant=shop,
                **form.to_input().kwargs(),
                device=_device(request),
                ip=client_ip(request),
            )
        except DomainError as e:
            exc = e
            _form_error(form, e)
        else:
            from quarter.card import selectors as card_selectors

            # The page's recent-payments list is swapped out of band at once.
            ctx["recent"] = card_selectors.list_recent_visits(merchant=shop)
    return render(
        request, "vouchers/_till_result.html", ctx, status=_till_status(form, exc)
    )


@login_required
@require_POST
def till_visit_refund(request, merchant_id: int, visit_id: int):
    """Refund a till payment (card, voucher or both); 302 back to the till."""
    from quarter.card import payments
    from quarter.card.forms import VisitRefundForm
    from quarter.card.models import Visit

    _shop_for(request, merchant_id)
    visit = get_object_or_404(Visit, pk=visit_id, merchant_id=merchant_id)
    form = VisitRefundForm(request.POST)
    if form.is_valid():
        try:
            v = payments.refund_payment(
                actor=request.user, visit=visit, amount_fen=form.cleaned_data["amount"]
            )
            messages.success(
                request,
                _("已全额退款") if v.status == "refunded" else _("已部分退款"),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("请输入正确的退款金额"))
    return redirect("vouchers:till", merchant_id=merchant_id)


@login_required
@require_POST
def till_refund(request, merchant_id: int, redemption_id: int):
    _shop_for(request, merchant_id)
    redemption = get_object_or_404(
        Redemption, pk=redemption_id, merchant_id=merchant_id
    )
    form = RefundForm(request.POST)
    if form.is_valid():
        try:
            r = redemptions.refund_redemption(
                actor=request.user,
                redemption=redemption,
                amount_fen=form.cleaned_data["amount"],
            )
            messages.success(
                request,
                _("已全额退款,消费券已退回顾客卡包")
                if r.status == "refunded"
                else _("已部分退款(部分退款不退券)"),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("请输入正确的退款金额"))
    return redirect("vouchers:till", merchant_id=merchant_id)


@login_required
@require_POST
def till_pledge(request, merchant_id: int, campaign_id: int):
    shop = _shop_for(request, merchant_id)
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    try:
        campaigns.sign_pledge(actor=request.user, campaign=campaign, merchant=shop)
        messages.success(
            request, _("已签署承诺,可受理“%(name)s”消费券") % {"name": campaign.name}
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("vouchers:till", merchant_id=merchant_id)


@login_required
def merchant_settlements(request, merchant_id: int):
    shop = _shop_for(request, merchant_id)
    return render(
        request,
        "vouchers/settlements.html",
        {"shop": shop, "settlements": selectors.list_settlements(merchant=shop)},
    )


@login_required
def settlement_download(request, settlement_id: int, fmt: str):
    s, body = settlement.get_statement(
        actor=request.user, settlement_id=settlement_id, fmt=fmt
    )
    return downloads.attachment(
        body,
        kind=fmt,
        name=f"settlement-{s.merchant_id}-{s.business_date:%Y%m%d}",
        display_name=_("%(shop)s消费券结算单%(date)s")
        % {"shop": s.merchant.name, "date": f"{s.business_date:%Y%m%d}"},
    )


@login_required
@require_POST
def settlement_paid(request, settlement_id: int):
    s = get_object_or_404(Settlement, pk=settlement_id)
    try:
        settlement.mark_settlement_paid(
            actor=request.user,
            settlement=s,
            payment_ref=request.POST.get("payment_ref", ""),
        )
        messages.success(request, _("已记录付款"))
    except PermissionDenied:
        raise  # answered 403 by the DomainError middleware, like every refusal
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("vouchers:dashboard")


# --- operators ---------------------------------------------------------------------


@login_required
def review_queue(request):
    access.require_reviewer(request.user)
    held = (
        access.held_redemptions_for(request.user)
        .select_related("merchant", "resident", "voucher")
        .order_by("created_at")
    )
    locked = selectors.list_locked_pay_codes(actor=request.user)
    return render(
        request,
        "vouchers/review.html",
        {"held": held, "locked": locked, "form": ReviewForm()},
    )


@login_required
@require_POST
def review_decide(request, redemption_id: int):
    redemption = get_object_or_404(Redemption, pk=redemption_id)
    access.require_reviewer_of(request.user, redemption)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择审核结果并填写理由"))
        return redirect("vouchers:review")
    try:
        r = redemptions.review_redemption(
            actor=request.user,
            redemption=redemption,
            release=form.cleaned_data["decision"] == "release",
            reason=form.cleaned_data["reason"],
        )
        messages.success(
            request,
            _("核销#%(pk)s:%(status)s")
            % {"pk": r.pk, "status": r.get_status_display()},
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("vouchers:review")


# --- issuers ---------------------------------------------------------------------


@login_required
def issuer_home(request):
    issuer = access.issuer_for(request.user)
    form = CampaignForm(request.POST or None, district=issuer.district)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaigns.create_campaign(
                actor=request.user, issuer=issuer, **form.to_input().kwargs()
            )
            messages.success(
                request, _("活动“%(name)s”已创建,预算已到账") % {"name": campaign.name}
            )
            return redirect("vouchers:campaign", campaign_id=campaign.pk)
        except DomainError as exc:
            _form_error(form, exc)
    return render(
        request,
        "vouchers/issuer_home.html",
        {
            "issuer": issuer,
            "campaigns": selectors.list_campaigns(issuer_user=request.user),
            "form": form,
            "yesterday": (clock.local_now() - dt.timedelta(days=1)).date(),
        },
        status=400 if form.errors else 200,
    )


def _round_initial() -> dict:
    start = (clock.local_now() + dt.timedelta(hours=1)).replace(
        minute=0, second=0, microsecond=0
    )
    return {
        "release_at": start,
        "claim_closes_at": start + dt.timedelta(days=1),
        "valid_from": start,
        "valid_until": start + dt.timedelta(days=7),
        "preset": "hz2022",
        "packets_total": 1000,
        "person_limit": "round",
    }


@login_required
def campaign_detail(request, campaign_id: int):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    access.require_issuer_of(request.user, campaign)
    form = RoundForm(request.POST or None, initial=_round_initial())
    if request.method == "POST" and form.is_valid():
        try:
            round_ = campaigns.create_round(
                actor=request.user, campaign=campaign, **form.to_input().kwargs()
            )
            messages.success(request, _("轮次“%(name)s”已创建") % {"name": round_.name})
            return redirect("vouchers:campaign", campaign_id=campaign.pk)
        except DomainError as exc:
            _form_error(form, exc)
    now = clock.now()
    rounds = [
        {"round": r, "phase": r.phase(now), "packet": selectors.describe_round(r)}
        for r in campaign.rounds.prefetch_related("coupons")
    ]
    return render(
        request,
        "vouchers/campaign.html",
        {
            "campaign": campaign,
            "rounds": rounds,
            "form": form,
            "balances": selectors.campaign_balances(campaign=campaign),
        },
        status=400 if form.errors else 200,
    )


@login_required
def round_change(request, round_id: int):
    round_ = selectors.get_round(round_id=round_id)
    access.require_issuer_of(request.user, round_.campaign)
    initial = {
        "name": round_.name,
        "release_at": round_.release_at.astimezone(clock.SHANGHAI),
        "claim_closes_at": round_.claim_closes_at.astimezone(clock.SHANGHAI),
        "valid_from": round_.valid_from.astimezone(clock.SHANGHAI),
        "valid_until": round_.valid_until.astimezone(clock.SHANGHAI),
        "packets_total": round_.packets_total,
        "preset": "custom",
        "custom": "\n".join(
            f"满{format_yuan(c.threshold_fen, symbol=False)}减"
            f"{format_yuan(c.face_fen, symbol=False)}×{c.count}"
            for c in round_.coupons.all()
        ),
        "person_limit": round_.person_limit,
        "min_age": round_.min_age,
    }
    form = RoundChangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            campaigns.change_round(
                actor=request.user, round_=round_, **form.to_input().kwargs()
            )
            messages.success(request, _("轮次已修改,修改原因已记录"))
            return redirect("vouchers:campaign", campaign_id=round_.campaign_id)
        except DomainError as exc:
            _form_error(form, exc)
    return render(
        request,
        "vouchers/round_change.html",
        {
            "round": round_,
            "form": form,
            "events": selectors.list_round_events(round_=round_),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def round_stop(request, round_id: int):
    round_ = selectors.get_round(round_id=round_id)
    access.require_issuer_of(request.user, round_.campaign)
    try:
        campaigns.stop_round(
            actor=request.user, round_=round_, reason=request.POST.get("reason", "")
        )
        messages.success(
            request,
            _("轮次“%(name)s”已停止,未领取部分退回预算") % {"name": round_.name},
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("vouchers:campaign", campaign_id=round_.campaign_id)


@login_required
@require_POST
def round_draw(request, round_id: int):
    from quarter.vouchers.services import lottery

    round_ = selectors.get_round(round_id=round_id)
    access.require_issuer_of(request.user, round_.campaign)
    try:
        winners = lottery.draw(actor=request.user, round_=round_)
        round_.refresh_from_db()
        messages.success(
            request,
            _("已摇号:%(n)s 人中签,随机种子 %(seed)s")
            % {"n": len(winners), "seed": round_.draw_seed},
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("vouchers:campaign", campaign_id=round_.campaign_id)


@login_required
@require_POST
def issuer_settle(request):
    access.issuer_for(request.user)
    try:
        day = dt.date.fromisoformat(request.POST.get("business_date", ""))
        done = settlement.settle_day(business_date=day, actor=request.user)
        messages.success(
            request,
            _("%(day)s 结算完成:%(n)s 家商户,%(amount)s")
            % {
                "day": day,
                "n": len(done),
                "amount": format_yuan(sum(s.amount_fen for s in done)),
            },
        )
    except ValueError:
        messages.error(request, _("请选择营业日期"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("vouchers:issuer")


@login_required
def issuer_dashboard(request):
    issuer = access.issuer_for(request.user)
    camps = list(selectors.list_campaigns(issuer_user=request.user))
    stats = [selectors.round_stats(round_=r) for c in camps for r in c.rounds.all()]
    breakdown = selectors.leverage_breakdown(campaigns=camps)
    subsidy = sum(s["subsidy_fen"] for s in stats)
    driven = sum(s["driven_fen"] for s in stats)
    cofund = sum(s["cofund_fen"] for s in stats)
    chart = {
        "rounds": [s["round"].name for s in stats],
        "sellout": [s["sellout_seconds"] for s in stats],
        "redemption_rate": [round(s["redemption_rate"] * 100, 1) for s in stats],
        "subsidy": [s["subsidy_fen"] / 100 for s in stats],
        "driven": [s["driven_fen"] / 100 for s in stats],
        "leverage": [round(s["leverage"], 2) if s["leverage"] else 0 for s in stats],
        "curves": [{"label": s["round"].name, "points": s["curve"]} for s in stats],
        "breakdown": breakdown,
    }
    settlements = selectors.list_settlements(
        merchant_ids=Merchant.objects.filter(
            community__street_office__district=issuer.district
        ).values_list("pk", flat=True)
    )[:20]
    return render(
        request,
        "vouchers/dashboard.html",
        {
            "issuer": issuer,
            "stats": stats,
            "subsidy_fen": subsidy,
            "cofund_fen": cofund,
            "driven_fen": driven,
            "leverage": driven / subsidy if subsidy else None,
            "chart": chart,
            "flags": selectors.flags_summary(campaigns=camps),
            "settlements": settlements,
            "live_rounds": [
                s["round"] for s in stats if s["round"].phase(clock.now()) == Phase.OPEN
            ],
        },
    )


def round_live(request, round_id: int):
    """Live counters during a rush (polled by the dashboard)."""
    round_ = selectors.get_round(round_id=round_id)
    return JsonResponse(selectors.live_counters(round_=round_))
