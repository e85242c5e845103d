"""Coverage services: network import, stored reach, incremental refresh, planning."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from quarter.core.actors import SYSTEM
from quarter.core.errors import DomainError, PermissionDenied
from quarter.coverage import reach_store, selectors, services
from quarter.coverage.models import (
    CoverageRun,
    MerchantReach,
    ReachArray,
    StreetNetwork,
)
from quarter.coverage.tests.factories import (
    LAT0,
    east,
    make_community,
    make_compound,
    make_merchant,
    make_operator,
    north,
    write_street_osm,
)
from quarter.coverage.tests.test_osm import HELSINKI
from quarter.places import services as places_services
from quarter.places.models import Admission, Merchant, MerchantStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def osm_file(tmp_path):
    return write_street_osm(tmp_path / "street.osm")


@pytest.fixture
def street_community(osm_file):
    """A community on the L-shaped street: compounds at 0 m and 1,900 m east."""
    community = make_community(lat=LAT0, lng=east(1000))
    services.import_network(actor=SYSTEM, path=osm_file, name="测试路网")
    west = make_compound(community, "西苑", lat=north(15), lng=east(0), households=300)
    far = make_compound(
        community, "东苑", lat=north(15), lng=east(1900), households=200
    )
    return community, west, far


def _reach(compound, code):
    """The stored reach of one compound and type: metres, estimated, the array's pk."""
    row = ReachArray.objects.get(
        community_id=compound.community_id, business_type__code=code
    )
    return SimpleNamespace(
        distance_m=reach_store.distance(compound, code),
        estimated=row.estimated,
        pk=row.pk,
    )


def test_import_network_stores_the_walking_graph(osm_file):
    result = services.import_network(actor=SYSTEM, path=osm_file, name="测试")
    network = StreetNetwork.objects.get()
    assert result.network == network
    assert (network.node_count, network.edge_count) == (31, 30)
    assert network.length_km == pytest.approx(3.0, rel=3e-3)
    assert network.covers(LAT0, east(1000))


def test_import_network_with_shops_creates_candidates_once(osm_file):
    community = make_community()
    operator = make_operator(community)
    first = services.import_network(
        path=osm_file,
        actor=operator,
        community=community,
        import_shops=True,
    )
    again = services.import_network(
        path=osm_file,
        actor=operator,
        community=community,
        import_shops=True,
    )
    assert (first.candidates_created, again.candidates_created) == (2, 0)
    assert again.candidates_skipped == 2
    shops = Merchant.objects.filter(community=community).order_by("osm_ref")
    assert [(m.name, m.main_type.code, m.admission) for m in shops] == [
        ("绿叶菜店", "wet_market", Admission.APPLIED),
        ("大药房", "pharmacy", Admission.APPLIED),
    ]
    assert all(m.events.filter(kind="applied").exists() for m in shops)


def test_import_network_refuses_non_operator_for_shops(osm_file):
    community = make_community()
    stranger = make_operator(make_community())
    with pytest.raises(PermissionDenied):
        services.import_network(
            path=osm_file,
            actor=stranger,
            community=community,
            import_shops=True,
        )
    assert not StreetNetwork.objects.exists()


@pytest.mark.parametrize(
    "content", [b"", b"garbage" * 100, b"<osm version='0.6'></osm>"]
)
def test_import_network_bad_file_writes_nothing(tmp_path, content):
    path = tmp_path / "bad.osm.pbf"
    path.write_bytes(content)
    with pytest.raises(DomainError) as exc:
        services.import_network(actor=SYSTEM, path=path)
    assert exc.value.code in {"osm_file_unreadable", "no_walkable_ways"}
    assert exc.value.message
    assert not StreetNetwork.objects.exists()


def test_import_network_bbox_without_ways_is_refused(osm_file):
    with pytest.raises(DomainError) as exc:
        services.import_network(
            actor=SYSTEM, path=osm_file, bbox=(10.0, 10.0, 10.1, 10.1)
        )
    assert exc.value.code == "no_walkable_ways" and exc.value.field == "bbox"
    assert not StreetNetwork.objects.exists()


def test_import_network_missing_file(tmp_path):
    with pytest.raises(DomainError) as exc:
        services.import_network(actor=SYSTEM, path=tmp_path / "nope.osm.pbf")
    assert exc.value.code == "osm_file_not_found"


def test_ensure_coverage_walks_the_network(street_community):
    community, west, far = street_community
    make_merchant(community, type_code="wet_market", lat=north(-10), lng=east(400))
    run = services.ensure_coverage(actor=SYSTEM, community=community)
    assert run.estimated is False and run.network is not None
    # 15 m to the street, 400 m along, 10 m to the shop.
    assert _reach(west, "wet_market").distance_m == pytest.approx(425, abs=2)
    assert _reach(far, "wet_market").distance_m == pytest.approx(1525, abs=3)
    assert _reach(west, "pharmacy").distance_m is None


def test_ensure_coverage_without_network_is_estimated():
    community = make_community()
    compound = make_compound(community, lat=LAT0, lng=east(0))
    make_merchant(community, type_code="breakfast", lat=LAT0, lng=east(500))
    run = services.ensure_coverage(actor=SYSTEM, community=community)
    assert run.estimated is True and run.network is None
    assert _reach(compound, "breakfast").distance_m == pytest.approx(650, rel=2e-3)
    assert _reach(compound, "breakfast").estimated is True


def test_ensure_coverage_recomputes_only_when_inputs_change(street_community):
    community, west, _ = street_community
    first = services.ensure_coverage(actor=SYSTEM, community=community)
    same = services.ensure_coverage(actor=SYSTEM, community=community)
    assert same.computed_at == first.computed_at
    make_merchant(community, type_code="laundry", lat=LAT0, lng=east(100))  # bulk-style
    changed = services.ensure_coverage(actor=SYSTEM, community=community)
    assert changed.fingerprint != first.fingerprint
    assert _reach(west, "laundry").distance_m == pytest.approx(115, abs=2)


def test_merchant_households_per_band_and_profile(street_community):
    community, west, far = street_community
    shop = make_merchant(
        community, type_code="wet_market", lat=north(-10), lng=east(400)
    )
    services.ensure_coverage(actor=SYSTEM, community=community)
    reach = MerchantReach.objects.get(merchant=shop)
    # West at ~425 m: 5.9 min at 1.2 m/s, 8.9 min at 0.8. East at ~1525 m: 21 min.
    assert reach.households["standard"] == [0, 300, 300]
    assert reach.households["elderly"] == [0, 300, 300]


def test_refresh_for_merchant_updates_only_its_type(
    street_community, django_capture_on_commit_callbacks
):
    community, west, far = street_community
    operator = make_operator(community)
    make_merchant(community, type_code="pharmacy", lat=LAT0, lng=east(50))
    shop = make_merchant(
        community,
        type_code="wet_market",
        lat=north(5),
        lng=east(1800),
        admission=Admission.APPLIED,
    )
    services.ensure_coverage(actor=SYSTEM, community=community)
    pharmacy_row = _reach(far, "pharmacy")
    assert _reach(far, "wet_market").distance_m is None
    with django_capture_on_commit_callbacks(execute=True):
        places_services.approve_merchant(actor=operator, merchant=shop)
    assert _reach(far, "wet_market").distance_m == pytest.approx(120, abs=3)
    # Other types were not rewritten: the same row is still there.
    assert _reach(far, "pharmacy").pk == pharmacy_row.pk
    run = CoverageRun.objects.get(community=community)
    assert run.fingerprint == services.eng.load_inputs(community).fingerprint()
    with django_capture_on_commit_callbacks(execute=True):
        places_services.suspend_merchant(actor=operator, merchant=shop, reason="检查")
    assert _reach(far, "wet_market").distance_m is None
    with django_capture_on_commit_callbacks(execute=True):
        places_services.remove_merchant(actor=operator, merchant=shop, reason="清退")
    assert not MerchantReach.objects.filter(merchant=shop).exists()


def test_refresh_for_merchant_falls_back_to_full_when_other_inputs_changed(
    street_community,
):
    community, west, far = street_community
    shop = make_merchant(community, type_code="wet_market", lat=LAT0, lng=east(1800))
    services.ensure_coverage(actor=SYSTEM, community=community)
    make_merchant(community, type_code="laundry", lat=LAT0, lng=east(50))  # no hook
    Merchant.objects.filter(pk=shop.pk).update(status=MerchantStatus.CLOSED)
    services.refresh_for_merchant(shop.pk, actor=SYSTEM)
    assert _reach(far, "wet_market").distance_m is None
    assert _reach(west, "laundry").distance_m == pytest.approx(65, abs=2)


def test_refresh_for_merchant_moved_shop(street_community):
    community, west, far = street_community
    owner_shop = make_merchant(community, type_code="repair", lat=LAT0, lng=east(100))
    services.ensure_coverage(actor=SYSTEM, community=community)
    Merchant.objects.filter(pk=owner_shop.pk).update(lng=east(1950))
    services.refresh_for_merchant(owner_shop.pk, actor=SYSTEM)
    assert _reach(far, "repair").distance_m == pytest.approx(65, abs=2)
    assert _reach(west, "repair").distance_m == pytest.approx(1965, abs=3)
    assert MerchantReach.objects.get(merchant=owner_shop).lng == pytest.approx(
        east(1950)
    )


def test_gap_report_counts_and_groupings():
    community = make_community()
    operator = make_operator(community)
    a = make_compound(community, "甲", lat=LAT0, lng=east(0), households=600)
    make_compound(community, "乙", lat=LAT0, lng=east(3000), households=400)
    for code in ("convenience_store", "breakfast", "wet_market", "repair"):
        make_merchant(community, type_code=code, lat=LAT0, lng=east(50), is_chain=True)
    make_merchant(community, type_code="cafe", lat=LAT0, lng=east(60))
    make_merchant(
        community, type_code="cafe", lat=LAT0, lng=east(60), admission=Admission.APPLIED
    )
    services.ensure_coverage(actor=SYSTEM, community=community)
    report = selectors.get_gap_report(actor=operator, community=community)
    assert report.estimated is True
    assert report.tier_counts == {"basic": 4, "quality": 1, "public": 0}
    assert report.merchants_total == 5 and report.chain_share == pytest.approx(0.8)
    groupings = {g.name: g for g in report.groupings}
    assert groupings["一店一早"].households_met == 600 and not groupings["一店一早"].met
    assert groupings["一老一小"].households_met == 0
    row_a = next(r for r in report.compounds if r.name == "甲")
    assert row_a.reach["wet_market"].band == 5
    assert "药店" in [t.name_zh for t in row_a.missing_basic]
    assert report.share_all_basic == 0
    assert a.pk == row_a.id


def test_gap_report_is_for_operators_only():
    community = make_community()
    with pytest.raises(PermissionDenied):
        selectors.get_gap_report(
            actor=make_operator(make_community()), community=community
        )


def test_elderly_profile_changes_bands(street_community):
    community, west, _ = street_community
    operator = make_operator(community)
    make_merchant(community, type_code="wet_market", lat=north(-10), lng=east(500))
    services.ensure_coverage(actor=SYSTEM, community=community)
    standard = selectors.get_gap_report(actor=operator, community=community)
    elderly = selectors.get_gap_report(
        actor=operator, community=community, profile="elderly"
    )
    row_s = next(r for r in standard.compounds if r.name == "西苑")
    row_e = next(r for r in elderly.compounds if r.name == "西苑")
    # 525 m: 7.3 min at 1.2 m/s, 10.9 min at 0.8 m/s.
    assert row_s.reach["wet_market"].band == 10
    assert row_e.reach["wet_market"].band == 15
    with pytest.raises(DomainError):
        selectors.get_gap_report(actor=operator, community=community, profile="running")


def test_suggest_sites_covers_the_gap_on_the_network(street_community):
    community, west, far = street_community
    operator = make_operator(community)
    make_merchant(community, type_code="wet_market", lat=LAT0, lng=east(0))
    services.ensure_coverage(actor=SYSTEM, community=community)
    picks = selectors.suggest_sites(
        actor=operator, community=community, type_code="wet_market"
    )
    assert len(picks) == 1
    assert picks[0].households_gained == 200 and picks[0].compounds == ["东苑"]
    # A node on the street, close to the uncovered compound.
    assert east(1200) <= picks[0].lng <= east(2000)
    what_if = selectors.simulate_shop(
        actor=operator,
        community=community,
        type_code="wet_market",
        lat=picks[0].lat,
        lng=picks[0].lng,
    )
    assert what_if.households_gained == 200
    assert [r.turns_covered for r in what_if.rows] == [False, True]


def test_suggest_sites_without_network_ranks_by_households():
    community = make_community()
    operator = make_operator(community)
    make_compound(community, "大", lat=LAT0, lng=east(0), households=900)
    make_compound(community, "小", lat=LAT0, lng=east(4000), households=100)
    picks = selectors.suggest_sites(
        actor=operator, community=community, type_code="wet_market"
    )
    assert [p.households_gained for p in picks] == [900, 100]
    assert picks[0].compounds == ["大"]


def test_simulate_shop_refuses_bad_location(street_community):
    community, _, _ = street_community
    operator = make_operator(community)
    for lat, lng, code in (
        (95.0, 0.0, "location_outside_range"),
        (LAT0 + 1, east(0), "location_too_far"),
    ):
        with pytest.raises(DomainError) as exc:
            selectors.simulate_shop(
                actor=operator,
                community=community,
                type_code="wet_market",
                lat=lat,
                lng=lng,
            )
        assert exc.value.code == code


def test_isochrones_are_geojson_per_band(street_community):
    community, _, _ = street_community
    operator = make_operator(community)
    data = selectors.get_isochrones(actor=operator, community=community)
    assert len(data["features"]) == 6
    assert {f["properties"]["minutes"] for f in data["features"]} == {5, 10, 15}
    assert data["features"][0]["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    one = selectors.get_isochrones(
        actor=operator,
        community=community,
        compound_id=data["features"][0]["properties"]["compound_id"],
    )
    assert one["features"] == data["features"][:3]
    with pytest.raises(DomainError) as exc:
        selectors.get_isochrones(actor=operator, community=community, compound_id=-1)
    assert exc.value.code == "unknown_compound"


def test_helsinki_end_to_end_with_shops(tmp_path):
    """Import Helsinki with shops, approve them, and every compound reaches a shop."""
    community = make_community(lat=60.17, lng=24.945)
    operator = make_operator(community)
    result = services.import_network(
        path=HELSINKI,
        actor=operator,
        community=community,
        import_shops=True,
    )
    assert result.network.node_count > 5000 and result.candidates_created > 500
    Merchant.objects.filter(community=community).update(admission=Admission.APPROVED)
    make_compound(community, "Kamppi", lat=60.1690, lng=24.9390, households=800)
    make_compound(community, "Kluuvi", lat=60.1710, lng=24.9470, households=500)
    services.ensure_coverage(actor=SYSTEM, community=community)
    report = selectors.get_gap_report(actor=operator, community=community)
    assert report.estimated is False
    for row in report.compounds:
        assert row.reach["restaurant"].minutes < 10  # 215 restaurants in 2 km²
        assert row.off_street_m < 100


def test_compound_far_from_any_street_is_flagged(street_community):
    community, _, _ = street_community
    operator = make_operator(community)
    make_compound(community, "山上", lat=north(700), lng=east(500), households=50)
    services.ensure_coverage(actor=SYSTEM, community=community)
    report = selectors.get_gap_report(actor=operator, community=community)
    rows = {r.name: r for r in report.compounds}
    assert rows["山上"].far_from_street is True
    assert rows["山上"].off_street_m == pytest.approx(700, abs=2)
    assert rows["西苑"].far_from_street is False


def test_walking_speed_is_configurable(street_community, settings):
    community, west, _ = street_community
    shop = make_merchant(
        community, type_code="wet_market", lat=north(-10), lng=east(400)
    )
    services.ensure_coverage(actor=SYSTEM, community=community)
    assert selectors.get_merchant_households(merchant=shop) == {5: 0, 10: 300, 15: 300}
    settings.QUARTER_WALK_SPEED_MPS = 1.5  # 425 m is 4.7 min at 1.5 m/s
    services.ensure_coverage(actor=SYSTEM, community=community)
    assert selectors.get_merchant_households(merchant=shop) == {
        5: 300,
        10: 300,
        15: 300,
    }
    operator = make_operator(community)
    report = selectors.get_gap_report(actor=operator, community=community)
    assert report.speed == 1.5
    assert (
        next(r for r in report.compounds if r.name == "西苑").reach["wet_market"].band
        == 5
    )


def test_suggest_sites_needs_compounds():
    community = make_community()
    operator = make_operator(community)
    with pytest.raises(DomainError) as exc:
        selectors.suggest_sites(
            actor=operator, community=community, type_code="wet_market"
        )
    assert exc.value.code == "no_compounds"


def test_bulk_approval_in_the_admin_recomputes_each_type_once(
    street_community, client, monkeypatch, django_capture_on_commit_callbacks
):
    """Approving 8 shops of 2 types at once: 2 type recomputes, not 8, and right."""
    community, west, far = street_community
    operator = make_operator(community)
    shops = [
        make_merchant(
            community,
            type_code=code,
            lat=north(5),
            lng=east(1000 + 100 * i),
            admission=Admission.APPLIED,
        )
        for i, code in enumerate(["wet_market", "laundry"] * 4)
    ]
    services.ensure_coverage(actor=SYSTEM, community=community)
    recomputed = []
    real_nearest_by_type = services._nearest_by_type

    def spy(inputs, engine, type_ids):
        type_ids = list(type_ids)
        recomputed.extend(type_ids)
        return real_nearest_by_type(inputs, engine, type_ids)

    monkeypatch.setattr(services, "_nearest_by_type", spy)
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/places/merchant/",
            {
                "action": "approve_merchant_action",
                "_selected_action": [s.pk for s in shops],
                "apply": "1",
                "reason": "资料齐全",
            },
        )
    assert response.status_code == 302
    assert Merchant.objects.filter(admission=Admission.APPROVED).count() == 8
    assert sorted(recomputed) == sorted({s.main_type_id for s in shops})  # one per type
    # Far compound at 1,900 m east: nearest market at 1,600 m, laundry at 1,700 m.
    assert _reach(far, "wet_market").distance_m == pytest.approx(320, abs=10)
    assert _reach(far, "laundry").distance_m == pytest.approx(220, abs=10)
    assert MerchantReach.objects.filter(merchant__in=shops).count() == 8
    run = CoverageRun.objects.get(community=community)
    assert run.fingerprint == services.eng.load_inputs(community).fingerprint()


def test_a_shop_across_the_boundary_serves_both_communities(
    street_community, django_capture_on_commit_callbacks
):
    """A pharmacy of the next community, 100 m from 东苑: it counts for 东苑 too,
    and approving it brings both communities' stored figures up to date."""
    community, west, far = street_community
    neighbour = make_community("邻里社区", slug="neighbour", lat=LAT0, lng=east(2600))
    beyond = make_compound(
        neighbour, "北苑", lat=north(15), lng=east(2000), households=80
    )
    services.ensure_coverage(actor=SYSTEM, community=community)
    services.ensure_coverage(actor=SYSTEM, community=neighbour)
    assert _reach(far, "pharmacy").distance_m is None or (
        _reach(far, "pharmacy").distance_m > 1500
    )
    shop = make_merchant(
        neighbour,
        type_code="pharmacy",
        lat=north(5),
        lng=east(1950),
        admission=Admission.APPLIED,
    )
    operator = make_operator(neighbour)
    with django_capture_on_commit_callbacks(execute=True):
        places_services.approve_merchant(actor=operator, merchant=shop)
    assert _reach(far, "pharmacy").distance_m == pytest.approx(70, abs=10)
    assert _reach(beyond, "pharmacy").distance_m is not None
    for c in (community, neighbour):
        run = CoverageRun.objects.get(community=c)
        assert run.fingerprint == services.eng.load_inputs(c).fingerprint()
    # Its household counts belong to its own community's run only.
    assert MerchantReach.objects.filter(merchant=shop).count() == 1
