"""The board's verbs: notices, automatic drafts, job posts and suggestions."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from quarter.board import selectors, services
from quarter.board.models import (
    JobPost,
    JobStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
    Suggestion,
    SuggestionStatus,
    SuggestionSupport,
)
from quarter.board.tests.factories import (
    pending_job,
    pending_notice,
    png_bytes,
    suggestion,
)
from quarter.core import clock
from quarter.core.errors import DomainError, PermissionDenied
from quarter.notifications.models import Notification
from quarter.places import services as place_services
from quarter.places.models import Admission, MerchantStatus
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return World()


def _visible(world):
    return list(selectors.visible_notices(community_ids=[world.community.pk]))


# --- notices ---------------------------------------------------------------------


def test_publish_notice_by_operator_is_shown_at_once(world):
    notice = services.publish_notice(
        actor=world.operator_user,
        community=world.community,
        kind=NoticeKind.COMMUNITY,
        title="周六社区义诊",
        body="上午9点,社区服务中心",
    )
    assert notice.status == NoticeStatus.PUBLISHED
    assert _visible(world) == [notice]


def test_publish_notice_by_operator_of_other_community_is_refused(world):
    other = World()
    with pytest.raises(PermissionDenied) as err:
        services.publish_notice(
            actor=other.operator_user,
            community=world.community,
            kind=NoticeKind.COMMUNITY,
            title="越权公告",
        )
    assert err.value.code == "not_community_operator"
    assert not Notice.objects.exists()


def test_publish_notice_with_too_long_title_names_the_field_and_writes_nothing(world):
    with pytest.raises(DomainError) as err:
        services.publish_notice(
            actor=world.operator_user,
            community=world.community,
            kind=NoticeKind.COMMUNITY,
            title="长" * 81,
        )
    assert (err.value.code, err.value.field) == ("text_too_long", "title")
    assert not Notice.objects.exists()


def test_submit_notice_is_pending_until_approved_then_shown_and_staff_told(world):
    notice = pending_notice(world)
    assert notice.status == NoticeStatus.PENDING
    assert _visible(world) == []

    services.approve_notice(actor=world.operator_user, notice=notice)

    assert _visible(world) == [Notice.objects.get(pk=notice.pk)]
    told = Notification.objects.get(recipient=world.cashier)
    assert told.kind == "board.notice_approved"
    assert "本周理发8折" in told.title


def test_submit_notice_for_another_shop_is_refused(world):
    other_shop, _ = world.merchant("别家店")
    with pytest.raises(PermissionDenied) as err:
        services.submit_notice(
            actor=world.cashier,
            merchant=other_shop,
            kind=NoticeKind.PROMOTION,
            title="冒名促销",
        )
    assert err.value.code == "merchant_not_owned"


def test_submit_notice_of_an_operator_kind_is_refused(world):
    with pytest.raises(DomainError) as err:
        services.submit_notice(
            actor=world.cashier,
            merchant=world.shop,
            kind=NoticeKind.COMMUNITY,
            title="社区通知",
        )
    assert (err.value.code, err.value.field) == (
        "notice_kind_not_for_merchants",
        "kind",
    )


def test_submit_notice_of_a_shop_not_admitted_is_refused(world):
    world.shop.admission = Admission.APPLIED
    world.shop.save()
    with pytest.raises(DomainError) as err:
        pending_notice(world)
    assert err.value.code == "merchant_not_listed"


def test_reject_notice_needs_a_reason_and_tells_the_submitter(world):
    notice = pending_notice(world)
    with pytest.raises(DomainError) as err:
        services.reject_notice(actor=world.operator_user, notice=notice, reason=" ")
    assert err.value.code == "reason_required"

    services.reject_notice(
        actor=world.operator_user, notice=notice, reason="折扣与大家卡登记不符"
    )

    notice.refresh_from_db()
    assert notice.status == NoticeStatus.REJECTED
    told = Notification.objects.get(recipient=world.cashier)
    assert told.kind == "board.notice_rejected" and "折扣与大家卡登记不符" in told.body
    assert _visible(world) == []


def test_approve_notice_twice_is_a_conflict(world):
    notice = pending_notice(world)
    services.approve_notice(actor=world.operator_user, notice=notice)
    with pytest.raises(DomainError) as err:
        services.approve_notice(actor=world.operator_user, notice=notice)
    assert err.value.code == "notice_state_conflict" and err.value.status_code == 409


def test_pinned_notices_come_first_then_newest(world):
    clock.freeze(dt.datetime(2026, 12, 1, 9, 0))
    first = services.publish_notice(
        actor=world.operator_user,
        community=world.community,
        kind=NoticeKind.CONSUMER_TIP,
        title="冬季养生:少盐少油",
        pinned=True,
    )
    clock.freeze(dt.datetime(2026, 12, 1, 10, 0))
    second = services.publish_notice(
        actor=world.operator_user,
        community=world.community,
        kind=NoticeKind.COMMUNITY,
        title="停水通知",
    )
    clock.freeze(dt.datetime(2026, 12, 1, 11, 0))
    third = services.publish_notice(
        actor=world.operator_user,
        community=world.community,
        kind=NoticeKind.COMMUNITY,
        title="垃圾分类宣传",
    )
    assert _visible(world) == [first, third, second]


def test_scheduled_notice_is_hidden_until_publish_at_and_leaves_at_expire_at(world):
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=clock.SHANGHAI)
    clock.freeze(start)
    notice = services.publish_notice(
        actor=world.operator_user,
        community=world.community,
        kind=NoticeKind.COMMUNITY,
        title="元旦活动",
        publish_at=start + dt.timedelta(days=1),
        expire_at=start + dt.timedelta(days=3),
    )
    assert _visible(world) == []
    clock.freeze(start + dt.timedelta(days=1, minutes=1))
    assert _visible(world) == [notice]
    clock.freeze(start + dt.timedelta(days=3))
    assert _visible(world) == []


def test_notice_expiring_before_it_starts_is_refused(world):
    now = clock.now()
    with pytest.raises(DomainError) as err:
        services.publish_notice(
            actor=world.operator_user,
            community=world.community,
            kind=NoticeKind.COMMUNITY,
            title="时间错了",
            publish_at=now + dt.timedelta(days=2),
            expire_at=now + dt.timedelta(days=1),
        )
    assert (err.value.code, err.value.field) == ("notice_schedule_invalid", "expire_at")


def test_notice_of_another_community_is_not_on_this_home(world):
    other = World()
    services.publish_notice(
        actor=other.operator_user,
        community=other.community,
        kind=NoticeKind.COMMUNITY,
        title="别的社区",
    )
    assert _visible(world) == []


def test_visible_notices_refuses_an_unknown_kind(world):
    with pytest.raises(DomainError) as err:
        list(selectors.visible_notices(kind="nonsense"))
    assert err.value.code == "unknown_notice_kind"


# --- automatic drafts ---------------------------------------------------------------


def test_approving_a_merchant_drafts_a_new_shop_notice(world):
    shop, _ = world.merchant("潮鸣早餐铺", type_code="breakfast")
    shop.admission = Admission.APPLIED
    shop.card_discount_permille = 800
    shop.save()

    place_services.approve_merchant(actor=world.operator_user, merchant=shop)

    draft = Notice.objects.get(merchant=shop)
    assert (draft.kind, draft.status) == (NoticeKind.NEW_SHOP, NoticeStatus.DRAFT)
    assert "潮鸣早餐铺" in draft.title and "8折" in draft.body
    assert _visible(world) == []  # a draft waits for the operator
    services.approve_notice(actor=world.operator_user, notice=draft)
    assert [n.pk for n in _visible(world)] == [draft.pk]


def test_renovation_drafts_a_closure_notice_and_reopening_does_not(world):
    until = clock.local_now().date() + dt.timedelta(days=20)
    place_services.set_merchant_status(
        actor=world.cashier,
        merchant=world.shop,
        status=MerchantStatus.RENOVATING,
        until=until,
        reason="店面翻新",
    )
    draft = Notice.objects.get(merchant=world.shop)
    assert draft.kind == NoticeKind.CLOSURE and "装修中" in draft.title
    assert until.isoformat() in draft.body and "店面翻新" in draft.body

    place_services.set_merchant_status(
        actor=world.cashier, merchant=world.shop, status=MerchantStatus.OPEN
    )
    assert Notice.objects.filter(merchant=world.shop).count() == 1


def test_better_card_rate_drafts_a_promotion_and_a_worse_one_does_not(world):
    place_services.set_merchant_discounts(
        actor=world.cashier,
        merchant=world.shop,
        card_discount_permille=800,
        vip_discount_permille=900,
    )
    place_services.set_merchant_discounts(
        actor=world.cashier,
        merchant=world.shop,
        card_discount_permille=550,
        vip_discount_permille=700,
    )
    place_services.set_merchant_discounts(
        actor=world.cashier,
        merchant=world.shop,
        card_discount_permille=600,
        vip_discount_permille=700,
    )
    drafts = list(Notice.objects.filter(merchant=world.shop).order_by("id"))
    assert [d.kind for d in drafts] == [NoticeKind.PROMOTION] * 2
    assert "5.5折" in drafts[1].title and "原8折" in drafts[1].body


def test_a_failed_merchant_change_leaves_no_draft(world):
    with pytest.raises(DomainError):
        place_services.set_merchant_discounts(
            actor=world.cashier,
            merchant=world.shop,
            card_discount_permille=900,
            vip_discount_permille=800,  # card worse than VIP: refused
        )
    assert not Notice.objects.exists()


# --- jobs ---


def test_job_is_listed_after_approval_and_leaves_after_its_date(world):
    job = pending_job(world, days=3)
    assert selectors.list_open_jobs() == []
    services.approve_job(actor=world.operator_user, job=job)
    assert [h.job.pk for h in selectors.list_open_jobs()] == [job.pk]
    told = Notification.objects.get(recipient=world.cashier)
    assert told.kind == "board.job_approved"

    clock.freeze(clock.now() + dt.timedelta(days=4))
    assert selectors.list_open_jobs() == []


def test_rejected_job_is_not_listed_and_the_shop_is_told_why(world):
    job = pending_job(world)
    services.reject_job(actor=world.operator_user, job=job, reason="缺少工作地点")
    job.refresh_from_db()
    assert job.status == JobStatus.REJECTED
    assert selectors.list_open_jobs() == []
    assert "缺少工作地点" in Notification.objects.get(recipient=world.cashier).body


def test_job_approval_by_operator_of_other_community_is_refused(world):
    job = pending_job(world)
    with pytest.raises(PermissionDenied):
        services.approve_job(actor=World().operator_user, job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING


@pytest.mark.parametrize(
    ("low", "high", "field"),
    [(500_000, 300_000, "pay_max"), (0, 300_000, "pay_min"), (None, 1, "pay_min")],
)
def test_submit_job_with_a_bad_pay_range_is_refused(world, low, high, field):
    with pytest.raises(DomainError) as err:
        pending_job(world, pay_min_fen=low, pay_max_fen=high)
    assert err.value.field == field
    assert not JobPost.objects.exists()


def test_submit_job_expiring_yesterday_is_refused(world):
    with pytest.raises(DomainError) as err:
        pending_job(world, days=-1)
    assert (err.value.code, err.value.field) == ("job_expiry_in_past", "expires_on")


def test_jobs_filter_by_type_and_sort_by_distance_from_the_compound(world):
    near = pending_job(world, title="近处帮工")
    far_shop, far_cashier = world.merchant("远处药房", type_code="pharmacy")
    far_shop.lat, far_shop.lng = 30.27, 120.17  # about 1.1 km north
    far_shop.save()
    world.cashier = far_cashier
    world.shop = far_shop
    far = pending_job(world, title="药房营业员")
    for job in (near, far):
        services.approve_job(actor=world.operator_user, job=job)
    origin = (world.compound.lat, world.compound.lng)

    hits = selectors.list_open_jobs(origin=origin)
    assert [h.job.pk for h in hits] == [near.pk, far.pk]
    assert hits[0].distance_m < 50 and 1000 < hits[1].distance_m < 1200
    within = selectors.list_open_jobs(origin=origin, max_distance_m=500)
    assert [h.job.pk for h in within] == [near.pk]
    pharmacies = selectors.list_open_jobs(type_code="pharmacy")
    assert [h.job.pk for h in pharmacies] == [far.pk]


# --- suggestions ---


def test_post_suggestion_longer_than_2000_characters_is_refused(world):
    resident = world.resident()
    with pytest.raises(DomainError) as err:
        suggestion(resident, text="字" * 2001)
    assert (err.value.code, err.value.field) == ("text_too_long", "text")
    assert not Suggestion.objects.exists()
    assert suggestion(resident, text="字" * 2000).pk


def test_post_suggestion_with_a_photo_that_is_not_an_image_is_refused(world):
    resident = world.resident()
    fake = SimpleUploadedFile("lamp.png", b"not an image", content_type="image/png")
    with pytest.raises(DomainError) as err:
        services.post_suggestion(
            actor=resident.user, category="environment", text="路灯坏了", photo=fake
        )
    assert (err.value.code, err.value.field) == ("upload_rejected", "photo")
    assert not Suggestion.objects.exists()


def test_post_suggestion_with_a_png_photo_keeps_it(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    resident = world.resident()
    photo = SimpleUploadedFile("lamp.png", png_bytes(), content_type="image/png")
    idea = services.post_suggestion(
        actor=resident.user, category="environment", text="路灯坏了", photo=photo
    )
    # Stored under a random name: /media/ cannot be searched for "lamp.png".
    assert re.fullmatch(r"suggestions/\d{4}/\d{2}/[0-9a-f]{32}\.png", idea.photo.name)
    assert idea.community_id == world.community.pk


def test_post_suggestion_by_someone_without_a_home_is_refused(world):
    with pytest.raises(PermissionDenied) as err:
        services.post_suggestion(actor=world.cashier, category="other", text="你好")
    assert err.value.code == "not_a_resident"


def test_support_is_one_per_resident_and_can_be_taken_back(world):
    author, neighbour = world.resident(), world.resident()
    idea = suggestion(author)
    assert services.toggle_support(actor=neighbour.user, suggestion=idea) is True
    assert SuggestionSupport.objects.filter(suggestion=idea).count() == 1
    assert services.toggle_support(actor=neighbour.user, suggestion=idea) is False
    assert SuggestionSupport.objects.filter(suggestion=idea).count() == 0
    services.toggle_support(actor=neighbour.user, suggestion=idea)
    listed = selectors.get_suggestion(actor=neighbour.user, suggestion_id=idea.pk)
    assert (listed.support_count, listed.supported) == (1, True)


def test_the_database_refuses_a_second_support_row(world):
    author, neighbour = world.resident(), world.resident()
    idea = suggestion(author)
    services.toggle_support(actor=neighbour.user, suggestion=idea)
    with pytest.raises(IntegrityError), transaction.atomic():
        SuggestionSupport.objects.create(
            suggestion=idea, user=neighbour.user, created_at=clock.now()
        )


def test_author_cannot_support_their_own_suggestion(world):
    author = world.resident()
    idea = suggestion(author)
    with pytest.raises(PermissionDenied) as err:
        services.toggle_support(actor=author.user, suggestion=idea)
    assert err.value.code == "own_suggestion"


def test_residents_of_another_community_can_neither_see_nor_support(world):
    idea = suggestion(world.resident())
    stranger = World().resident()
    with pytest.raises(PermissionDenied) as err:
        services.toggle_support(actor=stranger.user, suggestion=idea)
    assert err.value.code == "other_community"
    with pytest.raises(PermissionDenied):
        selectors.get_suggestion(actor=stranger.user, suggestion_id=idea.pk)
    assert list(selectors.list_community_suggestions(actor=stranger.user)) == []


def test_each_answer_notifies_the_author(world):
    author = world.resident()
    idea = suggestion(author)
    services.answer_suggestion(
        actor=world.operator_user,
        suggestion=idea,
        status=SuggestionStatus.ADOPTED,
        reply="已联系物业,下月安装",
    )
    services.answer_suggestion(
        actor=world.operator_user,
        suggestion=idea,
        status=SuggestionStatus.DONE,
        reply="快递柜已安装",
    )
    idea.refresh_from_db()
    assert idea.status == SuggestionStatus.DONE
    told = list(
        Notification.objects.filter(recipient=author.user).order_by("created_at", "id")
    )
    assert [n.title for n in told] == [
        "社区答复了您的建议:采纳",
        "社区答复了您的建议:已完成",
    ]
    assert told[0].body == "已联系物业,下月安装"
    assert [a.status_before for a in idea.answers.all()] == ["submitted", "adopted"]


def test_answer_after_done_is_a_conflict_and_notifies_nobody(world):
    author = world.resident()
    idea = suggestion(author)
    services.answer_suggestion(
        actor=world.operator_user, suggestion=idea, status="done", reply="已办结"
    )
    with pytest.raises(DomainError) as err:
        services.answer_suggestion(
            actor=world.operator_user,
            suggestion=idea,
            status="received",
            reply="再看看",
        )
    assert err.value.code == "suggestion_state_conflict"
    assert Notification.objects.filter(recipient=author.user).count() == 1


def test_answer_by_operator_of_another_community_is_refused(world):
    idea = suggestion(world.resident())
    with pytest.raises(PermissionDenied):
        services.answer_suggestion(
            actor=World().operator_user, suggestion=idea, status="adopted", reply="好"
        )
    idea.refresh_from_db()
    assert idea.status == SuggestionStatus.SUBMITTED


def test_answer_with_an_unknown_status_or_empty_reply_is_refused(world):
    idea = suggestion(world.resident())
    cases = (("submitted", "好", "status"), ("adopted", "", "reply"))
    for status, reply, field in cases:
        with pytest.raises(DomainError) as err:
            services.answer_suggestion(
                actor=world.operator_user, suggestion=idea, status=status, reply=reply
            )
        assert err.value.field == field
    assert not idea.answers.exists()
