"""The indicator sheet against a small circle computed by hand, and the bar."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from quarter.core.actors import SYSTEM
from quarter.coverage import services
from quarter.coverage.selectors import build_gap_report
from quarter.coverage.tests.factories import (
    east,
    make_community,
    make_compound,
    make_merchant,
)
from quarter.indicators import satisfaction, selectors
from quarter.places.models import Admission, BusinessType, Community, Tier

pytestmark = pytest.mark.django_db

BASIC = [
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
]


@dataclass(frozen=True)
class FakeSatisfaction:
    rate: float | None
    low: float | None
    high: float | None
    responses: int
    wave_name: str
    closed_at: object
    previous_rate: float | None


@pytest.fixture
def survey():
    """Stand in for the survey app: {community id: FakeSatisfaction}."""
    answers: dict[int, FakeSatisfaction] = {}
    satisfaction.source = lambda ids: {i: answers[i] for i in ids if i in answers}
    yield answers
    satisfaction.source = None


def _full_set(community, *, lat, lng):
    for code in BASIC + ["elderly_care", "childcare"]:
        make_merchant(community, type_code=code, lat=lat, lng=lng)


@pytest.fixture
def jinxiu():
    """锦绣社区: 甲苑 (60 households) has every basic type and 一老一小 at its door,
    乙苑 (50, 3 km east) five basic types, 丙苑 (30, 6 km east) only a pharmacy."""
    c = make_community("锦绣社区", slug="jinxiu")
    make_compound(c, "甲苑", lat=c.center_lat, lng=east(0), households=60)
    make_compound(c, "乙苑", lat=c.center_lat, lng=east(3000), households=50)
    make_compound(c, "丙苑", lat=c.center_lat, lng=east(6000), households=30)
    for code in BASIC:
        make_merchant(
            c,
            type_code=code,
            lat=c.center_lat,
            lng=east(0),
            is_chain=code in ("convenience_store", "supermarket"),
        )
    for code in ("elderly_care", "childcare"):
        make_merchant(c, type_code=code, lat=c.center_lat, lng=east(0))
    for code in ("convenience_store", "breakfast", "wet_market", "repair", "pharmacy"):
        make_merchant(c, type_code=code, lat=c.center_lat, lng=east(3000))
    make_merchant(c, type_code="pharmacy", lat=c.center_lat, lng=east(6000))
    # An application is not an outlet yet, and serves nobody.
    make_merchant(
        c,
        type_code="supermarket",
        lat=c.center_lat,
        lng=east(6000),
        admission=Admission.APPLIED,
    )
    services.ensure_coverage(actor=SYSTEM, community=c)
    return c


def _sheet(community) -> selectors.CircleSheet:
    return selectors.build_sheets(Community.objects.filter(pk=community.pk))[0]


def test_the_sheet_matches_the_hand_computed_circle(jinxiu):
    sheet = _sheet(jinxiu)
    assert sheet.households == 140 and sheet.compounds == 3
    # 13 + 2 at 甲苑, 5 at 乙苑, 1 at 丙苑; the application is not counted.
    assert sheet.outlets_total == 21
    assert sheet.tier_outlets == {"basic": 19, "quality": 2, "public": 0}
    counts = {t.business_type.code: t.outlets for t in sheet.types}
    assert counts["pharmacy"] == 3 and counts["convenience_store"] == 2
    assert counts["supermarket"] == 1 and counts["hospital"] == 0
    assert sheet.chain_outlets == 2
    assert sheet.chain_share == pytest.approx(2 / 21)
    assert sheet.outlets_per_100_households == pytest.approx(15.0)
    # Reached basic types: 丙苑 1 (30 hh), 乙苑 5 (50 hh), 甲苑 13 (60 hh); the
    # 70th of 140 households lives in 乙苑.
    assert sheet.basic_types_total == 13
    assert sheet.median_basic_types == 5
    assert sheet.completeness_median == pytest.approx(5 / 13)
    assert sheet.households_all_basic == 60
    assert sheet.share_all_basic == pytest.approx(60 / 140)
    met = {g.name: (g.households_met, g.met) for g in sheet.groupings}
    assert met == {
        "一店一早": (110, False),
        "一菜一修": (110, False),
        "一老一小": (60, False),
        "一收一洗": (60, False),
    }
    covered = {t.business_type.code: t.households_covered for t in sheet.types}
    assert covered["pharmacy"] == 140 and covered["convenience_store"] == 110
    assert covered["laundry"] == 60
    assert [t.code for t in sheet.missing_basic] == [
        t.code
        for t in BusinessType.objects.filter(tier=Tier.BASIC)
        if t.code != "pharmacy"
    ]
    assert sheet.computed
    assert not sheet.satisfaction.measured
    # Score: (60/140 households with every basic type + 0 of 4 pairs) / 2.
    assert sheet.score == pytest.approx((60 / 140) / 2)
    assert sheet.status == "gap"
    assert any("一老一小" in s for s in sheet.shortfalls)


def test_the_sheet_agrees_with_the_gap_report(jinxiu):
    other = make_community("和平社区", slug="heping")
    make_compound(other, "和苑", lat=other.center_lat, lng=east(0), households=80)
    _full_set(other, lat=other.center_lat, lng=east(100))
    services.ensure_coverage(actor=SYSTEM, community=other)
    sheets = selectors.build_sheets(Community.objects.all())
    assert len(sheets) == 2
    for sheet in sheets:
        report = build_gap_report(community=sheet.community)
        assert sheet.households == report.households_total
        assert sheet.outlets_total == report.merchants_total
        assert sheet.chain_outlets == report.chain_count
        assert sheet.households_all_basic == report.households_all_basic
        assert sheet.tier_outlets == report.tier_counts
        assert [(g.name, g.households_met, g.met) for g in sheet.groupings] == [
            (g.name, g.households_met, g.met) for g in report.groupings
        ]
        assert {
            t.business_type.code: (t.outlets, t.households_covered) for t in sheet.types
        } == {
            t.business_type.code: (t.count, t.households_covered)
            for t in report.type_counts
        }


def test_a_complete_circle_is_done_until_residents_are_unhappy(jinxiu, survey):
    heping = make_community("和平社区", slug="heping")
    make_compound(heping, "和苑", lat=heping.center_lat, lng=east(0), households=80)
    _full_set(heping, lat=heping.center_lat, lng=east(100))
    services.ensure_coverage(actor=SYSTEM, community=heping)

    sheet = _sheet(heping)
    assert sheet.status == "done" and sheet.score == 1.0
    assert sheet.shortfalls == []
    assert not sheet.satisfaction.measured

    survey[heping.pk] = FakeSatisfaction(0.93, 0.9, 0.96, 120, "2026年秋季", None, 0.88)
    sheet = _sheet(heping)
    assert sheet.status == "done"
    assert sheet.satisfaction.rate == 0.93
    assert sheet.satisfaction.change == pytest.approx(0.05)

    survey[heping.pk] = FakeSatisfaction(0.72, 0.6, 0.8, 40, "2026年秋季", None, None)
    sheet = _sheet(heping)
    assert sheet.status == "close"  # (1 + 1 + 0.72/0.9) / 3 = 0.933
    assert sheet.score == pytest.approx((1 + 1 + 0.72 / 0.9) / 3)
    assert sheet.shortfalls == ["满意度 72% 低于 90%"]
    assert sheet.satisfaction.change is None

    # Fewer than 5 responses: measured, but no figure, and not judged on it.
    survey[heping.pk] = FakeSatisfaction(None, None, None, 3, "2026年秋季", None, 0.8)
    sheet = _sheet(heping)
    assert sheet.satisfaction.too_few and sheet.status == "done"


def test_circles_are_ranked_done_then_nearest_the_bar(jinxiu):
    heping = make_community("和平社区", slug="heping")
    make_compound(heping, "和苑", lat=heping.center_lat, lng=east(0), households=80)
    _full_set(heping, lat=heping.center_lat, lng=east(100))
    services.ensure_coverage(actor=SYSTEM, community=heping)
    empty = make_community("新建社区", slug="xinjian")  # never computed, no compound
    sheets = selectors.rank(selectors.build_sheets(Community.objects.all()))
    assert [(s.rank, s.community.name, s.status) for s in sheets] == [
        (1, "和平社区", "done"),
        (2, "锦绣社区", "gap"),
        (3, "新建社区", "gap"),
    ]
    assert sheets[2].community == empty
    assert sheets[2].shortfalls[0] == "尚未计算步行覆盖"
    assert sheets[2].households == 0 and sheets[2].median_basic_types == 0
