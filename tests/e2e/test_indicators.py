"""Browser journey: the district planner ranks the circles against the bar (one
with a closed satisfaction wave, one never surveyed), opens one circle's sheet
and downloads the workbook to file upward."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from conftest import shot
from quarter.core.actors import SYSTEM
from quarter.coverage import services
from quarter.coverage.tests.factories import (
    LAT0,
    east,
    make_community,
    make_compound,
    make_merchant,
)
from quarter.people.models import Planner, User
from quarter.people.services import add_role
from tests.e2e.test_planning import _ensure_catalogue, _log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EVERYTHING = [
    "convenience_store",
    "supermarket",
    "wet_market",
    "fresh_grocery",
    "breakfast",
    "laundry",
    "hair_beauty",
    "photo_print",
    "housekeeping",
    "repair",
    "pharmacy",
    "parcel_post",
    "recycling",
    "elderly_care",
    "childcare",
]


def _xiba_measured_90_percent(community) -> None:
    """A closed satisfaction wave in 西坝: 9 of 10 paper answers satisfied."""
    from quarter.people.models import Operator
    from quarter.places.models import Compound
    from quarter.surveys import services as surveys
    from quarter.surveys.models import WaveState
    from quarter.surveys.tests.factories import add_register_people

    operator = User.objects.create_user("xiba_operator", password="Quarter-2026!")
    add_role(operator, "operator")
    Operator.objects.create(user=operator, community=community)
    compound = Compound.objects.get(community=community)
    add_register_people(compound, born=1980, count=20)
    wave = surveys.create_wave(
        actor=operator,
        name="2026年居民满意度测评",
        communities=[community],
        target_responses=10,
    )
    wave = surveys.change_wave_state(actor=operator, wave=wave, target=WaveState.OPEN)
    for value, count in ((5, 9), (2, 1)):
        for _ in range(count):
            surveys.submit_paper_response(
                actor=operator,
                wave=wave,
                compound=compound,
                birth_year=1980,
                raw={f"q{q.pk}": str(value) for q in wave.questions.all()},
            )
    surveys.change_wave_state(actor=operator, wave=wave, target=WaveState.CLOSED)


def test_district_planner_ranks_circles_and_downloads_the_sheet(page, live_server):
    _ensure_catalogue()
    # 西坝: everything at the door of its one compound; 桃花: only a pharmacy.
    xiba = make_community("西坝社区", slug="xiba", lat=LAT0, lng=east(0))
    taohua = make_community("桃花社区", slug="taohua", lat=LAT0, lng=east(9000))
    make_compound(xiba, "葛洲坝一区", lat=LAT0, lng=east(0), households=800)
    make_compound(taohua, "桃花岭", lat=LAT0, lng=east(9000), households=600)
    for code in EVERYTHING:
        make_merchant(xiba, type_code=code, lat=LAT0, lng=east(60))
    make_merchant(taohua, type_code="pharmacy", lat=LAT0, lng=east(9050))
    for c in (xiba, taohua):
        services.ensure_coverage(actor=SYSTEM, community=c)
    _xiba_measured_90_percent(xiba)
    planner = User.objects.create_user("xiling_planner", password="Quarter-2026!")
    add_role(planner, "planner")
    Planner.objects.create(
        user=planner, district=xiba.street_office.district, organisation="西陵区商务局"
    )
    _log_in(page, live_server, planner)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/")
    page.locator("#nav-planner-indicators").click()
    page.get_by_role("link", name="宜昌市西陵区").click()
    rows = page.locator("#indicator-ranking tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("西坝社区")
    expect(rows.nth(0)).to_contain_text("达标")
    expect(rows.nth(1)).to_contain_text("桃花社区")
    expect(rows.nth(1)).to_contain_text("差距较大")
    expect(rows.nth(1)).to_contain_text("基本保障类缺")
    # 西坝's closed wave is on the sheet; 桃花 has never been surveyed.
    satisfaction = page.locator("#indicator-ranking td.satisfaction")
    expect(satisfaction.nth(0)).to_contain_text("90")
    expect(satisfaction.nth(1)).to_have_text("尚未测评")
    expect(page.locator(".largest-gaps")).to_contain_text("桃花社区")
    shot(page, "indicators-district")

    with page.expect_download() as info:
        page.locator("#indicator-xlsx").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    summary = list(book.worksheets[0].iter_rows(values_only=True))
    names = [r[1] for r in summary if isinstance(r[0], int)]
    assert names == ["西坝社区", "桃花社区"]
    assert len(book.worksheets) == 3

    page.get_by_role("link", name="打印版").click()
    expect(page.locator("body.print-sheet tbody tr")).to_have_count(2)
    expect(page.locator("h1")).to_contain_text("一刻钟便民生活圈建设指标汇总表")
    shot(page, "indicators-print")
    page.go_back()

    page.get_by_role("link", name="桃花社区").first.click()
    expect(page.locator("#indicator-circle h1")).to_contain_text("桃花社区")
    expect(page.locator("#indicator-types")).to_contain_text("药店")
    shot(page, "indicators-circle")
