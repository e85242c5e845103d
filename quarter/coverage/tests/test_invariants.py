"""Invariants: walking never beats the crow, and incremental equals full recompute."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quarter.core.actors import SYSTEM
from quarter.coverage import reach_store, services
from quarter.coverage.graph import GraphIndex, NetworkReach, StreetGraph
from quarter.coverage.models import MerchantReach
from quarter.coverage.osm import haversine_arrays, read_extract
from quarter.coverage.tests.factories import (
    LAT0,
    east,
    make_community,
    make_compound,
    make_merchant,
    north,
    write_street_osm,
)
from quarter.coverage.tests.test_osm import HELSINKI
from quarter.places.models import Admission, BusinessType, Merchant, MerchantStatus

_INDEX = {}


def _helsinki() -> GraphIndex:
    if "h" not in _INDEX:
        e = read_extract(str(HELSINKI), with_pois=False)
        graph = StreetGraph(e.node_lat, e.node_lng, e.edge_u, e.edge_v, e.edge_len)
        _INDEX["h"] = GraphIndex(graph.keep_main_components())
    return _INDEX["h"]


points = st.lists(
    st.tuples(st.floats(60.165, 60.178), st.floats(24.936, 24.952)),
    min_size=3,
    max_size=12,
)


@settings(max_examples=25, deadline=None)
@given(points)
def test_walking_is_never_shorter_than_straight_line(pts):
    """Along streets ≥ great-circle; multi-source nearest = min of the pairwise row."""
    lat = np.array([p[0] for p in pts])
    lng = np.array([p[1] for p in pts])
    reach = NetworkReach(_helsinki(), lat, lng)
    origins, facilities = np.arange(0, 2), np.arange(2, len(pts))
    pair = reach.pairwise(origins, facilities, limit=1e9)
    crow = haversine_arrays(
        lat[origins][:, None],
        lng[origins][:, None],
        lat[facilities][None, :],
        lng[facilities][None, :],
    )
    finite = np.isfinite(pair)
    assert np.all(pair[finite] >= crow[finite] * 0.999 - 0.5)
    nearest = reach.nearest(origins, facilities, limit=1e9)
    assert np.allclose(nearest, pair.min(axis=1), atol=1e-6, equal_nan=True)


@pytest.mark.django_db
def test_incremental_refresh_equals_full_recompute(tmp_path, monkeypatch):
    """After random approvals, moves, closures and removals, the incrementally kept
    rows are exactly what a recompute from scratch gives."""
    rng = random.Random(3)
    services.import_network(actor=SYSTEM, path=write_street_osm(tmp_path / "s.osm"))
    community = make_community(lat=LAT0, lng=east(1000))
    for i in range(4):
        make_compound(
            community,
            lat=north(rng.uniform(-30, 30)),
            lng=east(rng.uniform(0, 2000)),
            households=100 + i,
        )
    codes = ["wet_market", "pharmacy", "laundry"]
    shops = [
        make_merchant(
            community,
            type_code=rng.choice(codes),
            lat=north(rng.uniform(-20, 20)),
            lng=east(rng.uniform(0, 2000)),
            admission=rng.choice([Admission.APPROVED, Admission.APPLIED]),
        )
        for _ in range(6)
    ]
    services.ensure_coverage(actor=SYSTEM, community=community)
    incremental_runs = []
    original = services._do_refresh_types

    def counting(*args, **kwargs):
        incremental_runs.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "_do_refresh_types", counting)
    for _ in range(25):
        shop = rng.choice(shops)
        change = rng.choice(["admission", "move", "status", "type"])
        if change == "admission":
            value = {"admission": rng.choice(list(Admission.values))}
        elif change == "move":
            value = {"lng": east(rng.uniform(0, 2000))}
        elif change == "status":
            value = {"status": rng.choice([MerchantStatus.OPEN, MerchantStatus.CLOSED])}
        else:
            value = {
                "main_type_id": BusinessType.objects.get(code=rng.choice(codes)).pk
            }
        Merchant.objects.filter(pk=shop.pk).update(**value)
        services.refresh_for_merchant(shop.pk, actor=SYSTEM)
        incremental = _snapshot(community)
        services.refresh_community(actor=SYSTEM, community=community)
        assert _snapshot(community) == incremental
    assert len(incremental_runs) == 25  # never fell back to a full recompute


def _snapshot(community):
    reach = sorted(
        (cid, tid, None if d is None else round(d, 3))
        for (cid, tid), d in reach_store.distances_of(community).items()
    )
    merchants = sorted(
        (m.merchant_id, str(m.households), m.admission, m.status)
        for m in MerchantReach.objects.filter(merchant__community=community)
    )
    return reach, merchants
