"""Browser journeys of the notice board: a shop's promotion, a suggestion, a job."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.board.models import JobPost, Suggestion
from quarter.core import clock
from quarter.places.models import Merchant
from quarter.vouchers.tests.factories import World
from tests.e2e.journeys import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_merchant_promotion_is_approved_and_residents_see_it_on_home(page, live_server):
    world = World()
    resident = world.resident()

    login(page, live_server, world.cashier)
    page.goto(f"{live_server.url}/console/{world.shop.pk}/")
    page.click("#board-shop-link")
    page.select_option("#shop-notice #id_kind", label="促销活动")
    page.fill("#shop-notice #id_title", "早餐套餐第二份半价")
    page.fill("#shop-notice #id_body", "本周一至周五,豆浆油条套餐第二份半价。")
    shot(page, "board-shop-notice-form")
    page.click("#shop-notice button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("公告已提交")
    expect(page.locator("#shop-submissions")).to_contain_text("待审核")

    login(page, live_server, world.operator_user)
    page.goto(f"{live_server.url}/board/desk/")
    item = page.locator("#pending-notices .desk-item", has_text="早餐套餐第二份半价")
    expect(item).to_be_visible()
    shot(page, "board-desk-pending")
    item.locator("input[name=pinned]").check()
    item.locator("button.approve-notice").click()
    expect(page.locator(".messages")).to_contain_text("公告已发布")
    expect(page.locator("#published-notices")).to_contain_text("早餐套餐第二份半价")

    login(page, live_server, resident.user)
    page.goto(f"{live_server.url}/")
    latest = page.locator("#latest-notices")
    expect(latest).to_contain_text("早餐套餐第二份半价")
    expect(latest.locator(".badge.pin")).to_be_visible()
    shot(page, "board-home-latest-notices")
    latest.get_by_text("早餐套餐第二份半价").click()
    expect(page.locator("#notice-title")).to_have_text("早餐套餐第二份半价")
    expect(page.locator("#notice-body")).to_contain_text("第二份半价")
    shot(page, "board-notice-detail")

    login(page, live_server, world.cashier)
    page.goto(f"{live_server.url}/me/notifications/")
    expect(page.locator(".notifications")).to_contain_text("已通过审核")


def test_suggestion_is_supported_answered_and_the_author_is_notified(page, live_server):
    world = World()
    author, neighbour = world.resident(), world.resident()

    login(page, live_server, author.user)
    page.goto(f"{live_server.url}/board/suggestions/")
    page.click("#new-suggestion")
    page.select_option("#id_category", label="缺少的业态")
    page.fill("#id_text", "小区附近没有修鞋配钥匙的地方,希望引进一家。")
    shot(page, "board-suggestion-form")
    page.click("#suggestion-form button[type=submit]")
    expect(page.locator("#suggestion-status")).to_have_text("待回复")
    idea = Suggestion.objects.get()

    login(page, live_server, neighbour.user)
    page.goto(f"{live_server.url}/board/suggestions/")
    page.get_by_text("小区附近没有修鞋配钥匙的地方").click()
    page.click("#support-button")
    expect(page.locator("#support-count")).to_have_text("1 人附议")
    expect(page.locator("#support-button")).to_have_text("取消附议")
    shot(page, "board-suggestion-supported")

    login(page, live_server, world.operator_user)
    page.goto(f"{live_server.url}/board/desk/")
    page.locator("#open-suggestions").get_by_text("小区附近没有修鞋").click()
    page.select_option("#answer #id_status", label="采纳")
    page.fill("#answer #id_reply", "已联系便民维修点,下月在菜场入口设摊。")
    page.click("#answer button[type=submit]")
    expect(page.locator("#suggestion-status")).to_have_text("采纳")
    shot(page, "board-suggestion-answered")

    login(page, live_server, author.user)
    page.goto(f"{live_server.url}/")
    expect(page.locator("#unread-count")).to_have_text("1")
    page.click("#nav-notifications")
    expect(page.locator(".notifications")).to_contain_text("社区答复了您的建议:采纳")
    shot(page, "board-author-notified")
    page.locator(".notification-title").first.click()
    expect(page).to_have_url(f"{live_server.url}/board/suggestions/{idea.pk}/")
    expect(page.locator("#answers")).to_contain_text("下月在菜场入口设摊")
    expect(page.locator("#unread-count")).to_have_count(0)


def test_job_is_posted_approved_and_browsed_by_type_and_distance(page, live_server):
    world = World()
    resident = world.resident()
    far, _ = world.merchant("老百姓大药房", type_code="pharmacy")
    Merchant.objects.filter(pk=far.pk).update(lat=30.275, lng=120.17)  # ~1.7 km
    far_job = JobPost.objects.create(
        merchant=far,
        community=world.community,
        title="药房营业员",
        pay_min_fen=400_000,
        pay_max_fen=500_000,
        pay_unit="month",
        hours="两班倒",
        contact="李店长",
        expires_on=clock.local_now().date() + dt.timedelta(days=20),
        status="approved",
        created_at=clock.now(),
    )

    login(page, live_server, world.cashier)
    page.goto(f"{live_server.url}/board/shop/{world.shop.pk}/")
    page.fill("#shop-job #id_title", "早点帮工")
    page.fill("#shop-job #id_pay_min", "25")
    page.fill("#shop-job #id_pay_max", "30")
    page.select_option("#shop-job #id_pay_unit", label="小时")
    page.fill("#shop-job #id_hours", "每天 05:30-09:30")
    page.fill("#shop-job #id_contact", "王师傅 0571-88888888")
    expires = clock.local_now().date() + dt.timedelta(days=14)
    page.fill("#shop-job #id_expires_on", expires.isoformat())
    page.click("#shop-job button[type=submit]")
    expect(page.locator("#shop-submissions")).to_contain_text("早点帮工")

    login(page, live_server, world.operator_user)
    page.goto(f"{live_server.url}/board/desk/")
    page.locator("#pending-jobs .desk-item", has_text="早点帮工").locator(
        "button.approve-job"
    ).click()
    expect(page.locator(".messages")).to_contain_text("招工信息已发布")

    login(page, live_server, resident.user)
    page.goto(f"{live_server.url}/board/jobs/")
    items = page.locator("#job-list li.job")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("早点帮工")  # the nearer shop first
    expect(items.first).to_contain_text("¥25.00–¥30.00/小时")
    shot(page, "board-jobs-all")
    page.select_option("select[name=distance]", "1000")
    page.click("#job-filters button[type=submit]")
    expect(items).to_have_count(1)
    page.select_option("select[name=distance]", "")
    page.select_option("select[name=type]", label="药店")
    page.click("#job-filters button[type=submit]")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("药房营业员")
    shot(page, "board-jobs-pharmacy")
    items.first.get_by_text("药房营业员").click()
    expect(page.locator("#job-contact")).to_have_text("李店长")
    assert page.url.endswith(f"/board/jobs/{far_job.pk}/")
