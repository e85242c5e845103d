"""Engine cache: a second process reuses the network index and snaps from disk;
the stored arrays hold what the engine computes."""

from __future__ import annotations

import numpy as np
import pytest

from quarter.core.actors import SYSTEM
from quarter.coverage import engine as eng
from quarter.coverage import engine_cache, graph, reach_store, selectors, services
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

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache(tmp_path, settings):
    settings.QUARTER_ENGINE_CACHE_DIR = str(tmp_path / "engine-cache")
    eng.forget_process_caches()
    yield tmp_path / "engine-cache"
    eng.forget_process_caches()


@pytest.fixture
def community(tmp_path, cache):
    services.import_network(
        actor=SYSTEM, path=write_street_osm(tmp_path / "s.osm"), name="测试路网"
    )
    c = make_community(lat=LAT0, lng=east(1000))
    make_compound(c, "西苑", lat=north(15), lng=east(0), households=300)
    make_compound(c, "东苑", lat=north(15), lng=east(1900), households=200)
    make_merchant(c, type_code="pharmacy", lat=north(5), lng=east(400))
    return c


def _count_builds(monkeypatch):
    """Count full index builds and snaps (the slow parts a cache avoids)."""
    counts = {"index": 0, "snap": 0}
    real_init, real_snap = graph.GraphIndex.__init__, graph.GraphIndex.snap

    def init(self, g, derived=None):
        counts["index"] += derived is None
        real_init(self, g, derived)

    def snap(self, lat, lng):
        counts["snap"] += 1
        return real_snap(self, lat, lng)

    monkeypatch.setattr(graph.GraphIndex, "__init__", init)
    monkeypatch.setattr(graph.GraphIndex, "snap", snap)
    return counts


def test_a_second_process_reads_the_index_and_snaps_from_the_cache(
    community, cache, monkeypatch
):
    counts = _count_builds(monkeypatch)
    services.refresh_community(actor=SYSTEM, community=community)
    first = reach_store.distances_of(community)
    assert counts == {"index": 1, "snap": 1}
    assert any(p.name == "index" for p in cache.glob("*/*"))

    eng.forget_process_caches()  # as a new process starts
    services.refresh_community(actor=SYSTEM, community=community)
    assert counts == {"index": 1, "snap": 1}  # nothing rebuilt
    again = reach_store.distances_of(community)
    assert again == first


def test_a_moved_point_is_snapped_again_and_a_new_network_is_a_new_key(
    community, cache, monkeypatch, tmp_path
):
    counts = _count_builds(monkeypatch)
    services.refresh_community(actor=SYSTEM, community=community)
    shop = community.merchants.get()
    shop.lng = east(600)
    shop.save(update_fields=["lng"])
    services.refresh_community(actor=SYSTEM, community=community)
    assert counts["snap"] == 2
    west = community.compounds.get(name="西苑")
    pharmacy = reach_store.distance(west, "pharmacy")
    assert pharmacy == pytest.approx(600 + 15 + 5, abs=3)
    keys = {p.name for p in cache.iterdir()}
    assert len(keys) == 1
    # A different graph hashes to a different directory.
    index = eng.graph_index(eng.load_inputs(community).network)
    other = graph.StreetGraph(
        node_lat=index.graph.node_lat[:2],
        node_lng=index.graph.node_lng[:2],
        edge_u=np.array([0], np.int32),
        edge_v=np.array([1], np.int32),
        edge_len=np.array([100.0]),
    )
    _, other_key = engine_cache.load_index(other.to_npz_bytes())
    assert other_key not in keys


def test_stored_figures_match_a_fresh_computation(community, cache):
    """The bulk writer stores what the engine computes, rounded to 0.1 m,
    None beyond the cap."""
    services.refresh_community(actor=SYSTEM, community=community)
    inputs = eng.load_inputs(community)
    engine = eng.build_engine(inputs)
    origins = np.arange(inputs.n_compounds)
    stored = reach_store.distances_of(community)
    for (compound_id, type_id), metres in stored.items():
        dist = engine.nearest(
            origins, inputs.facility_points(type_id), limit=eng.cap_m()
        )[[c["id"] for c in inputs.compounds].index(compound_id)]
        expected = float(np.round(dist, 1)) if np.isfinite(dist) else None
        assert metres == expected
    assert len(stored) == 2 * len(
        selectors.get_gap_report(
            actor=make_operator(community), community=community
        ).type_counts
    )
