"""The board's pages: what residents see, and bad input answered with 400, never 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from quarter.board import services
from quarter.board.models import JobPost, JobStatus, Notice, NoticeKind, Suggestion
from quarter.board.tests.factories import pending_job, pending_notice, suggestion
from quarter.core import clock
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return World()


def _publish(world, title, **kw):
    return services.publish_notice(
        actor=world.operator_user,
        community=world.community,
        kind=kw.pop("kind", NoticeKind.COMMUNITY),
        title=title,
        **kw,
    )


def test_home_shows_latest_notices_of_the_residents_community_pinned_first(
    world, client
):
    clock.freeze(dt.datetime(2026, 12, 1, 9, 0))
    _publish(world, "置顶:冬季用电安全", pinned=True)
    clock.freeze(dt.datetime(2026, 12, 1, 10, 0))
    _publish(world, "周六义诊")
    other = World()
    services.publish_notice(
        actor=other.operator_user,
        community=other.community,
        kind=NoticeKind.COMMUNITY,
        title="别的社区的通知",
    )
    client.force_login(world.resident().user)

    page = client.get("/").content.decode()

    block = page[page.index('id="latest-notices"') :]
    assert block.index("置顶:冬季用电安全") < block.index("周六义诊")
    assert "别的社区的通知" not in page


def test_notice_text_is_escaped(world, client):
    notice = _publish(world, "<script>alert(1)</script>", body="<b>粗体</b>")
    page = client.get(f"/board/notices/{notice.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;粗体&lt;/b&gt;" in page


def test_notice_list_filters_by_kind_and_refuses_an_unknown_kind(world, client):
    _publish(world, "少盐少油", kind=NoticeKind.CONSUMER_TIP)
    _publish(world, "停水通知")
    page = client.get("/board/?kind=consumer_tip").content.decode()
    assert "少盐少油" in page and "停水通知" not in page
    bad = client.get("/board/?kind=nonsense")
    assert bad.status_code == 400
    assert "没有这个公告类别" in bad.content.decode()


def test_shop_notice_form_with_empty_title_is_a_400_with_the_field_error(world, client):
    client.force_login(world.cashier)
    resp = client.post(
        f"/board/shop/{world.shop.pk}/notices", {"kind": "promotion", "title": ""}
    )
    assert resp.status_code == 400
    assert (
        "这个字段是必填项" in resp.content.decode() or "必填" in resp.content.decode()
    )
    assert not Notice.objects.exists()


def test_shop_notice_of_an_operator_kind_is_a_400(world, client):
    client.force_login(world.cashier)
    resp = client.post(
        f"/board/shop/{world.shop.pk}/notices",
        {"kind": "community", "title": "冒充社区通知"},
    )
    assert resp.status_code == 400
    assert not Notice.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"pay_min": "5000", "pay_max": "3000"}, "最高薪资不能低于最低薪资"),
        ({"pay_min": "abc"}, "请输入金额"),
        ({"pay_min": "1e3"}, "请输入金额"),
        ({"expires_on": "2020-01-01"}, "截止日期不能早于今天"),
        ({"expires_on": "9999-99-99"}, "日期"),
        ({"pay_unit": "year"}, "选择"),
    ],
)
def test_job_form_bad_input_is_a_400_with_a_clear_message(world, client, data, message):
    client.force_login(world.cashier)
    good = {
        "title": "收银员",
        "pay_min": "3000",
        "pay_max": "4000",
        "pay_unit": "month",
        "hours": "09:00-18:00",
        "contact": "王店长",
        "expires_on": (clock.local_now().date() + dt.timedelta(days=10)).isoformat(),
    }
    resp = client.post(f"/board/shop/{world.shop.pk}/jobs", {**good, **data})
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert not JobPost.objects.exists()


def test_job_list_shows_pay_in_yuan_and_distance_and_refuses_a_bad_distance(
    world, client
):
    job = pending_job(world)
    services.approve_job(actor=world.operator_user, job=job)
    client.force_login(world.resident().user)
    page = client.get("/board/jobs/?distance=1000").content.decode()
    assert "早餐店帮工" in page
    assert "¥3,000.00–¥4,000.00/月" in page
    # No street network here: the walk is an estimate from the resident's home.
    assert "约步行 1 分钟" in page
    assert client.get("/board/jobs/?distance=abc").status_code == 400
    assert client.get("/board/jobs/?type=nonsense").status_code == 400


def test_the_shop_withdraws_its_job_post_and_residents_no_longer_see_it(world, client):
    job = pending_job(world)
    services.approve_job(actor=world.operator_user, job=job)
    client.force_login(world.cashier)
    shop_page = client.get(f"/board/shop/{world.shop.pk}/").content.decode()
    assert f"/board/jobs/{job.pk}/withdraw" in shop_page
    resp = client.post(f"/board/jobs/{job.pk}/withdraw")
    assert resp.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.WITHDRAWN
    client.force_login(world.resident().user)
    assert "早餐店帮工" not in client.get("/board/jobs/").content.decode()
    # Withdrawn once is final: a second tap says so and changes nothing.
    client.force_login(world.cashier)
    again = client.post(f"/board/jobs/{job.pk}/withdraw", follow=True)
    assert "当前状态下不能" in again.content.decode()


def test_a_resident_cannot_withdraw_a_job_post(world, client):
    job = pending_job(world)
    client.force_login(world.resident().user)
    assert client.post(f"/board/jobs/{job.pk}/withdraw").status_code == 403
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING


def test_suggestion_over_2000_characters_is_a_400_and_nothing_is_saved(world, client):
    client.force_login(world.resident().user)
    resp = client.post(
        "/board/suggestions/new/", {"category": "shops", "text": "字" * 2001}
    )
    assert resp.status_code == 400
    assert "2000" in resp.content.decode()
    assert not Suggestion.objects.exists()


def test_suggestion_with_a_fake_photo_is_a_400_naming_the_photo(world, client):
    client.force_login(world.resident().user)
    fake = SimpleUploadedFile("x.jpg", b"<?php evil ?>", content_type="image/jpeg")
    resp = client.post(
        "/board/suggestions/new/",
        {"category": "environment", "text": "路灯坏了", "photo": fake},
    )
    assert resp.status_code == 400
    assert "请上传JPG、PNG或WebP图片" in resp.content.decode()
    assert not Suggestion.objects.exists()


def test_suggestion_with_an_unknown_category_is_a_400(world, client):
    client.force_login(world.resident().user)
    resp = client.post("/board/suggestions/new/", {"category": "<x>", "text": "你好"})
    assert resp.status_code == 400
    assert not Suggestion.objects.exists()


def test_support_button_toggles_and_the_count_follows(world, client):
    idea = suggestion(world.resident())
    client.force_login(world.resident().user)
    client.post(f"/board/suggestions/{idea.pk}/support")
    page = client.get(f"/board/suggestions/{idea.pk}/").content.decode()
    assert "1 人附议" in page and "取消附议" in page
    client.post(f"/board/suggestions/{idea.pk}/support")
    page = client.get(f"/board/suggestions/{idea.pk}/").content.decode()
    assert "0 人附议" in page


def test_answer_form_with_a_final_state_conflict_is_shown_not_a_500(world, client):
    idea = suggestion(world.resident())
    services.answer_suggestion(
        actor=world.operator_user, suggestion=idea, status="declined", reply="不合适"
    )
    client.force_login(world.operator_user)
    resp = client.post(
        f"/board/suggestions/{idea.pk}/answer", {"status": "adopted", "reply": "改主意"}
    )
    assert resp.status_code == 400
    assert "当前状态下不能这样答复" in resp.content.decode()


def test_desk_lists_pending_work_and_a_bad_schedule_is_a_400(world, client):
    notice = pending_notice(world)
    pending_job(world)
    client.force_login(world.operator_user)
    page = client.get("/board/desk/").content.decode()
    assert "本周理发8折" in page and "早餐店帮工" in page
    resp = client.post(
        f"/board/desk/notices/{notice.pk}/approve", {"expire_at": "2000-01-01T00:00"}
    )
    assert resp.status_code == 400
    assert "下线时间须晚于发布时间和现在" in resp.content.decode()
    notice.refresh_from_db()
    assert notice.status == "pending"


def test_desk_reject_without_reason_is_a_400(world, client):
    notice = pending_notice(world)
    client.force_login(world.operator_user)
    resp = client.post(f"/board/desk/notices/{notice.pk}/reject", {"reason": ""})
    assert resp.status_code == 400
    assert "请填写驳回原因" in resp.content.decode()


def test_desk_for_a_community_not_operated_is_a_403(world, client):
    other = World()
    client.force_login(world.operator_user)
    resp = client.get(f"/board/desk/?community={other.community.slug}")
    assert resp.status_code == 403


def test_home_notice_block_costs_the_same_queries_for_one_or_five_notices(
    world, client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    resident = world.resident()
    client.force_login(resident.user)
    notice = pending_notice(world)
    services.approve_notice(actor=world.operator_user, notice=notice)
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for n in range(4):
        _publish(world, f"通知{n}", merchant=world.shop)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get("/").content.decode()
    assert page.count('class="notice') == 5


def test_desk_approves_a_draft_with_pin_and_expiry(world, client):
    from quarter.places import services as place_services

    place_services.set_merchant_status(
        actor=world.cashier, merchant=world.shop, status="renovating"
    )
    draft = Notice.objects.get(status="draft")
    client.force_login(world.operator_user)
    assert "装修中" in client.get("/board/desk/").content.decode()
    ends = (clock.local_now() + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    resp = client.post(
        f"/board/desk/notices/{draft.pk}/approve", {"pinned": "on", "expire_at": ends}
    )
    assert resp.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "published" and draft.pinned
    assert draft.expire_at.astimezone(clock.SHANGHAI).strftime("%Y-%m-%dT%H:%M") == ends
