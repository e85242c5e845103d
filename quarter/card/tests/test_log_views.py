"""The visit log's pages and downloads: what each role sees, bad queries as 400."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from quarter.card import visits
from quarter.card.tests.log_factories import local, visit
from quarter.core import clock
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.raise_request_exception = False  # a 500 is a status here, not a crash
    return client


@pytest.fixture
def scene():
    """Community A with two shops and visits in Oct/Nov 2026; community B apart."""
    clock.freeze(local(2026, 11, 20, 10))
    a, b = World(), World()
    barber, barber_cashier = a.merchant("阿明理发店")
    ann = a.resident()
    visit(
        a.shop,
        a.cashier,
        at=local(2026, 11, 3, 8, 5),
        bill_fen=6000,
        card_fen=2700,
        resident=ann,
    )
    refunded = visit(
        a.shop,
        a.cashier,
        at=local(2026, 11, 4),
        bill_fen=5000,
        card_fen=500,
        resident=ann,
    )
    visits.refund_visit(refunded, refunded_fen=1500)
    visit(
        barber,
        barber_cashier,
        at=local(2026, 10, 30),
        bill_fen=3000,
        card_fen=300,
        resident=ann,
    )
    visit(
        b.shop, b.cashier, at=local(2026, 11, 5), bill_fen=9900, resident=b.resident()
    )
    return a, b, barber, barber_cashier, ann


def test_operator_sees_monthly_table_in_yuan_with_chinese_months(client, scene):
    a, _b, _barber, _bc, _ann = scene
    client.force_login(a.operator_user)
    page = client.get(f"/visits/community/{a.community.slug}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "2026年11月" in html and "2026年10月" in html
    # Billed: 60 + (50 − 15 refunded) at the breakfast shop + 30 at the barber.
    assert 'id="total-bill">¥125.00' in html
    assert 'id="total-discount">¥35.00' in html
    assert "阿明理发店" in html and "东河早餐店" in html
    assert 'id="log-chart-data"' in html and "card/log_chart.js" in html


def test_operator_home_sends_a_one_community_operator_to_it(client, scene):
    a, *_ = scene
    client.force_login(a.operator_user)
    response = client.get("/visits/")
    assert response.status_code == 302
    assert response["Location"] == f"/visits/community/{a.community.slug}/"


def test_operator_filters_one_month_and_one_shop(client, scene):
    a, _b, barber, _bc, _ann = scene
    client.force_login(a.operator_user)
    html = client.get(
        f"/visits/community/{a.community.slug}/",
        {"from": "2026-10", "to": "2026-10", "merchant": barber.pk},
    ).content.decode()
    assert "2026年10月" in html and "2026年11月</td>" not in html
    assert "东河早餐店</td>" not in html
    assert "¥30.00" in html


def test_operator_of_another_community_is_refused(client, scene):
    a, b, *_ = scene
    client.force_login(b.operator_user)
    response = client.get(f"/visits/community/{a.community.slug}/")
    assert response.status_code == 403
    csv_response = client.get(f"/visits/community/{a.community.slug}/export.csv")
    assert csv_response.status_code == 403


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"from": "2026-13"}, "起始月份不存在"),
        ({"to": "2026-11-01"}, "截止月份应写成 2026-11"),
        ({"from": "2026-11", "to": "2026-01"}, "不能晚于"),
        ({"merchant": "-5"}, "商户编号"),
        ({"merchant": "9" * 30}, "商户编号"),
        ({"merchant": "abc"}, "商户编号"),
    ],
)
def test_bad_query_is_a_clear_400(client, scene, query, words):
    a, *_ = scene
    client.force_login(a.operator_user)
    for suffix in ("", "export.csv"):
        response = client.get(f"/visits/community/{a.community.slug}/{suffix}", query)
        assert response.status_code == 400, (query, suffix)
        assert words in response.content.decode()


def test_merchant_of_another_community_in_the_filter_is_a_400(client, scene):
    a, b, *_ = scene
    client.force_login(a.operator_user)
    response = client.get(
        f"/visits/community/{a.community.slug}/", {"merchant": b.shop.pk}
    )
    assert response.status_code == 400
    assert "本社区没有这家商户" in response.content.decode()


def test_operator_downloads_csv_and_xlsx_of_the_filtered_table(client, scene):
    a, *_ = scene
    client.force_login(a.operator_user)
    response = client.get(
        f"/visits/community/{a.community.slug}/export.csv",
        {"from": "2026-11", "to": "2026-11"},
    )
    assert response.status_code == 200
    assert "visits-" in response["Content-Disposition"]
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[:3] for r in rows[1:]] == [
        ["2026年11月", "东河早餐店", "2"],
        ["合计", "", "2"],
    ]
    # 60 + (50 − 15 refunded) = 95 billed; 27 + 5 card discount; 33 + 30 paid.
    assert rows[1][5:10] == ["95.00", "32.00", "0.00", "32.00", "63.00"]
    xlsx = client.get(f"/visits/community/{a.community.slug}/export.xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book["按月到店"]["A3"].value == "2026年10月"


def test_shop_staff_see_only_their_own_shop(client, scene):
    a, _b, barber, barber_cashier, _ann = scene
    client.force_login(barber_cashier)
    assert client.get("/visits/shop/")["Location"] == f"/visits/shop/{barber.pk}/"
    html = client.get(f"/visits/shop/{barber.pk}/").content.decode()
    assert "阿明理发店" in html and "东河早餐店" not in html
    assert "¥30.00" in html
    assert client.get(f"/visits/shop/{a.shop.pk}/").status_code == 403
    assert client.get(f"/visits/shop/{a.shop.pk}/export.csv").status_code == 403
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/visits/shop/{barber.pk}/export.csv").content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert {r[1] for r in rows[1:-1]} == {"阿明理发店"}


def test_shop_log_of_a_missing_or_absurd_id_is_404_not_500(client, scene):
    _a, _b, _barber, barber_cashier, _ann = scene
    client.force_login(barber_cashier)
    assert client.get("/visits/shop/999999/").status_code == 404
    assert client.get(f"/visits/shop/{'9' * 30}/").status_code == 404


def test_resident_sees_own_history_with_time_shop_and_refund(client, scene):
    a, b, *_rest, ann = scene
    client.force_login(ann.user)
    html = client.get("/me/visits/").content.decode()
    assert "2026-11-03 08:05" in html
    assert "东河早餐店" in html and "阿明理发店" in html
    assert "¥60.00" in html and "¥27.00" in html and "¥33.00" in html
    assert "部分退款 ¥15.00" in html
    assert "¥99.00" not in html  # community B's resident's visit
    assert client.get("/me/visits/", {"page": "abc"}).status_code == 400
    client.force_login(a.cashier)
    assert client.get("/me/visits/").status_code == 403


def test_non_operator_and_non_staff_get_403_on_landing_pages(client, scene):
    *_rest, ann = scene
    client.force_login(ann.user)
    assert client.get("/visits/").status_code == 403
    assert client.get("/visits/shop/").status_code == 403
