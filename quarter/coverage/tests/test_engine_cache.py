"""Engine cache: a second process reuses the network index and snaps from disk;
the stored arrays hold what the engine computes."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

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
from quarter.places.models import Compound

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

    def init(self, g, derived=None, **options):
        counts["index"] += derived is None
        real_init(self, g, derived, **options)

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


# --- a community's compounds, kept in memory until they change -----------------


def _households(community) -> dict[str, int]:
    return {c["name"]: c["households"] for c in eng.load_inputs(community).compounds}


def _edit_one(community):
    west = community.compounds.get(name="西苑")
    west.households = 310
    west.save()


def _update_all(community):
    Compound.objects.filter(community=community).update(households=50)


def _bulk_update(community):
    east = community.compounds.get(name="东苑")
    east.households = 260
    Compound.objects.bulk_update([east], ["households"])


def _delete_one(community):
    community.compounds.filter(name="东苑").delete()


def _bulk_create(community):
    Compound.objects.bulk_create(
        [
            Compound(
                community=community,
                name="南苑",
                lat=north(-15),
                lng=east(800),
                households=90,
                population=200,
            )
        ]
    )


@pytest.mark.parametrize(
    ("write", "after"),
    [
        (_edit_one, {"西苑": 310, "东苑": 200}),
        (_update_all, {"西苑": 50, "东苑": 50}),
        (_bulk_update, {"西苑": 300, "东苑": 260}),
        (_delete_one, {"西苑": 300}),
        (_bulk_create, {"西苑": 300, "东苑": 200, "南苑": 90}),
    ],
    ids=["save", "update", "bulk_update", "delete", "bulk_create"],
)
def test_every_kind_of_compound_write_reaches_the_next_computation(
    community, write, after
):
    operator = make_operator(community)
    services.ensure_coverage(actor=operator, community=community)
    assert _households(community) == {"西苑": 300, "东苑": 200}

    write(community)

    assert _households(community) == after
    _, stale = services.coverage_for_page(actor=operator, community=community)
    assert stale, "the page must say the figures predate the edit"
    run = services.ensure_coverage(actor=operator, community=community)
    assert run.fingerprint == eng.load_inputs(community).fingerprint()


def test_a_compound_moved_to_another_community_leaves_the_first(community):
    other = make_community(name="临江社区", lat=LAT0, lng=east(1000))
    make_compound(other, "江苑", lat=north(15), lng=east(900), households=70)
    assert _households(community) == {"西苑": 300, "东苑": 200}
    assert _households(other) == {"江苑": 70}

    moved = community.compounds.get(name="东苑")
    moved.community = other
    moved.save()

    assert _households(community) == {"西苑": 300}
    assert _households(other) == {"江苑": 70, "东苑": 200}


def test_an_edit_rolled_back_is_not_remembered(community):
    class Undo(Exception):
        pass

    assert _households(community)["西苑"] == 300
    with pytest.raises(Undo), transaction.atomic():
        _edit_one(community)
        assert _households(community)["西苑"] == 310
        raise Undo
    assert _households(community)["西苑"] == 300


def test_unchanged_compounds_are_read_from_the_database_once(community):
    first = eng.load_inputs(community)
    with CaptureQueriesContext(connection) as queries:
        again = eng.load_inputs(community)
    read = [q["sql"] for q in queries if '"places_compound"' in q["sql"]]
    assert read == []
    assert again.compounds == first.compounds
    assert again.fingerprint() == first.fingerprint()
    assert again.compounds_digest() == eng.digest_of(
        list(
            Compound.objects.filter(community=community)
            .order_by("id")
            .values("id", "lat", "lng", "households")
        )
    )
