"""Browser journey of the visit log (联系本): operator, shop staff, resident."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.card import visits
from quarter.card.tests.log_factories import local, visit
from quarter.core import clock
from quarter.vouchers.tests.factories import World
from tests.e2e.journeys import ensure_catalogue as _ensure_catalogue
from tests.e2e.journeys import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _months():
    """This month and the one before it, in Shanghai: (first day, label) each."""
    today = clock.local_now().date()
    this = dt.date(today.year, today.month, 1)
    last = (this - dt.timedelta(days=1)).replace(day=1)
    return [(m, f"{m.year}年{m.month}月") for m in (last, this)]


@pytest.fixture
def scene():
    _ensure_catalogue()
    (last, _), (this, _) = _months()
    a, b = World(), World()
    barber, barber_cashier = a.merchant("阿明理发店")
    ann, bob = a.resident(), a.resident()
    at = lambda day, hh, mm=0: local(day.year, day.month, day.day, hh, mm)  # noqa: E731
    visit(
        a.shop, a.cashier, at=at(last, 8, 5), bill_fen=6000, card_fen=2700, resident=ann
    )
    visit(
        barber,
        barber_cashier,
        at=at(last + dt.timedelta(days=2), 9, 40),
        bill_fen=3000,
        card_fen=300,
        resident=bob,
    )
    partly = visit(
        barber,
        barber_cashier,
        at=at(this, 0, 20),
        bill_fen=5000,
        card_fen=500,
        resident=ann,
    )
    visits.refund_visit(partly, refunded_fen=1500)
    visit(b.shop, b.cashier, at=at(this, 0, 30), bill_fen=9900, resident=b.resident())
    return a, barber, barber_cashier, ann


def test_visit_log_operator_table_chart_filter_csv_then_shop_then_resident(
    page, live_server, scene
):
    a, barber, barber_cashier, ann = scene
    (last, last_label), (_this, this_label) = _months()

    # The operator opens the monthly table and chart of their community.
    page.set_viewport_size({"width": 1200, "height": 900})
    login(page, live_server, a.operator_user)
    page.click("text=联系本")
    expect(page.locator("#log-title")).to_contain_text(a.community.name)
    rows = page.locator("#log-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text(last_label)
    expect(page.locator("#log-table")).to_contain_text(this_label)
    expect(page.locator("#total-bill")).to_have_text("¥125.00")
    expect(page.locator("#compound-table")).to_contain_text(a.compound.name)
    # Both charts are drawn (the chart scripts load after the table shows).
    page.wait_for_function(
        "() => window.Chart && ['log-visits-chart', 'log-money-chart'].every("
        "id => Chart.getChart(document.getElementById(id)))"
    )
    shot(page, "visit-log-operator")

    # Filters last month only, then downloads the CSV of what is shown.
    page.fill("#log-from", last.strftime("%Y-%m"))
    page.fill("#log-to", last.strftime("%Y-%m"))
    page.click("#log-filter button[type=submit]")
    expect(page.locator("#log-range")).to_have_text(last_label)
    expect(rows).to_have_count(2)
    expect(page.locator("#log-table")).not_to_contain_text(this_label)
    with page.expect_download() as download_info:
        page.click("#download-csv")
    content = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(content)))
    assert [r[:3] for r in table[1:]] == [
        [last_label, "东河早餐店", "1"],
        [last_label, "阿明理发店", "1"],
        ["合计", "", "2"],
    ]
    assert download_info.value.suggested_filename.endswith(".csv")

    # The barber's cashier sees only the barber's shop.
    page.set_viewport_size({"width": 412, "height": 915})
    login(page, live_server, barber_cashier)
    page.click("text=本店联系本")
    expect(page.locator("#log-title")).to_contain_text("阿明理发店")
    expect(page.locator("#log-table tbody")).not_to_contain_text("东河早餐店")
    expect(page.locator("#total-bill")).to_have_text("¥65.00")  # 30 + (50 − 15)
    shot(page, "visit-log-shop")
    page.goto(f"{live_server.url}/visits/shop/{a.shop.pk}/")
    expect(page.locator("#error-message")).to_have_text("您不是这家店的工作人员")

    # The resident sees their own history, with the time and the refund.
    login(page, live_server, ann.user)
    page.click("text=到店记录")
    items = page.locator("#my-visits li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("阿明理发店")
    expect(items.nth(0).locator(".when")).to_have_text(f"{_this:%Y-%m-%d} 00:20")
    expect(items.nth(0).locator(".status")).to_have_text("部分退款 ¥15.00")
    expect(items.nth(1).locator(".paid")).to_have_text("¥33.00")
    expect(page.locator("#my-visits")).not_to_contain_text("¥99.00")
    shot(page, "visit-log-resident")
