"""Verbs of reviews: rate, reply, moderate; open, re-evaluate, act on evaluations.

Every public service takes `actor`, checks permission through `access.py`,
runs in one transaction and records a `ReviewEvent`. Removal of a merchant
goes through `places.services.remove_merchant`, which moves its admission to
removed and records the `MerchantEvent`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.notifications.services import notify
from quarter.places import services as places_services
from quarter.places.models import Admission, Community, Merchant
from quarter.reviews import access, events, scoring, selectors
from quarter.reviews.complaints import count_complaints
from quarter.reviews.errors import ReviewErrorCode as Code
from quarter.reviews.models import (
    RATING_TRANSITIONS,
    RESULT_TRANSITIONS,
    Evaluation,
    EvaluationResult,
    Rating,
    RatingPhoto,
    RatingStatus,
    ResultState,
    ReviewEvent,
)

MAX_TEXT = 1000
MAX_REPLY = 500
MAX_PHOTOS = 3
MAX_REASON = 200


# --- rating ---------------------------------------------------------------------


@dataclass
class Stars:
    quality: int
    service: int
    price: int


def parse_stars(data) -> Stars:
    """Read 质量/服务/价格 as whole stars 1–5; raise `stars_out_of_range`."""
    labels = {"quality": "质量", "service": "服务", "price": "价格"}
    values = {}
    for field, label in labels.items():
        raw = data.get(field)
        text = str(raw).strip() if raw is not None else ""
        if not text.isdigit() or not 1 <= int(text) <= 5:
            raise DomainError(
                Code.STARS_OUT_OF_RANGE, f"请为“{label}”选择1到5星", field=field
            )
        values[field] = int(text)
    return Stars(**values)


def rate_merchant(
    *,
    actor,
    merchant: Merchant,
    stars: Stars,
    text: str = "",
    photos: list[UploadedFile] = (),
) -> Rating:
    """Rate `merchant` for the resident's oldest unrated visit or voucher payment.

    Raises `not_a_resident`, `cannot_rate_own_merchant`, `merchant_not_listed`,
    `stars_out_of_range`, `text_too_long`, `too_many_photos`,
    `upload_rejected`, `no_recent_visit`. Writes nothing on error. Records a
    `rated` event; a burst of new accounts flags the ratings (see
    `_flag_burst`) and tells the community's operators.
    """
    resident = access.require_resident(actor)
    access.require_not_own_merchant(actor, merchant)
    access.require_listed(merchant)
    for value, field in (
        (stars.quality, "quality"),
        (stars.service, "service"),
        (stars.price, "price"),
    ):
        if type(value) is not int or not 1 <= value <= 5:  # noqa: E721
            raise DomainError(Code.STARS_OUT_OF_RANGE, "请选择1到5星", field=field)
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise DomainError(
            Code.TEXT_TOO_LONG, f"评价内容不能超过{MAX_TEXT}字", field="text"
        )
    photos = [p for p in photos or [] if p]
    if len(photos) > MAX_PHOTOS:
        raise DomainError(
            Code.TOO_MANY_PHOTOS, f"最多上传{MAX_PHOTOS}张照片", field="photos"
        )
    for photo in photos:
        places_services.check_photo(photo)
    with transaction.atomic():
        visit = (
            selectors.list_rateable_visits(resident=resident, merchant=merchant)
            .select_for_update(of=("self",))
            .first()
        )
        redemption = None
        if visit is not None:
            redemption = visit.redemption
        else:
            redemption = (
                selectors.list_rateable_redemptions(
                    resident=resident, merchant=merchant
                )
                .select_for_update(of=("self",))
                .first()
            )
            if redemption is None:
                raise DomainError(
                    Code.NO_RECENT_VISIT,
                    "在本店消费(使用大家卡或消费券)后30天内才能评价,每次消费可评价一次",
                    status_code=403,
                )
        rating = Rating.objects.create(
            merchant=merchant,
            author=actor,
            visit=visit,
            redemption=redemption,
            quality=stars.quality,
            service=stars.service,
            price=stars.price,
            text=text,
            created_at=clock.now(),
        )
        for order, photo in enumerate(photos):
            RatingPhoto.objects.create(rating=rating, image=photo, sort_order=order)
        events.rating_event(
            rating, ReviewEvent.Kind.RATED, actor=actor, after=rating.status
        )
        _flag_burst(rating)
    return rating


def _is_new_account(user, now: dt.datetime) -> bool:
    days = int(getattr(settings, "QUARTER_REVIEWS_NEW_ACCOUNT_DAYS", 7))
    return user.date_joined > now - dt.timedelta(days=days)


def _flag_burst(rating: Rating) -> None:
    """Flag a burst: ≥ N ratings of one merchant within H hours from new accounts.

    N = QUARTER_REVIEWS_BURST_COUNT, H = QUARTER_REVIEWS_BURST_HOURS, an
    account is new for QUARTER_REVIEWS_NEW_ACCOUNT_DAYS after it was made.
    Every visible rating of the burst becomes flagged (out of the average
    until an operator clears it); the operators are told once per merchant
    and day. Inside the caller's transaction.
    """
    now = rating.created_at
    if not _is_new_account(rating.author, now):
        return
    hours = int(getattr(settings, "QUARTER_REVIEWS_BURST_HOURS", 24))
    count = int(getattr(settings, "QUARTER_REVIEWS_BURST_COUNT", 3))
    days = int(getattr(settings, "QUARTER_REVIEWS_NEW_ACCOUNT_DAYS", 7))
    burst = list(
        Rating.objects.filter(
            merchant_id=rating.merchant_id,
            created_at__gte=now - dt.timedelta(hours=hours),
            author__date_joined__gt=now - dt.timedelta(days=days),
        )
        .exclude(status=RatingStatus.HIDDEN)
        .select_related("merchant")
    )
    if len(burst) < count:
        return
    reason = f"{hours}小时内{len(burst)}条评价来自注册不满{days}天的账号"
    for each in burst:
        if each.status != RatingStatus.VISIBLE:
            continue
        Rating.objects.filter(pk=each.pk).update(
            status=RatingStatus.FLAGGED, status_reason=reason
        )
        events.rating_event(
            each,
            ReviewEvent.Kind.FLAGGED,
            actor=None,
            reason=reason,
            before=RatingStatus.VISIBLE,
            after=RatingStatus.FLAGGED,
        )
    rating.refresh_from_db()
    merchant = rating.merchant
    day = clock.local_now().date().isoformat()
    for operator in merchant.community.operators.select_related("user"):
        notify(
            operator.user,
            kind="reviews.burst",
            title=f"{merchant.name}的评价集中出现,请核查",
            body=reason,
            url="/reviews/moderation/",
            key=f"reviews-burst:{merchant.pk}:{day}",
        )


def reply_to_rating(*, actor, rating: Rating, text: str) -> Rating:
    """Post the merchant's one reply. Raises `not_merchant_staff`, `already_replied`."""
    access.require_replier(actor, rating.merchant)
    text = (text or "").strip()
    if not text:
        raise DomainError(Code.REPLY_REQUIRED, "请填写回复内容", field="reply")
    if len(text) > MAX_REPLY:
        raise DomainError(
            Code.TEXT_TOO_LONG, f"回复不能超过{MAX_REPLY}字", field="reply"
        )
    with transaction.atomic():
        rating = (
            Rating.objects.select_for_update(of=("self",))
            .select_related("merchant")
            .get(pk=rating.pk)
        )
        if rating.reply_at is not None:
            raise DomainError(
                Code.ALREADY_REPLIED, "每条评价只能回复一次", status_code=409
            )
        rating.reply_text = text
        rating.reply_by = actor
        rating.reply_at = clock.now()
        rating.save(update_fields=["reply_text", "reply_by", "reply_at"])
        events.rating_event(rating, ReviewEvent.Kind.REPLIED, actor=actor)
    return rating


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(Code.REASON_REQUIRED, "请填写原因", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(
            Code.TEXT_TOO_LONG, f"原因不能超过{MAX_REASON}字", field="reason"
        )
    return reason


def _moderate(
    *, actor, rating: Rating, to: str, kind: str, reason: str, only_from=None
) -> Rating:
    access.require_moderator(actor, rating.merchant)
    with transaction.atomic():
        rating = (
            Rating.objects.select_for_update(of=("self",))
            .select_related("merchant")
            .get(pk=rating.pk)
        )
        before = rating.status
        if only_from is not None and before != only_from[0]:
            raise DomainError(Code.RATING_STATE, only_from[1], status_code=409)
        RATING_TRANSITIONS.check(before, to)
        rating.status = to
        rating.status_reason = reason
        rating.save(update_fields=["status", "status_reason"])
        events.rating_event(
            rating, kind, actor=actor, reason=reason, before=before, after=to
        )
    return rating


def hide_rating(*, actor, rating: Rating, reason: str) -> Rating:
    """Hide a rating from pages and averages; the reason is required and recorded."""
    return _moderate(
        actor=actor,
        rating=rating,
        to=RatingStatus.HIDDEN,
        kind=ReviewEvent.Kind.HIDDEN,
        reason=_reason(reason),
    )


def show_rating(*, actor, rating: Rating, reason: str = "") -> Rating:
    """Show a hidden rating again. Raises `rating_state_not_allowed` otherwise."""
    return _moderate(
        only_from=(RatingStatus.HIDDEN, "这条评价没有被隐藏"),
        actor=actor,
        rating=rating,
        to=RatingStatus.VISIBLE,
        kind=ReviewEvent.Kind.SHOWN,
        reason=(reason or "").strip()[:MAX_REASON],
    )


def clear_rating(*, actor, rating: Rating, reason: str = "") -> Rating:
    """Clear a flagged rating after review: it counts in the average again."""
    return _moderate(
        only_from=(RatingStatus.FLAGGED, "这条评价不在待核查状态"),
        actor=actor,
        rating=rating,
        to=RatingStatus.VISIBLE,
        kind=ReviewEvent.Kind.CLEARED,
        reason=(reason or "核查通过").strip()[:MAX_REASON],
    )


# --- the annual star evaluation ------------------------------------------------------


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, 1, 1, tzinfo=clock.SHANGHAI)
    return start, dt.datetime(year + 1, 1, 1, tzinfo=clock.SHANGHAI)


def compute_breakdown(*, merchant: Merchant, year: int, prior: float) -> dict:
    """Return the merchant's score parts for `year` (see scoring.FORMULA_ZH)."""
    start, end = _year_bounds(year)
    last_start, _ = _year_bounds(year - 1)
    average = selectors.get_merchant_average(merchant=merchant, prior=prior)
    return scoring.breakdown(
        average=average.smoothed,
        rating_count=average.count,
        complaints=count_complaints(merchant, start=start, end=end),
        visits_this_year=selectors.count_visits(
            merchant=merchant, start=start, end=end
        ),
        visits_last_year=selectors.count_visits(
            merchant=merchant, start=last_start, end=start
        ),
        fraud_flags=selectors.count_upheld_fraud_flags(
            merchant=merchant, start=start, end=end
        ),
    )


def _check_year(year) -> int:
    this_year = clock.local_now().year
    if type(year) is not int or not 2000 <= year <= this_year:  # noqa: E721
        raise DomainError(
            Code.YEAR_OUT_OF_RANGE, f"年度应在2000至{this_year}之间", field="year"
        )
    return year


def open_evaluation(*, actor, community: Community, year: int) -> Evaluation:
    """Score every listed merchant of `community` for `year`; warn those below.

    Raises `not_community_operator`, `year_out_of_range`,
    `evaluation_already_open`. Each merchant below QUARTER_REVIEWS_STAR_BAR
    stars is warned (notification and SMS to its staff, sent after commit)
    with a deadline QUARTER_REVIEWS_IMPROVE_DAYS away. Records `opened` and
    `warned` events.
    """
    access.require_evaluator(actor, community)
    year = _check_year(year)
    today = clock.local_now().date()
    deadline = today + dt.timedelta(days=scoring.improve_days())
    prior = selectors.get_community_mean(community_id=community.pk)
    with transaction.atomic():
        if Evaluation.objects.filter(community=community, year=year).exists():
            raise DomainError(
                Code.EVALUATION_EXISTS,
                f"{community.name}{year}年度的评星已经开启",
                field="year",
                status_code=409,
            )
        evaluation = Evaluation.objects.create(
            community=community,
            year=year,
            opened_by=actor if actor.is_authenticated else None,
            opened_at=clock.now(),
            improve_until=deadline,
        )
        merchants = list(
            Merchant.objects.filter(
                community=community, admission=Admission.APPROVED
            ).order_by("pk")
        )
        for merchant in merchants:
            parts = compute_breakdown(merchant=merchant, year=year, prior=prior)
            below = parts["stars"] < scoring.star_bar()
            result = EvaluationResult.objects.create(
                evaluation=evaluation,
                merchant=merchant,
                stars=parts["stars"],
                score=parts["score"],
                breakdown=parts,
                state=ResultState.WARNED if below else ResultState.PASSED,
                deadline=deadline if below else None,
                updated_at=clock.now(),
            )
            if below:
                _warn(result, actor=actor)
        events.evaluation_opened(evaluation, actor=actor, merchants=len(merchants))
    return evaluation


def _warn(result: EvaluationResult, *, actor) -> None:
    merchant = result.merchant
    bar = scoring.star_bar()
    events.result_event(
        result,
        ReviewEvent.Kind.WARNED,
        actor=actor,
        reason=f"{result.evaluation.year}年度评星{result.stars}星,低于{bar}星",
        after={"stars": result.stars, "deadline": result.deadline.isoformat()},
    )
    deadline = f"{result.deadline:%Y年%m月%d日}"
    for staff in merchant.staff.select_related("user"):
        # The SMS leaves the process: send it only once the evaluation is saved.
        _notify_on_commit(
            staff.user,
            kind="reviews.star_warning",
            title=f"{merchant.name}年度评星{result.stars}星,请在{deadline}前整改",
            body=(
                f"得分{result.score}分,低于{bar}星的达标线。期满复评仍未达标的,"
                "社区可将本店清退出便民商户名单。"
            ),
            url=f"/reviews/merchants/{merchant.pk}/",
            key=f"reviews-warning:{result.pk}",
            sms=True,
        )


def _notify_on_commit(user, **message) -> None:
    transaction.on_commit(lambda: notify(user, **message))


def reevaluate_result(*, actor, result: EvaluationResult) -> EvaluationResult:
    """Score a warned merchant again after its deadline: improved or still below.

    Raises `not_community_operator`, `deadline_not_passed`,
    `evaluation_result_state_not_allowed`. Records a `reevaluated` event.
    """
    access.require_evaluator(actor, result.evaluation.community)
    with transaction.atomic():
        result = (
            EvaluationResult.objects.select_for_update(of=("self",))
            .select_related("evaluation", "merchant")
            .get(pk=result.pk)
        )
        if result.state not in (ResultState.WARNED, ResultState.STILL_BELOW):
            raise DomainError(
                Code.RESULT_STATE, "只有预警中的商户可以复评", status_code=409
            )
        if clock.local_now().date() <= result.deadline:
            raise DomainError(
                Code.DEADLINE_NOT_PASSED,
                f"整改期限{result.deadline:%Y年%m月%d日}还没到,期满后才能复评",
                status_code=409,
            )
        prior = selectors.get_community_mean(community_id=result.merchant.community_id)
        # The re-evaluation looks at the year up to now: ratings, complaints and
        # visits since the warning count.
        parts = compute_breakdown(
            merchant=result.merchant, year=clock.local_now().year, prior=prior
        )
        before = {"stars": result.stars, "score": result.score, "state": result.state}
        target = (
            ResultState.STILL_BELOW
            if parts["stars"] < scoring.star_bar()
            else ResultState.IMPROVED
        )
        if target != result.state:
            RESULT_TRANSITIONS.check(result.state, target)
        result.stars, result.score, result.state = (
            parts["stars"],
            parts["score"],
            target,
        )
        result.breakdown = {**parts, "first": result.breakdown}
        result.reevaluated_at = result.updated_at = clock.now()
        result.save()
        events.result_event(
            result,
            ReviewEvent.Kind.REEVALUATED,
            actor=actor,
            before=before,
            after={"stars": result.stars, "score": result.score, "state": target},
        )
    return result


def remove_below_bar(
    *, actor, result: EvaluationResult, reason: str
) -> EvaluationResult:
    """Remove a merchant still below the bar after re-evaluation (清退).

    Raises `not_community_operator`, `reason_required`,
    `evaluation_result_state_not_allowed`, and places' `admission_not_pending`.
    The merchant's admission becomes removed through
    `places.services.remove_merchant` (MerchantEvent, map and search
    updated); its ratings, visits and redemptions stay. Records `removed`.
    """
    access.require_evaluator(actor, result.evaluation.community)
    reason = _reason(reason)
    with transaction.atomic():
        result = (
            EvaluationResult.objects.select_for_update(of=("self",))
            .select_related("evaluation", "merchant")
            .get(pk=result.pk)
        )
        RESULT_TRANSITIONS.check(result.state, ResultState.REMOVED)
        places_services.remove_merchant(
            actor=actor,
            merchant=result.merchant,
            reason=f"{result.evaluation.year}年度评星复评{result.stars}星未达标:{reason}",
        )
        result.state = ResultState.REMOVED
        result.removal_reason = reason
        result.updated_at = clock.now()
        result.save(update_fields=["state", "removal_reason", "updated_at"])
        events.result_event(
            result,
            ReviewEvent.Kind.REMOVED,
            actor=actor,
            reason=reason,
            before={"state": ResultState.STILL_BELOW},
            after={"state": ResultState.REMOVED},
        )
    return result
