"""Browser journey: a resident searches in everyday words and finds a barber."""

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.core.geo import METERS_PER_DEG_LAT
from quarter.people.models import Household, Resident
from quarter.places.tests.factories import (
    CENTER,
    make_community,
    make_compound,
    make_merchant,
    make_user,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-strong-pass-2026"


def north(metres: float) -> float:
    return CENTER[0] + metres / METERS_PER_DEG_LAT


def test_resident_types_jian_toufa_and_finds_barber_with_walking_minutes(
    page, live_server
):
    community = make_community(slug="donghe")
    compound = make_compound(community)
    user = make_user("13900000001")
    Resident.objects.create(
        user=user,
        phone="13900000001",
        household=Household.objects.create(compound=compound, address="3幢"),
        real_name="王阿姨",
    )
    make_merchant(
        community,
        name="阿明理发店",
        type_code="hair_beauty",
        services=["理发", "洗剪吹"],
        card=550,
        lat=north(300),
    )
    make_merchant(community, name="建国北路药房", type_code="pharmacy", lat=north(100))
    make_merchant(
        community,
        name="老王修鞋",
        type_code="repair",
        services=["修鞋"],
        lat=north(4000),
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "13900000001")
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/search/")
    page.fill("input[name=q]", "剪头发")
    page.click("form .searchbar button")
    # The first search may wait for jieba's dictionary on a busy machine.
    expect(page.locator("#search-count")).to_contain_text("找到 1 家", timeout=30_000)
    results = page.locator("#result-list")
    expect(results).to_contain_text("阿明理发店")
    expect(results).not_to_contain_text("建国北路药房")
    # No street network in this world: the minutes are an estimate, and say so.
    expect(results.locator(".search-hit .meta").last).to_have_text(
        "约步行 6 分钟(长辈约 9 分钟) · 直线 300 米"
    )
    expect(page.locator("#search-count")).to_contain_text("步行 15 分钟内找到 1 家")
    shot(page, "search-jian-toufa")

    # Nothing to mend shoes within 15 minutes: say what it is and where the
    # nearest one is, then let the resident look further.
    page.fill("input[name=q]", "修鞋")
    page.click("form .searchbar button")
    expect(page.locator("#search-suggestion")).to_contain_text("维修点")
    expect(page.locator("#suggestion-list")).to_contain_text("老王修鞋")
    shot(page, "search-suggestion")
    page.click("#search-wider")
    expect(page.locator("#result-list")).to_contain_text("老王修鞋")
    expect(page.locator("#search-count")).to_contain_text("找到 1 家")
