"""The demo shows everything: Haidian on a real network, a round open for the
README resident, and a useful first page for every README login."""

from __future__ import annotations

import pytest
from django.test import Client

from quarter.coverage.models import CoverageRun
from quarter.coverage.selectors import build_gap_report, suggest_sites
from quarter.demo.haidian import EXTRACT
from quarter.demo.services import DEMO_PASSWORD, demo_logins, load_demo
from quarter.people.models import User
from quarter.places.models import Compound, CompoundEvent, Merchant, MerchantEvent
from quarter.vouchers.demo import JINXIU_CAMPAIGN, README_RESIDENT
from quarter.vouchers.engines import use_engine
from quarter.vouchers.models import Claim, Round


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(params=["db", "redis"])
def demo_engine(request):
    """The demo loaded and claimed on each claim engine in turn."""
    if request.param == "db":
        from quarter.vouchers.engines.db_engine import DatabaseEngine

        engine = DatabaseEngine()
    else:
        import redis

        from quarter.vouchers.engines.redis_engine import RedisEngine

        url = request.getfixturevalue("redis_url")
        client = redis.Redis.from_url(url)
        client.config_set("appendonly", "yes")
        client.config_set("appendfsync", "always")
        engine = RedisEngine(url, client=client)
    use_engine(engine)
    yield engine
    use_engine(None)


def test_shipped_extract_is_small_and_attributed():
    assert EXTRACT.is_file() and EXTRACT.stat().st_size < 2 * 1024 * 1024
    attribution = (EXTRACT.parent / "ATTRIBUTION.txt").read_text(encoding="utf-8")
    assert "OpenStreetMap contributors" in attribution and "ODbL" in attribution


@pytest.mark.django_db
def test_haidian_loads_on_a_real_network_with_estimated_compounds_and_real_gaps():
    load_demo()
    run = CoverageRun.objects.select_related("network").get(community__slug="haidian")
    assert not run.estimated and "OpenStreetMap" in run.network.name
    compounds = Compound.objects.filter(community__slug="haidian")
    names = set(compounds.values_list("name", flat=True))
    assert {"石科院生活区", "双泉嘉苑", "静淑苑"} <= names
    assert all(c.households > 0 and c.population > c.households for c in compounds)
    # Each compound keeps its mapped area, for the street layer to draw.
    assert all(
        c.outline and c.outline["type"] in {"Polygon", "MultiPolygon"}
        for c in compounds
    )
    assert CompoundEvent.objects.filter(
        community__slug="haidian", after__has_key="households_estimated"
    ).count() == len(names)
    # Shops came through admission: applied on import, approved by the operator.
    approved = Merchant.objects.filter(community__slug="haidian", admission="approved")
    assert approved.count() >= 40
    assert approved.filter(name="物美").exists()
    operator = User.objects.get(username="operator_haidian")
    for merchant in approved:
        kinds = list(
            MerchantEvent.objects.filter(merchant=merchant)
            .order_by("created_at", "pk")
            .values_list("kind", "actor")
        )
        assert kinds[0][0] == "applied" and kinds[-1] == ("approved", operator.pk)
    assert Merchant.objects.filter(
        community__slug="haidian", admission="applied"
    ).exists()  # left for the operator to review
    report = build_gap_report(community=run.community)
    assert 0 < report.households_total and report.share_all_basic < 1  # real gaps
    assert "90平方米" in report.households_note
    laundry = next(t for t in report.type_counts if t.business_type.code == "laundry")
    assert laundry.count == 0  # none mapped in the area: a real gap
    picks = suggest_sites(actor=operator, community=run.community, type_code="laundry")
    assert picks
    streets = {
        "学清路",
        "石板房南路",
        "清华东路",
        "双泉堡西路",
        "科荟路",
        "学院路",
        "林业大学北路",
        "石清路",
        "志新西路",
        "小月河东路",
        "小月河西路",
    }
    for pick in picks:
        assert pick.street, pick
        assert pick.near_compound in names
        assert pick.place == f"近 {pick.street}，{pick.near_compound}旁" or (
            pick.place == f"近 {pick.street}, {pick.near_compound}旁"
        )
    assert picks[0].street in streets


@pytest.mark.django_db
def test_readme_resident_claims_a_packet_right_after_the_demo_loads(
    demo_engine, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        load_demo()
    client = Client()
    assert client.login(username=README_RESIDENT, password=DEMO_PASSWORD)
    open_round = Round.objects.get(
        campaign__name=JINXIU_CAMPAIGN, name__startswith="第二轮"
    )
    page = client.get(f"/vouchers/rounds/{open_round.pk}/")
    assert "立即领取" in page.content.decode()
    ticket = page.context["ticket"]
    assert ticket  # the page hands out a rush ticket: the round is open to them
    answer = client.post(
        f"/vouchers/rush/{open_round.pk}/claim", HTTP_X_RUSH_TICKET=ticket
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["code"] == "ok"
    if demo_engine.name == "redis":
        from quarter.vouchers.engines.redis_engine import persist_pending

        persist_pending(client=demo_engine.client, round_ids=[open_round.pk])
    assert Claim.objects.filter(
        round=open_round, resident__phone=README_RESIDENT
    ).exists()
    # A wallet with coupons from the earlier round, and a countdown to the next.
    wallet = client.get("/vouchers/wallet/").content.decode()
    assert "满¥40.00减¥10.00" in wallet
    later = Round.objects.get(campaign__name=JINXIU_CAMPAIGN, name="第三轮")
    assert "距开抢" in client.get(f"/vouchers/rounds/{later.pk}/").content.decode()


@pytest.mark.django_db
def test_every_readme_login_lands_on_a_page_with_something_to_do():
    load_demo()
    expected = {
        "13800000001": ("/vouchers/", "宜昌市西陵区社区消费券"),
        "13800000002": ("/vouchers/", "抢券中"),
        "merchant_amin": ("/console/", "阿明理发店"),
        "operator_jinxiu": ("/planning/jinxiu/", "新增网点选址"),
        "operator_donghe": ("/planning/donghe/", "新增网点选址"),
        "operator_haidian": ("/planning/haidian/", "户数为估算"),
        "issuer_hangzhou": ("/vouchers/issuer/", "杭州市电子消费券"),
        "issuer_yichang": ("/vouchers/issuer/", "宜昌市西陵区社区消费券"),
        "planner_xiacheng": ("/planning/district/", "全区选址"),
        "admin": ("/admin/", "Quarter"),
    }
    assert {login.username for login in demo_logins()} == set(expected)
    for username, (path, text) in expected.items():
        client = Client()
        response = client.post(
            "/accounts/login/",
            {"username": username, "password": DEMO_PASSWORD},
            follow=True,
        )
        landed = response.redirect_chain[-1][0]
        assert landed.startswith(path), (username, landed)
        assert response.status_code == 200
        assert text in response.content.decode(), username
