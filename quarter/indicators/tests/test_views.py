"""Who sees which sheet, and the workbook a bureau files upward."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from quarter.core.actors import SYSTEM
from quarter.coverage import services
from quarter.coverage.tests.factories import (
    east,
    make_community,
    make_compound,
    make_merchant,
    make_operator,
)
from quarter.people.models import Planner, User
from quarter.places.models import District, StreetOffice

pytestmark = pytest.mark.django_db
PASSWORD = "x-Quarter-2026"


def _user(name: str) -> User:
    return User.objects.create_user(name, password=PASSWORD)


@pytest.fixture
def world():
    """西陵区 with three circles (two streets), and 伍家区 with one."""
    xiling_a = make_community("锦绣社区", slug="jinxiu")
    xiling_b = make_community("和平社区", slug="heping")
    district = xiling_a.street_office.district
    other_street = StreetOffice.objects.create(district=district, name="学院街道")
    xiling_c = make_community("学院社区", slug="xueyuan")
    xiling_c.street_office = other_street
    xiling_c.save()
    # A name a spreadsheet would run as a formula.
    formula = make_community("=HYPERLINK(1)", slug="formula")
    wujia = District.objects.create(city="宜昌市", name="伍家岗区")
    wujia_street = StreetOffice.objects.create(district=wujia, name="伍家街道")
    far = make_community("伍家社区", slug="wujia")
    far.street_office = wujia_street
    far.save()
    for i, c in enumerate([xiling_a, xiling_b, xiling_c, formula, far]):
        make_compound(c, f"{c.name}小区", lat=c.center_lat, lng=east(0), households=90)
        make_merchant(c, type_code="pharmacy", lat=c.center_lat, lng=east(50 * i))
        services.ensure_coverage(actor=SYSTEM, community=c)
    planner = _user("planner_xiling")
    Planner.objects.create(user=planner, district=district)
    street_planner = _user("planner_xueyuan")
    Planner.objects.create(
        user=street_planner, district=district, street_office=other_street
    )
    other_planner = _user("planner_wujia")
    Planner.objects.create(user=other_planner, district=wujia)
    return {
        "district": district,
        "wujia": wujia,
        "circles": [xiling_a, xiling_b, xiling_c, formula],
        "planner": planner,
        "street_planner": street_planner,
        "other_planner": other_planner,
        "operator": make_operator(xiling_a, "op_jinxiu"),
    }


def _login(client, user):
    client.force_login(user)
    return client


def test_district_planner_sees_every_circle_ranked(client, world):
    page = _login(client, world["planner"]).get(
        f"/indicators/district/{world['district'].pk}/"
    )
    assert page.status_code == 200
    html = page.content.decode()
    for c in world["circles"]:
        assert c.name in html
    assert "伍家社区" not in html
    assert "尚未测评" in html  # no closed survey wave yet


def test_planner_of_another_district_is_refused(client, world):
    c = _login(client, world["other_planner"])
    district = world["district"].pk
    assert c.get(f"/indicators/district/{district}/").status_code == 403
    assert c.get(f"/indicators/district/{district}/indicators.xlsx").status_code == 403
    assert c.get(f"/indicators/district/{district}/print/").status_code == 403
    assert c.get("/indicators/circle/jinxiu/").status_code == 403
    assert c.get(f"/indicators/district/{world['wujia'].pk}/").status_code == 200


def test_street_planner_sees_only_the_street(client, world):
    c = _login(client, world["street_planner"])
    html = c.get(f"/indicators/district/{world['district'].pk}/").content.decode()
    assert "学院社区" in html and "锦绣社区" not in html
    assert c.get("/indicators/circle/jinxiu/").status_code == 403
    sheet = c.get("/indicators/circle/xueyuan/")
    assert sheet.status_code == 200
    assert "/planning/xueyuan/" not in sheet.content.decode()  # operators' page


def test_operator_sees_only_the_own_circle(client, world):
    c = _login(client, world["operator"])
    page = c.get("/indicators/circle/jinxiu/")
    assert page.status_code == 200
    assert "锦绣社区" in page.content.decode()
    assert "/planning/jinxiu/" in page.content.decode()  # the operator plans it
    assert c.get("/indicators/circle/heping/").status_code == 403
    assert c.get(f"/indicators/district/{world['district'].pk}/").status_code == 403
    home = c.get("/indicators/").content.decode()
    assert "/indicators/circle/jinxiu/" in home
    assert "/indicators/circle/heping/" not in home


def test_unknown_district_or_circle_is_not_found(client, world):
    c = _login(client, world["planner"])
    assert c.get("/indicators/district/999999/").status_code == 404
    assert c.get("/indicators/circle/nowhere/").status_code == 404


def test_a_resident_is_refused_and_anonymous_sent_to_login(client, world):
    assert client.get("/indicators/").status_code == 302
    _login(client, _user("resident"))
    assert client.get("/indicators/").status_code == 403


def test_export_has_every_circle_with_cells_neutralised(client, world):
    response = _login(client, world["planner"]).get(
        f"/indicators/district/{world['district'].pk}/indicators.xlsx"
    )
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="indicators-district-')
    assert ".xlsx" in disposition
    book = load_workbook(io.BytesIO(response.content))
    summary = book.worksheets[0]
    rows = list(summary.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r[0] == "排名")
    body = [r for r in rows[header_at + 1 :] if isinstance(r[0], int)]
    names = sorted(r[1] for r in body)
    assert names == sorted(["锦绣社区", "和平社区", "学院社区", "'=HYPERLINK(1)"])
    header = rows[header_at]
    assert body[0][header.index("综合满意度")] == "尚未测评"
    assert body[0][header.index("户数")] == 90
    assert rows[-1][0] == "全区合计" and rows[-1][header.index("户数")] == 360
    # One sheet per circle besides the summary, each naming its circle.
    assert len(book.worksheets) == 1 + 4
    titles = [ws["A1"].value for ws in book.worksheets[1:]]
    assert sorted(titles) == sorted(
        f"{n}一刻钟便民生活圈指标表"
        for n in ["锦绣社区", "和平社区", "学院社区", "'=HYPERLINK(1)"]
    )
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert not (
                    isinstance(cell.value, str) and cell.value.startswith("=")
                ), cell.value


def test_print_page_lists_every_circle(client, world):
    page = _login(client, world["planner"]).get(
        f"/indicators/district/{world['district'].pk}/print/"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("<tr><td>") == 4
    assert "一刻钟便民生活圈建设指标汇总表" in html
