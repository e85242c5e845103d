"""Verbs of the notice board: notices, job posts, suggestions.

Every public service takes `actor`, checks permission through `access.py`,
validates before writing anything, and runs in one transaction. State changes
go through the transitions tables in `models.py`. People are told through
`quarter.notifications.services.notify` (idempotent per key): a shop's staff
when their notice or job post is decided, a suggestion's author on each answer.
"""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from quarter.board import access
from quarter.board.errors import BoardErrorCode as Code
from quarter.board.models import (
    JOB_TRANSITIONS,
    MAX_BODY,
    MAX_TITLE,
    MERCHANT_KINDS,
    NOTICE_TRANSITIONS,
    SUGGESTION_TRANSITIONS,
    JobPost,
    JobStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
    PayUnit,
    Suggestion,
    SuggestionAnswer,
    SuggestionCategory,
    SuggestionStatus,
    SuggestionSupport,
)
from quarter.core import clock
from quarter.core.actors import is_person
from quarter.core.errors import DomainError
from quarter.core.money import format_discount
from quarter.notifications.services import notify
from quarter.places.models import Admission, Merchant, MerchantEvent, MerchantStatus

MAX_PAY_FEN = 10_000_000  # ¥100,000 per unit: beyond this it is a typo


# --- input checks ---------------------------------------------------------------


def _text(value: str | None, *, field: str, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(Code.FIELD_REQUIRED, "此项必填", field=field)
    if len(value) > limit:
        raise DomainError(
            Code.TEXT_TOO_LONG,
            f"不能超过{limit}个字(现在{len(value)}个字)",
            field=field,
            params={"limit": limit, "length": len(value)},
        )
    return value


def _check_schedule(
    publish_at: dt.datetime | None, expire_at: dt.datetime | None
) -> None:
    now = clock.now()
    if expire_at is not None and expire_at <= max(publish_at or now, now):
        raise DomainError(
            Code.BAD_SCHEDULE, "下线时间须晚于发布时间和现在", field="expire_at"
        )


def _local(when: dt.datetime) -> str:
    return f"{when.astimezone(clock.SHANGHAI):%Y-%m-%d %H:%M}"


def _user(actor):
    return actor if is_person(actor) else None


# --- notices ----------------------------------------------------------------------


def publish_notice(
    *,
    actor,
    community,
    kind: str,
    title: str,
    body: str = "",
    pinned: bool = False,
    publish_at: dt.datetime | None = None,
    expire_at: dt.datetime | None = None,
    merchant: Merchant | None = None,
) -> Notice:
    """Publish a notice for `community` as its operator (shown from `publish_at`).

    Raises `not_community_operator`, `field_required`, `text_too_long`,
    `unknown_notice_kind`, `notice_schedule_invalid`. Writes nothing on error.
    """
    access.require_operator_of(actor, community)
    if kind not in NoticeKind.values:
        raise DomainError(Code.UNKNOWN_KIND, "请选择公告类别", field="kind")
    title = _text(title, field="title", limit=MAX_TITLE)
    body = _text(body, field="body", limit=MAX_BODY, required=False)
    _check_schedule(publish_at, expire_at)
    if merchant is not None and merchant.community_id != community.pk:
        raise DomainError(Code.OTHER_COMMUNITY, "这家店不在本社区", field="merchant")
    now = clock.now()
    return Notice.objects.create(
        community=community,
        merchant=merchant,
        kind=kind,
        title=title,
        body=body,
        status=NoticeStatus.PUBLISHED,
        pinned=bool(pinned),
        publish_at=publish_at or now,
        expire_at=expire_at,
        created_by=_user(actor),
        decided_by=_user(actor),
        created_at=now,
        decided_at=now,
    )


def submit_notice(
    *,
    actor,
    merchant: Merchant,
    kind: str,
    title: str,
    body: str = "",
    publish_at: dt.datetime | None = None,
    expire_at: dt.datetime | None = None,
) -> Notice:
    """File a shop's notice about itself for its community's operators to approve.

    Raises `merchant_not_owned`, `merchant_not_listed`,
    `notice_kind_not_for_merchants`, `field_required`, `text_too_long`,
    `notice_schedule_invalid`.
    """
    access.require_staff_of(actor, merchant)
    if merchant.admission != Admission.APPROVED:
        raise DomainError(
            Code.MERCHANT_NOT_LISTED, "本店尚未通过入驻审核,暂不能发布公告"
        )
    if kind not in MERCHANT_KINDS:
        raise DomainError(
            Code.KIND_NOT_FOR_MERCHANTS,
            "商户只能发布新店加入、促销活动或停业/装修公告",
            field="kind",
        )
    title = _text(title, field="title", limit=MAX_TITLE)
    body = _text(body, field="body", limit=MAX_BODY, required=False)
    _check_schedule(publish_at, expire_at)
    return Notice.objects.create(
        community_id=merchant.community_id,
        merchant=merchant,
        kind=kind,
        title=title,
        body=body,
        status=NoticeStatus.PENDING,
        publish_at=publish_at,
        expire_at=expire_at,
        created_by=_user(actor),
        created_at=clock.now(),
    )


def approve_notice(
    *,
    actor,
    notice: Notice,
    pinned: bool | None = None,
    publish_at: dt.datetime | None = None,
    expire_at: dt.datetime | None = None,
) -> Notice:
    """Publish a pending or draft notice; its submitter is notified.

    `publish_at`/`expire_at` given here replace the submitted ones. Raises
    `not_community_operator`, `notice_state_conflict` (409),
    `notice_schedule_invalid`.
    """
    access.require_operator_of(actor, notice.community)
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        NOTICE_TRANSITIONS.check(notice.status, NoticeStatus.PUBLISHED)
        publish_at = publish_at or notice.publish_at
        expire_at = expire_at or notice.expire_at
        _check_schedule(publish_at, expire_at)
        now = clock.now()
        notice.status = NoticeStatus.PUBLISHED
        notice.publish_at = publish_at or now
        notice.expire_at = expire_at
        if pinned is not None:
            notice.pinned = bool(pinned)
        notice.decided_by = _user(actor)
        notice.decided_at = now
        notice.save()
        if notice.created_by_id and notice.merchant_id:
            notify(
                notice.created_by,
                kind="board.notice_approved",
                title=f"您提交的公告“{notice.title}”已通过审核",
                body=f"发布时间:{_local(notice.publish_at)}",
                url=reverse("board:notice", args=[notice.pk]),
                key=f"board.notice.{notice.pk}.decided",
            )
    return notice


def reject_notice(*, actor, notice: Notice, reason: str) -> Notice:
    """Refuse a pending notice with a reason the submitter is told.

    Raises `not_community_operator`, `reason_required`, `notice_state_conflict`.
    """
    access.require_operator_of(actor, notice.community)
    reason = _reason(reason)
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        NOTICE_TRANSITIONS.check(notice.status, NoticeStatus.REJECTED)
        notice.status = NoticeStatus.REJECTED
        notice.reject_reason = reason
        notice.decided_by = _user(actor)
        notice.decided_at = clock.now()
        notice.save()
        if notice.created_by_id:
            notify(
                notice.created_by,
                kind="board.notice_rejected",
                title=f"您提交的公告“{notice.title}”未通过审核",
                body=f"原因:{reason}",
                url=reverse("board:shop", args=[notice.merchant_id]),
                key=f"board.notice.{notice.pk}.decided",
            )
    return notice


def withdraw_notice(*, actor, notice: Notice) -> Notice:
    """Take a published notice down, or discard a draft. `notice_state_conflict`."""
    access.require_operator_of(actor, notice.community)
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        NOTICE_TRANSITIONS.check(notice.status, NoticeStatus.WITHDRAWN)
        notice.status = NoticeStatus.WITHDRAWN
        notice.decided_by = _user(actor)
        notice.decided_at = clock.now()
        notice.save()
    return notice


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(Code.REASON_REQUIRED, "请填写驳回原因", field="reason")
    return _text(reason, field="reason", limit=500)


# --- automatic drafts from merchant events ---------------------------------------

_CLOSING = {MerchantStatus.RENOVATING, MerchantStatus.CLOSED}


def draft_from_merchant_event(event: MerchantEvent) -> Notice | None:
    """Draft a notice for the operator when a shop joins, closes or improves its offer.

    Called for every new MerchantEvent (the places services write one per
    change, inside their transaction). Drafts for: `approved` (新店加入), a
    status change to renovating or closed (停业/装修公告), and a community-card
    rate newly set or improved (促销活动). One draft per event at most; other
    events are ignored. A back-office edit (`admin_changed`) of the same fields
    drafts the same notices. Acts as SYSTEM.
    """
    draft = _draft_text(event)
    if draft is None:
        return None
    kind, title, body = draft
    merchant = event.merchant
    try:
        with transaction.atomic():
            return Notice.objects.create(
                community_id=merchant.community_id,
                merchant=merchant,
                kind=kind,
                title=title[:MAX_TITLE],
                body=body[:MAX_BODY],
                status=NoticeStatus.DRAFT,
                source_event=event,
                created_at=clock.now(),
            )
    except IntegrityError:  # already drafted from this event
        return Notice.objects.filter(source_event=event).first()


def _draft_text(event: MerchantEvent) -> tuple[str, str, str] | None:
    m = event.merchant
    before, after = event.before or {}, event.after or {}
    if event.kind == MerchantEvent.Kind.APPROVED:
        return _new_shop_text(m)
    if event.kind == MerchantEvent.Kind.STATUS_CHANGED:
        return _closure_text(m, after.get("status"), after.get("until"), event.reason)
    if event.kind == MerchantEvent.Kind.DISCOUNT_CHANGED:
        return _promotion_text(m, before.get("card"), after.get("card"))
    if event.kind == MerchantEvent.Kind.ADMIN_CHANGED:
        # A back-office edit names the fields it changed (core.backoffice).
        if after.get("admission") == Admission.APPROVED:
            return _new_shop_text(m)
        if "status" in after:
            return _closure_text(m, after["status"], after.get("status_until"), "")
        if "card_discount_permille" in after:
            return _promotion_text(
                m,
                before.get("card_discount_permille"),
                after["card_discount_permille"],
            )
    return None


def _new_shop_text(m) -> tuple[str, str, str]:
    offer = (
        f"持大家卡享{format_discount(m.card_discount_permille)}优惠。"
        if m.card_discount_permille
        else ""
    )
    return (
        NoticeKind.NEW_SHOP,
        f"新店加入:{m.name}",
        f"{m.name}({m.main_type.name_zh})已加入本社区便民服务圈,"
        f"地址:{m.address}。{offer}",
    )


def _closure_text(m, status, until, reason) -> tuple[str, str, str] | None:
    if status not in _CLOSING:
        return None
    label = MerchantStatus(status).label
    body = f"{m.name}({m.address})自{clock.local_now():%m月%d日}起{label}"
    body += f",预计{until}恢复营业。" if until else "。"
    if reason:
        body += f"说明:{reason}"
    return (NoticeKind.CLOSURE, f"{m.name}{label}", body)


def _promotion_text(m, before, after) -> tuple[str, str, str] | None:
    """A community-card rate newly set or improved (a lower 千分比 is a deeper cut)."""
    if after is None or (before is not None and after >= before):
        return None
    return (
        NoticeKind.PROMOTION,
        f"{m.name}大家卡优惠{format_discount(after)}",
        f"{m.name}的大家卡优惠调整为{format_discount(after)}"
        + (f"(原{format_discount(before)})" if before else "")
        + ",结账时出示大家卡即可享受。",
    )


# --- jobs ------------------------------------------------------------------------


def submit_job(
    *,
    actor,
    merchant: Merchant,
    title: str,
    pay_min_fen: int | None,
    pay_max_fen: int | None,
    pay_unit: str,
    hours: str,
    contact: str,
    expires_on: dt.date | None,
    description: str = "",
) -> JobPost:
    """File a shop's job post for its community's operators to approve.

    Raises `merchant_not_owned`, `merchant_not_listed`, `field_required`,
    `text_too_long`, `job_pay_range_invalid`, `job_expiry_in_past`.
    """
    access.require_staff_of(actor, merchant)
    if merchant.admission != Admission.APPROVED:
        raise DomainError(
            Code.MERCHANT_NOT_LISTED, "本店尚未通过入驻审核,暂不能发布招工"
        )
    title = _text(title, field="title", limit=60)
    hours = _text(hours, field="hours", limit=100)
    contact = _text(contact, field="contact", limit=60)
    description = _text(
        description, field="description", limit=MAX_BODY, required=False
    )
    if pay_unit not in PayUnit.values:
        raise DomainError(Code.FIELD_REQUIRED, "请选择计薪方式", field="pay_unit")
    _check_pay(pay_min_fen, pay_max_fen)
    today = clock.local_now().date()
    if expires_on is None:
        raise DomainError(Code.FIELD_REQUIRED, "请填写截止日期", field="expires_on")
    if expires_on < today:
        raise DomainError(
            Code.EXPIRY_IN_PAST, "截止日期不能早于今天", field="expires_on"
        )
    if expires_on > today + dt.timedelta(days=180):
        raise DomainError(
            Code.EXPIRY_IN_PAST, "截止日期最长为半年内", field="expires_on"
        )
    return JobPost.objects.create(
        merchant=merchant,
        community_id=merchant.community_id,
        title=title,
        pay_min_fen=pay_min_fen,
        pay_max_fen=pay_max_fen,
        pay_unit=pay_unit,
        hours=hours,
        contact=contact,
        description=description,
        expires_on=expires_on,
        status=JobStatus.PENDING,
        created_by=_user(actor),
        created_at=clock.now(),
    )


def _check_pay(pay_min_fen: int | None, pay_max_fen: int | None) -> None:
    if pay_min_fen is None:
        raise DomainError(Code.FIELD_REQUIRED, "请填写最低薪资", field="pay_min")
    if pay_max_fen is None:
        raise DomainError(Code.FIELD_REQUIRED, "请填写最高薪资", field="pay_max")
    if not 0 < pay_min_fen <= MAX_PAY_FEN or not 0 < pay_max_fen <= MAX_PAY_FEN:
        raise DomainError(
            Code.PAY_RANGE_INVALID, "薪资应在¥0.01到¥100,000之间", field="pay_min"
        )
    if pay_max_fen < pay_min_fen:
        raise DomainError(
            Code.PAY_RANGE_INVALID, "最高薪资不能低于最低薪资", field="pay_max"
        )


def approve_job(*, actor, job: JobPost) -> JobPost:
    """Put a pending job post on the list; its submitter is notified."""
    return _decide_job(actor=actor, job=job, to=JobStatus.APPROVED, reason="")


def reject_job(*, actor, job: JobPost, reason: str) -> JobPost:
    """Refuse a pending job post with a reason the submitter is told."""
    return _decide_job(
        actor=actor, job=job, to=JobStatus.REJECTED, reason=_reason(reason)
    )


def _decide_job(*, actor, job: JobPost, to: str, reason: str) -> JobPost:
    access.require_operator_of(actor, job.community)
    with transaction.atomic():
        job = JobPost.objects.select_for_update().get(pk=job.pk)
        JOB_TRANSITIONS.check(job.status, to)
        job.status = to
        job.reject_reason = reason
        job.decided_by = _user(actor)
        job.decided_at = clock.now()
        job.save()
        if job.created_by_id:
            ok = to == JobStatus.APPROVED
            notify(
                job.created_by,
                kind="board.job_approved" if ok else "board.job_rejected",
                title=f"招工“{job.title}”" + ("已通过审核" if ok else "未通过审核"),
                body="" if ok else f"原因:{reason}",
                url=reverse("board:job", args=[job.pk])
                if ok
                else reverse("board:shop", args=[job.merchant_id]),
                key=f"board.job.{job.pk}.decided",
            )
    return job


def withdraw_job(*, actor, job: JobPost) -> JobPost:
    """Take a job post off the list, or back before review (the shop's staff
    or an operator). Raises `merchant_not_owned`, `job_state_conflict`."""
    access.require_withdraw_job(actor, job)
    with transaction.atomic():
        job = JobPost.objects.select_for_update().get(pk=job.pk)
        JOB_TRANSITIONS.check(job.status, JobStatus.WITHDRAWN)
        job.status = JobStatus.WITHDRAWN
        job.save(update_fields=["status"])
    return job


# --- suggestions -------------------------------------------------------------------


def post_suggestion(
    *, actor, category: str, text: str, photo: UploadedFile | None = None
) -> Suggestion:
    """Post a resident's suggestion to their community's board.

    Raises `not_a_resident`, `unknown_suggestion_category`, `field_required`,
    `text_too_long` (over 2,000 characters), `upload_rejected` (not a JPEG,
    PNG or WebP image, or over 5 MB).
    """
    from quarter.places.services import check_photo

    community_id = access.require_resident(actor)
    if category not in SuggestionCategory.values:
        raise DomainError(Code.UNKNOWN_CATEGORY, "请选择建议类别", field="category")
    text = _text(text, field="text", limit=MAX_BODY)
    if photo is not None:
        try:
            check_photo(photo)
        except DomainError as exc:
            exc.field = "photo"
            raise
    return Suggestion.objects.create(
        community_id=community_id,
        author=actor,
        category=category,
        text=text,
        photo=photo,
        created_at=clock.now(),
    )


def toggle_support(*, actor, suggestion: Suggestion) -> bool:
    """Support the suggestion, or take one's support back; return whether supported now.

    One support per resident (a unique constraint holds it under races).
    Raises `other_community` and `own_suggestion` (403).
    """
    access.require_may_support(actor, suggestion)
    existing = SuggestionSupport.objects.filter(suggestion=suggestion, user=actor)
    if existing.exists():
        existing.delete()
        return False
    try:
        with transaction.atomic():
            SuggestionSupport.objects.create(
                suggestion=suggestion, user=actor, created_at=clock.now()
            )
    except IntegrityError:  # a double tap that raced: already supported
        pass
    return True


def answer_suggestion(
    *, actor, suggestion: Suggestion, status: str, reply: str
) -> SuggestionAnswer:
    """Answer a suggestion with a status and a reply; the author is notified.

    Each answer is kept (who, when, status before and after). Raises
    `not_community_operator`, `unknown_answer_status`, `field_required`,
    `text_too_long`, `suggestion_state_conflict` (409, e.g. after 已完成).
    """
    access.require_operator_of(actor, suggestion.community)
    if status not in SuggestionStatus.values or status == SuggestionStatus.SUBMITTED:
        raise DomainError(Code.UNKNOWN_STATUS, "请选择答复状态", field="status")
    reply = _text(reply, field="reply", limit=MAX_BODY)
    with transaction.atomic():
        suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        SUGGESTION_TRANSITIONS.check(suggestion.status, status)
        now = clock.now()
        answer = SuggestionAnswer.objects.create(
            suggestion=suggestion,
            status_before=suggestion.status,
            status=status,
            reply=reply,
            actor=_user(actor),
            created_at=now,
        )
        suggestion.status = status
        suggestion.answered_at = now
        suggestion.save(update_fields=["status", "answered_at"])
        label = SuggestionStatus(status).label
        notify(
            suggestion.author,
            kind="board.suggestion_answered",
            title=f"社区答复了您的建议:{label}",
            body=reply,
            url=reverse("board:suggestion", args=[suggestion.pk]),
            key=f"board.suggestion.answer.{answer.pk}",
        )
    return answer
