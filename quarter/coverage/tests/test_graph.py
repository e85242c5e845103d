"""Walking distances on a street graph and the straight-line estimate."""

from __future__ import annotations

import numpy as np
import pytest

from quarter.coverage.graph import (
    GraphIndex,
    NetworkReach,
    StraightLineReach,
    StreetGraph,
)
from quarter.coverage.osm import haversine_arrays, read_extract
from quarter.coverage.tests.factories import LAT0, east, north, write_street_osm
from quarter.coverage.tests.test_osm import HELSINKI


@pytest.fixture(scope="module")
def street(tmp_path_factory):
    path = write_street_osm(tmp_path_factory.mktemp("osm") / "s.osm")
    e = read_extract(str(path), with_pois=False)
    graph = StreetGraph(e.node_lat, e.node_lng, e.edge_u, e.edge_v, e.edge_len)
    return GraphIndex(graph.keep_main_components())


def test_keep_main_components_drops_islands(street):
    assert street.graph.node_count == 31
    assert street.graph.edge_count == 30


def test_points_on_one_segment_see_each_other_directly(street):
    """Two shops 30 m apart inside one 100 m segment are 30 m apart, not via a node."""
    reach = NetworkReach(street, [LAT0, LAT0], [east(1020), east(1050)])
    assert reach.pairwise([0], [1], limit=5000)[0, 0] == pytest.approx(30, abs=0.5)


def test_snap_projects_onto_edge_and_adds_door_distance(street):
    """A point 20 m north of the street mid-segment walks 20 m to it, then along."""
    reach = NetworkReach(street, [north(20), LAT0], [east(550), east(850)])
    assert reach.off_street_m[0] == pytest.approx(20, abs=0.2)
    assert reach.pairwise([0], [1], limit=5000)[0, 0] == pytest.approx(320, abs=1)


def test_walk_follows_the_streets_around_the_corner(street):
    """From the west end to the top of the north leg: 2 km east then 1 km north."""
    reach = NetworkReach(street, [LAT0, north(1000)], [east(0), east(2000)])
    d = reach.pairwise([0], [1], limit=5000)[0, 0]
    assert d == pytest.approx(3000, rel=3e-3)
    straight = haversine_arrays(LAT0, east(0), north(1000), east(2000))
    assert d > straight * 1.3


def test_nearest_is_min_over_facilities_and_respects_limit(street):
    lat = [LAT0, LAT0, LAT0, north(900)]
    lng = [east(100), east(400), east(1500), east(2000)]
    reach = NetworkReach(street, lat, lng)
    nearest = reach.nearest([0, 3], [1, 2], limit=5000)
    assert nearest[0] == pytest.approx(300, abs=1)
    assert nearest[1] == pytest.approx(1400, abs=2)
    limited = reach.nearest([0, 3], [1, 2], limit=1000)
    assert limited[0] == pytest.approx(300, abs=1) and np.isinf(limited[1])


def test_straight_line_estimate_applies_detour():
    reach = StraightLineReach([LAT0, LAT0], [east(0), east(1000)])
    assert reach.pairwise([0], [1], limit=5000)[0, 0] == pytest.approx(1300, rel=1e-3)
    assert reach.estimated is True
    assert np.isinf(reach.nearest([0], [1], limit=1000)[0])


def test_isochrone_grows_with_the_radius(street):
    reach = NetworkReach(street, [LAT0], [east(1000)])
    small, large = reach.isochrones(0, [300, 900])
    assert 0 < small.area < large.area
    assert large.contains(__import__("shapely").Point(east(1700), LAT0))
    assert not small.contains(__import__("shapely").Point(east(1700), LAT0))


def _helsinki_reach(points: int) -> NetworkReach:
    """Helsinki's walking network with its first `points` shops as the points."""
    e = read_extract(str(HELSINKI))
    index = GraphIndex(
        StreetGraph(
            e.node_lat, e.node_lng, e.edge_u, e.edge_v, e.edge_len
        ).keep_main_components()
    )
    lat = np.array([p.lat for p in e.pois[:points]])
    lng = np.array([p.lng for p in e.pois[:points]])
    return NetworkReach(index, lat, lng)


def test_network_agrees_with_networkx_on_helsinki():
    """Multi-source scipy Dijkstra equals networkx on the same snapped graph (< 1 m)."""
    import networkx as nx

    reach = _helsinki_reach(300)
    origins, facilities = np.arange(0, 40), np.arange(40, 300, 7)
    ours = reach.nearest(origins, facilities, limit=1e9)
    m = reach.matrix.tocoo()
    g = nx.DiGraph()
    g.add_weighted_edges_from(
        zip(m.row.tolist(), m.col.tolist(), m.data.tolist(), strict=True)
    )
    theirs = nx.multi_source_dijkstra_path_length(
        g, [int(reach.door[f]) for f in facilities]
    )
    for o, d in zip(origins, ours, strict=True):
        expected = theirs.get(int(reach.door[o]), np.inf)
        assert (np.isinf(d) and np.isinf(expected)) or abs(d - expected) < 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_snapping_finds_the_nearest_street_exactly(seed):
    """Snapping agrees with shapely's own nearest line on a random street grid:
    short and very long streets, points on them, beside them and far away."""
    import shapely

    from quarter.coverage.graph import GraphIndex, StreetGraph

    rng = np.random.default_rng(seed)
    n = 300
    lat = 30.0 + rng.uniform(0, 0.03, n)  # about 3.3 km × 2.9 km
    lng = 120.0 + rng.uniform(0, 0.03, n)
    u = rng.integers(0, n, 600)
    v = (u + rng.integers(1, 4, 600)) % n  # mostly short, some across the area
    long_u, long_v = rng.integers(0, n, 20), rng.integers(0, n, 20)
    u, v = np.concatenate([u, long_u]), np.concatenate([v, long_v])
    keep = u != v
    u, v = u[keep], v[keep]
    from quarter.coverage.osm import haversine_arrays

    graph = StreetGraph(
        node_lat=lat,
        node_lng=lng,
        edge_u=u,
        edge_v=v,
        edge_len=haversine_arrays(lat[u], lng[u], lat[v], lng[v]),
    )
    index = GraphIndex(graph)
    on_street = np.unique(u)[:50]  # nodes with a street
    p_lat = np.concatenate([30.0 + rng.uniform(-0.01, 0.04, 2000), lat[on_street]])
    p_lng = np.concatenate([120.0 + rng.uniform(-0.01, 0.04, 2000), lng[on_street]])
    snap = index.snap(p_lat, p_lng)

    x, y = index.proj.xy(p_lat, p_lng)
    points = shapely.points(np.stack([x, y], axis=1))
    lines = shapely.linestrings(
        np.stack(
            [
                np.stack([index.node_x[u], index.node_y[u]], axis=1),
                np.stack([index.node_x[v], index.node_y[v]], axis=1),
            ],
            axis=1,
        )
    )
    expected = shapely.distance(lines[None, :], points[:, None]).min(axis=1)
    assert np.allclose(snap.off, expected, atol=1e-6)
    # The point found on the chosen edge is that far away, and on the edge.
    frac = snap.along / graph.edge_len[snap.edge]
    assert ((frac >= 0) & (frac <= 1 + 1e-9)).all()
    on_edge = shapely.line_interpolate_point(lines[snap.edge], frac, normalized=True)
    assert np.allclose(shapely.distance(on_edge, points), snap.off, atol=1e-6)
    assert np.allclose(snap.off[-50:], 0.0, atol=1e-6)  # the nodes themselves


def test_parallel_edges_keep_the_shortest_once():
    from quarter.coverage.graph import _dedupe_min, _unique_min_mask

    rng = np.random.default_rng(4)
    rows = rng.integers(0, 30, 2000)
    cols = rng.integers(0, 30, 2000)
    w = rng.integers(1, 5, 2000).astype(float)  # many ties
    shortest = {}
    for r, c, x in zip(rows.tolist(), cols.tolist(), w.tolist(), strict=True):
        shortest[(r, c)] = min(x, shortest.get((r, c), np.inf))
    mask = _unique_min_mask(rows, cols, w, 30)
    kept = list(zip(rows[mask].tolist(), cols[mask].tolist(), strict=True))
    assert sorted(kept) == sorted(shortest)  # every pair once
    assert all(w[mask][i] == shortest[k] for i, k in enumerate(kept))
    r2, c2, w2 = _dedupe_min(rows, cols, w, 30)
    assert {
        (a, b): x for a, b, x in zip(r2.tolist(), c2.tolist(), w2.tolist(), strict=True)
    } == shortest


@pytest.mark.parametrize("seed", [5, 6])
def test_folding_bends_keeps_every_distance_between_kept_nodes(seed):
    """Chains of two-neighbour nodes fold into single edges; walks between the
    other nodes (and the doors kept on purpose) are exactly as long."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    from quarter.coverage.graph import _fold_chains

    rng = np.random.default_rng(seed)
    n = 400
    # A ring road with long bent chains, spokes, a separate ring with no
    # crossing at all, and a few loops and parallel edges.
    u = np.arange(n - 40)
    v = (u + 1) % (n - 40)
    spokes_u = rng.integers(0, n - 40, 25)
    spokes_v = rng.integers(0, n - 40, 25)
    ring_u = np.arange(n - 40, n)
    ring_v = np.append(ring_u[1:], ring_u[0])
    rows = np.concatenate([u, spokes_u, ring_u, [7, 7]])
    cols = np.concatenate([v, spokes_v, ring_v, [7, 8]])
    w = rng.uniform(1, 50, len(rows))
    keep = rows != cols
    rows, cols, w = rows[keep], cols[keep], w[keep]
    from quarter.coverage.graph import _dedupe_min

    r, c, x = _dedupe_min(
        np.concatenate([rows, cols]), np.concatenate([cols, rows]), np.tile(w, 2), n
    )
    full = csr_matrix((x, (r, c)), shape=(n, n))
    doors = rng.choice(n - 40, 10, replace=False)
    folded, new_id = _fold_chains(full, doors)
    assert folded.shape[0] < n / 2  # most nodes were bends
    assert (new_id[doors] >= 0).all()
    kept = np.flatnonzero(new_id >= 0)
    expected = dijkstra(full, directed=True, indices=kept)[:, kept]
    got = dijkstra(folded, directed=True, indices=new_id[kept])[:, new_id[kept]]
    assert np.allclose(
        np.where(np.isinf(expected), -1, expected), np.where(np.isinf(got), -1, got)
    )


def test_dead_ends_without_a_door_are_cut_and_walks_between_doors_keep_their_length():
    """A tree of dead-end streets with no door on it never carries a walk
    between two doors: the search graph drops it (and the crossing it hung
    from folds into a bend), every distance between doors stays exact."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    from quarter.coverage.graph import _between_doors, _dedupe_min, _SearchGraph

    rng = np.random.default_rng(11)
    # A grid of 12 × 12 crossings, then dead-end trees grown off random
    # crossings (a branch of a branch too); doors hang off some crossings and
    # off the tip of a few dead ends, which must stay.
    side = 12
    grid = np.arange(side * side).reshape(side, side)
    rows = [grid[:, :-1].ravel(), grid[:-1, :].ravel()]
    cols = [grid[:, 1:].ravel(), grid[1:, :].ravel()]
    n = side * side
    tips = []
    for _ in range(40):
        parent = int(rng.integers(0, n))
        for _depth in range(int(rng.integers(1, 4))):
            rows.append(np.array([parent]))
            cols.append(np.array([n]))
            parent, n = n, n + 1
        tips.append(parent)
    doors = np.concatenate(
        [rng.choice(side * side, 15, replace=False), np.array(tips[:5])]
    )
    door_nodes = np.arange(n, n + len(doors))
    rows.append(doors)
    cols.append(door_nodes)
    n += len(doors)
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    w = rng.uniform(5, 60, len(rows))
    r, c, x = _dedupe_min(
        np.concatenate([rows, cols]), np.concatenate([cols, rows]), np.tile(w, 2), n
    )
    full = csr_matrix((x, (r, c)), shape=(n, n))

    alive = _between_doors(full, door_nodes)
    assert alive[door_nodes].all() and alive[tips[:5]].all()
    cut = ~alive
    assert cut.sum() >= 35  # the other dead ends are gone
    assert not cut[: side * side].any()  # the grid's crossings all stay

    search = _SearchGraph(full, door_nodes, rng.uniform(0, 1, n), rng.uniform(0, 1, n))
    expected = dijkstra(full, directed=True, indices=door_nodes)[:, door_nodes]
    got = dijkstra(search.matrix, directed=True, indices=search.door)[:, search.door]
    assert np.allclose(expected, got)
    assert search.matrix.shape[0] < alive.sum()  # and the bends folded away


def test_targets_folded_into_the_streets_keep_their_exact_walks_on_helsinki():
    """Searches to points that are only ever targets (compounds) run on a
    graph without their doors and projections; every walk to them, and
    every household sum within a radius, equals a plain Dijkstra on the
    whole split graph. A point that is both a source and a target stays."""
    from scipy.sparse.csgraph import dijkstra

    reach = _helsinki_reach(400)
    sources, targets = np.arange(0, 60), np.arange(50, 400)  # 50..59 are both
    limit = 900.0
    full = dijkstra(reach.matrix, directed=True, indices=reach.door[sources])
    expected = full[:, reach.door[targets]]
    expected[expected > limit] = np.inf

    folded = reach.search_to(targets, sources)
    assert reach.search_to(targets, sources) is folded  # built once, then kept
    assert folded.matrix.shape[0] < reach.search.matrix.shape[0]
    assert (folded.door[sources] >= 0).all() and (folded.door[60:] == -1).all()
    got = reach.pairwise(sources, targets, limit=limit)
    assert np.array_equal(np.isinf(got), np.isinf(expected))
    assert np.allclose(got[np.isfinite(got)], expected[np.isfinite(expected)])
    assert np.isfinite(got).sum() > 500  # many walks within the limit

    nearest = reach.nearest(targets, sources, limit=limit)
    assert np.allclose(
        np.where(np.isinf(nearest), -1, nearest),
        np.where(np.isinf(expected.min(axis=0)), -1, expected.min(axis=0)),
    )

    households = np.arange(len(targets)) % 7 + 1.0
    radii = np.array([300.0, 600.0, limit])
    sums = reach.weight_within(sources, targets, households, radii)
    want = np.stack([(expected <= r) @ households for r in radii], axis=1)
    assert np.array_equal(sums, want)
