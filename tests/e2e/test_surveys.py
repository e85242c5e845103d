"""Browser journeys of the satisfaction survey: an operator opens a wave, a
resident answers on a phone, an unregistered neighbour answers from the
poster, a grid worker types in a paper answer, a planner reads the results
with the 90 % line and downloads them."""

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.people import sms
from quarter.people.models import Planner
from quarter.surveys import services
from quarter.surveys.models import Response, Source, Wave, WaveState
from quarter.surveys.tests.factories import paper
from quarter.surveys.views import poster_token
from quarter.vouchers.tests.factories import World
from tests.e2e.journeys import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
# The value of the dashed target line drawn on a chart (the targetLine plugin).
TARGET_LINE = (
    "id => { const c = Chart.getChart(document.getElementById(id));"
    " return c.config.plugins.some(p => p.id === 'targetLine')"
    " ? c.options.plugins.targetLine.value : null; }"
)


def answer_all(page, value: str) -> None:
    for fieldset in page.locator("fieldset.sv-q").all():
        fieldset.locator(f"input[value='{value}']").check()


def test_operator_opens_a_wave_and_a_resident_answers_on_a_phone(
    page, browser, live_server
):
    world = World()
    resident = world.resident(born="19520101")

    login(page, live_server, world.operator_user)
    page.goto(f"{live_server.url}/surveys/")
    page.fill("#id_name", "第四季度居民满意度测评")
    page.check(f"input[name=communities][value='{world.community.pk}']")
    page.click("#wave-form button[type=submit]")
    expect(page.locator("#wave-state")).to_contain_text("草稿")
    first = page.locator("#questions-form input[name^=q]").first
    first.fill("步行15分钟内能买到新鲜蔬菜吗?")
    page.click("#questions-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("题目已保存")
    shot(page, "surveys-draft")
    page.click("#wave-actions button[value=open]")
    expect(page.locator("#wave-state")).to_contain_text("进行中")
    expect(page.locator("#wave-links")).to_contain_text("配额进度")
    wave = Wave.objects.get(name="第四季度居民满意度测评")
    assert wave.state == WaveState.OPEN

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    rpage = phone.new_page()
    login(rpage, live_server, resident.user)
    rpage.click("#nav-my-surveys")
    rpage.click(f"#my-surveys a[href='/me/surveys/{wave.pk}/']")
    expect(rpage.locator("#q-1 legend")).to_contain_text("新鲜蔬菜")
    answer_all(rpage, "4")
    rpage.locator("#q-8 input[value='0']").check()  # 不了解
    rpage.fill("textarea[name=comment]", "希望菜场早上早点开门")
    shot(rpage, "surveys-resident-phone")
    rpage.click("#answer-form button[type=submit]")
    expect(rpage.locator("#thanks")).to_contain_text("感谢")
    rpage.goto(f"{live_server.url}/me/surveys/{wave.pk}/")
    expect(rpage.locator("#already")).to_be_visible()
    shot(rpage, "surveys-resident-done")
    phone.close()
    response = Response.objects.get(wave=wave)
    assert (response.source, response.age_band) == (Source.APP, "60-74")
    assert (response.satisfied, response.known) == (7, 7)


def test_neighbour_not_on_the_register_answers_from_the_poster(page, live_server):
    world = World()
    wave = services.create_wave(
        actor=world.operator_user,
        name="海报测评",
        communities=[world.community],
        target_responses=50,
    )
    services.change_wave_state(
        actor=world.operator_user, wave=wave, target=WaveState.OPEN
    )
    sms.outbox.clear()
    page.goto(f"{live_server.url}/s/{poster_token(wave, world.compound)}/")
    page.fill("#id_phone", "13912345678")
    page.click("#send-code")
    expect(page.locator("#code-status")).to_contain_text("验证码已发送")
    page.fill("#id_code", sms.outbox[-1].code)
    page.fill("#id_birth_year", "1995")
    answer_all(page, "5")
    shot(page, "surveys-poster-phone")
    page.click("#poster-form button[type=submit]")
    expect(page.locator("#thanks")).to_contain_text("感谢")
    response = Response.objects.get(wave=wave)
    assert response.source == Source.POSTER and not response.verified


def test_grid_worker_enters_a_paper_answer(page, live_server):
    world = World()
    wave = services.create_wave(
        actor=world.operator_user,
        name="纸质测评",
        communities=[world.community],
        target_responses=50,
    )
    services.change_wave_state(
        actor=world.operator_user, wave=wave, target=WaveState.OPEN
    )
    login(page, live_server, world.operator_user)
    page.goto(f"{live_server.url}/surveys/{wave.pk}/")
    page.click("#paper-link")
    page.select_option("#id_compound", str(world.compound.pk))
    page.fill("#id_birth_year", "1938")
    answer_all(page, "5")
    page.locator("#q-3 input[value='2']").check()
    page.click("#paper-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("纸质问卷已录入")
    page.goto(f"{live_server.url}/surveys/{wave.pk}/progress/")
    expect(page.locator("#progress-total")).to_contain_text("合计 1")
    shot(page, "surveys-progress")
    response = Response.objects.get(wave=wave)
    assert response.source == Source.PAPER
    assert response.entered_by == world.operator_user
    assert response.age_band == "75+"


def test_planner_sees_results_with_the_90_percent_line_and_downloads(page, live_server):
    world = World()
    planner = world.user("planner_x", role="planner")
    Planner.objects.create(user=planner, district=world.district)
    wave = services.create_wave(
        actor=world.operator_user,
        name="第三季度测评",
        communities=[world.community],
        target_responses=50,
    )
    services.change_wave_state(
        actor=world.operator_user, wave=wave, target=WaveState.OPEN
    )
    paper(world, wave, value=5, n=9)
    paper(world, wave, value=2, n=1)
    services.change_wave_state(
        actor=world.operator_user, wave=wave, target=WaveState.CLOSED
    )

    login(page, live_server, planner)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/surveys/district/{world.district.pk}/")
    expect(page.locator("#district-table")).to_contain_text(world.community.name)
    expect(page.locator("#district-table")).to_contain_text("90.0%")
    expect(page.locator("body[data-charts-ready='1']")).to_have_count(1)
    assert page.evaluate(TARGET_LINE, "chart-district") == 90
    shot(page, "surveys-district")
    with page.expect_download() as download:
        page.click("#district-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")

    page.goto(f"{live_server.url}/surveys/{wave.pk}/results/{world.community.slug}/")
    expect(page.locator("#overall")).to_contain_text("90.0%")
    expect(page.locator("body[data-charts-ready='1']")).to_have_count(1)
    assert page.evaluate(TARGET_LINE, "chart-dimensions") == 90
    assert page.evaluate(TARGET_LINE, "chart-trend") == 90
    shot(page, "surveys-results")
