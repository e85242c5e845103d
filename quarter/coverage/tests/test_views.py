"""Planning pages: operators only, dashboard, partials, exports, print."""

from __future__ import annotations

import csv
import io
import time

import pytest
from django.urls import reverse

from quarter.coverage.tests.factories import (
    LAT0,
    east,
    make_community,
    make_compound,
    make_merchant,
    make_operator,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def planning(client):
    community = make_community(slug="jinxiu")
    make_compound(community, "桃花岭小区", lat=LAT0, lng=east(0), households=600)
    make_compound(community, "江景苑", lat=LAT0, lng=east(2500), households=400)
    make_merchant(community, type_code="wet_market", lat=LAT0, lng=east(100))
    make_merchant(
        community,
        type_code="convenience_store",
        lat=LAT0,
        lng=east(2400),
        is_chain=True,
    )
    operator = make_operator(community)
    client.force_login(operator)
    return community, client


def test_planning_home_lists_own_communities(planning):
    community, client = planning
    make_community(name="别的社区", slug="other")
    response = client.get(reverse("planning_home"))
    assert response.status_code == 200
    assert (
        "锦绣社区" in response.content.decode()
        and "别的社区" not in response.content.decode()
    )


def test_dashboard_shows_gaps_and_estimate_label(planning):
    community, client = planning
    response = client.get(reverse("planning_dashboard", args=[community.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "估算" in html
    assert 'data-compound="江景苑" class="has-gap"' in html
    assert "一店一早" in html


def test_dashboard_refuses_other_operators_and_anonymous(planning, client):
    community, _ = planning
    other = make_community(slug="donghe")
    url = reverse("planning_dashboard", args=[other.slug])
    assert planning[1].get(url).status_code == 403
    assert (
        planning[1].get(reverse("planning_dashboard", args=["nowhere"])).status_code
        == 404
    )
    client.logout()
    assert (
        client.get(reverse("planning_dashboard", args=[community.slug])).status_code
        == 302
    )


def test_dashboard_renders_under_one_second_warm(planning):
    community, client = planning
    url = reverse("planning_dashboard", args=[community.slug])
    client.get(url)
    started = time.perf_counter()
    assert client.get(url).status_code == 200
    assert time.perf_counter() - started < 1.0


def test_suggest_and_what_if_partials(planning):
    community, client = planning
    response = client.get(
        reverse("planning_suggest", args=[community.slug]), {"type": "wet_market"}
    )
    html = response.content.decode()
    assert (
        response.status_code == 200 and "江景苑" in html and "新增覆盖 400 户" in html
    )
    bad = client.get(
        reverse("planning_suggest", args=[community.slug]), {"type": "nope"}
    )
    assert bad.status_code == 400 and "没有这个业态" in bad.content.decode()
    response = client.post(
        reverse("planning_what_if", args=[community.slug]),
        {"type": "wet_market", "lat": LAT0, "lng": east(2450)},
    )
    assert response.status_code == 200 and "变为覆盖" in response.content.decode()
    bad = client.post(
        reverse("planning_what_if", args=[community.slug]),
        {"type": "wet_market", "lat": "x", "lng": ""},
    )
    assert bad.status_code == 400 and "请在地图上选择位置" in bad.content.decode()


def test_map_data_has_isochrones(planning):
    community, client = planning
    data = client.get(reverse("planning_map_data", args=[community.slug])).json()
    assert len(data["compounds"]) == 2 and len(data["merchants"]) == 2
    # The first compound's 5/10/15 polygons come with the map; others on request.
    assert len(data["isochrones"]["features"]) == 3
    assert data["estimated"] is True
    second = data["compounds"][1]["id"]
    url = reverse("planning_isochrones", args=[community.slug])
    iso = client.get(url, {"compound": second}).json()
    assert {f["properties"]["compound_id"] for f in iso["features"]} == {second}
    assert client.get(url, {"compound": 999999}).status_code == 404
    assert client.get(url, {"compound": "x"}).status_code == 400


def test_exports_csv_and_xlsx(planning):
    community, client = planning
    csv_response = client.get(reverse("planning_export_csv", args=[community.slug]))
    text = csv_response.content.decode("utf-8-sig")
    assert "江景苑" in text and "菜市场" in text and "估算" in text
    xlsx = client.get(reverse("planning_export_xlsx", args=[community.slug]))
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["概况", "小区缺口", "业态统计"]
    names = [row[0].value for row in book["小区缺口"].iter_rows(min_row=2)]
    assert names == ["桃花岭小区", "江景苑"]


def test_print_report(planning):
    community, client = planning
    response = client.get(reverse("planning_print", args=[community.slug]))
    html = response.content.decode()
    assert (
        response.status_code == 200 and "业态缺口报告" in html and "@page" not in html
    )
    assert "print.css" in html


def test_admin_lists_runs_and_recomputes(planning, admin_client):
    community, client = planning
    client.get(reverse("planning_dashboard", args=[community.slug]))
    from quarter.coverage.models import CoverageRun

    run = CoverageRun.objects.get(community=community)
    assert admin_client.get("/admin/coverage/coveragerun/").status_code == 200
    assert admin_client.get("/admin/coverage/streetnetwork/").status_code == 200
    response = admin_client.post(
        "/admin/coverage/coveragerun/",
        {"action": "recompute", "_selected_action": [run.pk]},
    )
    assert response.status_code == 302
    assert CoverageRun.objects.get(pk=run.pk).computed_at > run.computed_at


def test_dashboard_lists_pending_shops_by_gap_closed(planning):
    community, client = planning
    make_merchant(
        community,
        name="江景菜场(申请)",
        type_code="wet_market",
        lat=LAT0,
        lng=east(2450),
        admission="applied",
    )
    make_merchant(
        community,
        name="桃花便利(申请)",
        type_code="convenience_store",
        lat=LAT0,
        lng=east(20),
        admission="applied",
    )
    html = client.get(
        reverse("planning_dashboard", args=[community.slug])
    ).content.decode()
    table = html[html.index('id="pending-table"') :]
    # The convenience store closes a 600-household gap, the market a 400 one.
    assert table.index("桃花便利(申请)") < table.index("江景菜场(申请)")
    assert "+400" in table and "+600" in table
    data = client.get(reverse("planning_map_data", args=[community.slug])).json()
    market = next(m for m in data["merchants"] if m["main_type__code"] == "wet_market")
    assert market["households_15"] == 600


def test_dashboard_passes_tiles_only_when_configured(planning, settings):
    community, client = planning
    url = reverse("planning_dashboard", args=[community.slug])
    # No tile server: Quarter's own street layer, no outside host.
    assert "/maps/streets/{z}/{x}/{y}.json" in client.get(url).content.decode()
    settings.QUARTER_TILES = "https://tiles.example/{z}/{x}/{y}.png"
    html = client.get(url).content.decode()
    assert "https://tiles.example/{z}/{x}/{y}.png" in html


def test_elderly_profile_pages(planning):
    community, client = planning
    url = reverse("planning_dashboard", args=[community.slug])
    html = client.get(url, {"profile": "elderly"}).content.decode()
    assert "步行速度 0.8 米/秒" in html
    assert "?profile=elderly" in html  # exports and print keep the profile
    html = client.get(
        reverse("planning_print", args=[community.slug]), {"profile": "elderly"}
    ).content.decode()
    assert "老年人(0.8米/秒)" in html
    # An unknown profile falls back to the standard one rather than failing.
    assert "步行速度 1.2 米/秒" in client.get(url, {"profile": "x"}).content.decode()


def test_exports_neutralise_formulas_and_fix_file_names(planning):
    """A compound or community named like a formula stays text in CSV and XLSX."""
    community, client = planning
    community.name = '=HYPERLINK("http://evil.example","东河")'
    community.save()
    community.compounds.filter(name="江景苑").update(name="@SUM(1+1)江景苑")
    csv_response = client.get(reverse("planning_export_csv", args=[community.slug]))
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert ["社区", "'" + community.name] in rows
    assert "'@SUM(1+1)江景苑" in [row[0] for row in rows if row]
    header = csv_response["Content-Disposition"]
    fixed = f'attachment; filename="coverage-{community.pk}-standard.csv"'
    assert header.startswith(fixed)
    assert "filename*=UTF-8''" in header and header.isascii()
    assert header.endswith(".csv")

    xlsx = client.get(reverse("planning_export_xlsx", args=[community.slug]))
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    assert book["概况"]["B1"].value == "'" + community.name
    names = [row[0] for row in book["小区缺口"].iter_rows(min_row=2)]
    assert "'@SUM(1+1)江景苑" in [c.value for c in names]
    assert all(c.data_type == "s" for c in names)
    assert xlsx["Content-Disposition"].split(";")[1].strip().endswith('.xlsx"')


def test_dashboard_get_shows_stale_figures_and_only_post_recomputes(planning):
    """A page view never recomputes a community: stale figures carry a note."""
    from quarter.coverage.models import CoverageRun

    community, client = planning
    url = reverse("planning_dashboard", args=[community.slug])
    assert "尚未更新" not in client.get(url).content.decode()  # first view computes
    before = CoverageRun.objects.get(community=community).fingerprint
    make_merchant(community, type_code="wet_market", lat=LAT0, lng=east(2450))
    html = client.get(url).content.decode()
    assert "以下数据尚未更新" in html and 'id="stale-note"' in html
    client.get(reverse("planning_map_data", args=[community.slug]))
    client.get(reverse("planning_export_csv", args=[community.slug]))
    assert CoverageRun.objects.get(community=community).fingerprint == before
    response = client.post(reverse("planning_recompute", args=[community.slug]))
    assert response.status_code == 302
    assert CoverageRun.objects.get(community=community).fingerprint != before
    assert "尚未更新" not in client.get(url).content.decode()


def test_recompute_refuses_other_communities_operator(planning, client):
    community, _client = planning
    other = make_community(name="别的社区", slug="other")
    client.force_login(make_operator(other))
    response = client.post(reverse("planning_recompute", args=[community.slug]))
    assert response.status_code == 403
