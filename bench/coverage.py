"""Walking coverage at city scale: every building to the nearest shop of every type.

    .venv/bin/python bench/coverage.py [--pbf PATH] [--sample 60] [--cap 1500]

On Malta (../shared/data/cities/malta/malta-latest.osm.pbf) it

1. imports the walking network and the shops/amenities (osmium), maps the shops
   onto our business types (quarter/places/data/business_types.json) and takes
   every building centroid as an origin (a household);
2. computes the walking metres from every origin to the nearest facility of
   every type the way Quarter does: points snapped onto their nearest edge, one
   multi-source `scipy.sparse.csgraph.dijkstra(min_only=True, limit=cap)` per
   type (quarter/coverage/graph.py);
3. baseline: networkx single-source Dijkstra (cutoff=cap) from a random sample
   of origins on the same snapped graph, scaled to all origins; the answers
   must agree within 1 m;
4. peer: pandana's `nearest_pois` if pandana is installed. Pandana maps points
   to their nearest *node*, so the check runs our engine on that node-snapped
   problem too; answers must agree within 1 m.

Last line: RESULT origins=… types=… seconds=… vs_networkx=…x vs_pandana=…x
(seconds is Quarter's edge-snapped computation; a ratio is the peer's time for
the same answers divided by ours; pandana's precompute is reported apart and
not counted against it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quarter.coverage.graph import GraphIndex, NetworkReach, StreetGraph  # noqa: E402
from quarter.coverage.osm import build_tag_map, classify_poi, read_extract  # noqa: E402

DEFAULT_PBF = (
    ROOT.parent / "shared" / "data" / "cities" / "malta" / "malta-latest.osm.pbf"
)
CATALOGUE = ROOT / "quarter" / "places" / "data" / "business_types.json"
TOLERANCE_M = 1.0


def _load(pbf: Path):
    started = time.perf_counter()
    extract = read_extract(str(pbf), with_pois=True, with_buildings=True)
    graph = StreetGraph(
        extract.node_lat,
        extract.node_lng,
        extract.edge_u,
        extract.edge_v,
        extract.edge_len,
    ).keep_main_components()
    catalogue = json.loads(CATALOGUE.read_text(encoding="utf-8"))["types"]
    tag_map = build_tag_map((t["code"], t["osm"]) for t in catalogue)
    by_type: dict[str, list[tuple[float, float]]] = {}
    for poi in extract.pois:
        code = classify_poi(poi.tags, tag_map)
        if code is not None:
            by_type.setdefault(code, []).append((poi.lat, poi.lng))
    origins = np.array(extract.buildings, dtype=np.float64)
    print(
        f"import: {time.perf_counter() - started:.2f} s — network "
        f"{graph.node_count:,} nodes / {graph.edge_count:,} edges, "
        f"{len(extract.pois):,} shops+amenities, {sum(map(len, by_type.values())):,} "
        f"mapped onto {len(by_type)} types, {len(origins):,} buildings"
    )
    return graph, by_type, origins


def _points(origins, by_type):
    lat = [origins[:, 0]]
    lng = [origins[:, 1]]
    ranges, start = {}, len(origins)
    for code, pts in sorted(by_type.items()):
        arr = np.array(pts)
        lat.append(arr[:, 0])
        lng.append(arr[:, 1])
        ranges[code] = np.arange(start, start + len(arr))
        start += len(arr)
    return np.concatenate(lat), np.concatenate(lng), ranges


def run_quarter(graph, origins, by_type, cap):
    """Quarter's computation: snap onto edges, one multi-source search per type.

    The spatial index of the network is built once per network and cached by
    the app (like pandana's precompute), so it is timed apart.
    """
    started = time.perf_counter()
    index = GraphIndex(graph)
    index_seconds = time.perf_counter() - started
    started = time.perf_counter()
    lat, lng, ranges = _points(origins, by_type)
    reach = NetworkReach(index, lat, lng)
    snap_seconds = time.perf_counter() - started
    origin_idx = np.arange(len(origins))
    answers = {
        code: reach.nearest(origin_idx, idx, limit=cap) for code, idx in ranges.items()
    }
    seconds = time.perf_counter() - started
    print(
        f"quarter: spatial index {index_seconds:.3f} s (once per network, cached); "
        f"snap + graph {snap_seconds:.3f} s; searches {seconds - snap_seconds:.3f} s"
    )
    return seconds, answers, reach, ranges


def run_networkx(reach, ranges, n_origins, sample, cap, rng):
    """Baseline: one networkx single-source Dijkstra per sampled origin."""
    import networkx as nx

    m = reach.matrix.tocoo()
    g = nx.DiGraph()
    g.add_weighted_edges_from(
        zip(m.row.tolist(), m.col.tolist(), m.data.tolist(), strict=True)
    )
    door_to_type = {}
    for code, idx in ranges.items():
        for door in reach.door[idx]:
            door_to_type.setdefault(int(door), []).append(code)
    picked = rng.choice(n_origins, size=min(sample, n_origins), replace=False)
    started = time.perf_counter()
    results = {}
    for o in picked:
        dist = nx.single_source_dijkstra_path_length(g, int(reach.door[o]), cutoff=cap)
        best = {}
        for node, d in dist.items():
            for code in door_to_type.get(node, ()):
                if d < best.get(code, np.inf):
                    best[code] = d
        results[int(o)] = best
    elapsed = time.perf_counter() - started
    return elapsed * n_origins / len(picked), results


def check_networkx(answers, results) -> float:
    worst = 0.0
    for o, best in results.items():
        for code, column in answers.items():
            ours, theirs = float(column[o]), best.get(code, np.inf)
            if np.isinf(ours) and np.isinf(theirs):
                continue
            if np.isinf(ours) or np.isinf(theirs):
                return np.inf
            worst = max(worst, abs(ours - theirs))
    return worst


def run_pandana(graph, origins, by_type, cap, quarter_seconds):
    """Pandana nearest_pois against Quarter's engine on the node-snapped problem."""
    try:
        import pandana
        import pandas as pd
    except ImportError as exc:
        print(
            f"pandana: not installed ({exc}); "
            "try `.venv/bin/uv pip install --python .venv/bin/python pandana`"
        )
        return None
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    g = graph
    nodes = pd.DataFrame({"x": g.node_lng, "y": g.node_lat})
    edges = pd.DataFrame(
        {
            "from": g.edge_u.astype(np.int64),
            "to": g.edge_v.astype(np.int64),
            "length": g.edge_len.astype(np.float64),
        }
    )
    started = time.perf_counter()
    net = pandana.Network(
        nodes["x"],
        nodes["y"],
        edges["from"],
        edges["to"],
        edges[["length"]],
        twoway=True,
    )
    net.precompute(cap + 1)
    precompute = time.perf_counter() - started
    origin_nodes = net.get_node_ids(pd.Series(origins[:, 1]), pd.Series(origins[:, 0]))
    started = time.perf_counter()
    theirs = {}
    for code, pts in sorted(by_type.items()):
        arr = np.array(pts)
        net.set_pois(
            category=code,
            maxdist=cap,
            maxitems=1,
            x_col=pd.Series(arr[:, 1]),
            y_col=pd.Series(arr[:, 0]),
        )
        nearest = net.nearest_pois(cap, code, num_pois=1)
        theirs[code] = nearest[1].reindex(origin_nodes.values).to_numpy()
    pandana_seconds = time.perf_counter() - started
    # The same node-snapped problem with Quarter's engine (pandana's node mapping).
    started = time.perf_counter()
    n = g.node_count
    rows = np.concatenate([g.edge_u, g.edge_v])
    cols = np.concatenate([g.edge_v, g.edge_u])
    w = np.concatenate([g.edge_len, g.edge_len]).astype(np.float64)
    from quarter.coverage.graph import _dedupe_min

    rows, cols, w = _dedupe_min(rows.astype(np.int64), cols.astype(np.int64), w, n)
    matrix = csr_matrix((np.maximum(w, 1e-3), (rows, cols)), shape=(n, n))
    ours = {}
    for code, pts in sorted(by_type.items()):
        arr = np.array(pts)
        fac = net.get_node_ids(pd.Series(arr[:, 1]), pd.Series(arr[:, 0])).to_numpy()
        dist = dijkstra(
            matrix, directed=True, indices=np.unique(fac), min_only=True, limit=cap
        )
        ours[code] = dist[origin_nodes.to_numpy()]
    node_seconds = time.perf_counter() - started
    worst = 0.0
    for code in ours:
        a = ours[code]
        b = np.where(theirs[code] >= cap, np.inf, theirs[code])
        both = np.isfinite(a) & np.isfinite(b)
        mismatch = np.isfinite(a) != np.isfinite(b)
        # Right at the cap the two may differ on which side of it a path falls.
        mismatch &= ~(np.abs(np.where(np.isfinite(a), a, b) - cap) < TOLERANCE_M)
        if mismatch.any():
            worst = np.inf
        if both.any():
            worst = max(worst, float(np.abs(a[both] - b[both]).max()))
    print(
        f"pandana: precompute {precompute:.2f} s (not counted), set_pois+nearest_pois "
        f"{pandana_seconds:.2f} s; Quarter on the same node-snapped problem "
        f"{node_seconds:.3f} s; max difference {worst:.4f} m"
    )
    if not worst <= TOLERANCE_M:
        raise SystemExit(f"pandana and Quarter disagree by {worst} m")
    return pandana_seconds / quarter_seconds, pandana_seconds / node_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbf", type=Path, default=DEFAULT_PBF)
    parser.add_argument("--sample", type=int, default=60, help="networkx origins")
    parser.add_argument("--cap", type=float, default=1500.0, help="metres")
    args = parser.parse_args()
    if not args.pbf.is_file():
        raise SystemExit(f"no extract at {args.pbf}")
    rng = np.random.default_rng(7)
    graph, by_type, origins = _load(args.pbf)

    run_quarter(graph, origins[:50], by_type, args.cap)  # warm imports and caches
    seconds, answers, reach, ranges = run_quarter(graph, origins, by_type, args.cap)
    reached = np.mean([np.isfinite(d).mean() for d in answers.values()])
    print(
        f"quarter: {len(origins):,} origins × {len(answers)} types in {seconds:.3f} s "
        f"(snap onto edges + graph + {len(answers)} multi-source searches, cap "
        f"{args.cap:.0f} m); {reached:.0%} of origin/type pairs within the cap"
    )

    nx_seconds, nx_results = run_networkx(
        reach, ranges, len(origins), args.sample, args.cap, rng
    )
    worst = check_networkx(answers, nx_results)
    print(
        f"networkx: single-source Dijkstra from {len(nx_results)} sampled origins, "
        f"scaled to all: {nx_seconds:.1f} s; max difference {worst:.6f} m"
    )
    if not worst <= TOLERANCE_M:
        raise SystemExit(f"networkx and Quarter disagree by {worst} m")

    pandana = run_pandana(graph, origins, by_type, args.cap, seconds)
    vs_pandana = "n/a" if pandana is None else f"{pandana[0]:.1f}"
    if pandana is not None:
        print(f"pandana vs Quarter on its own node-snapped problem: {pandana[1]:.1f}x")
    print(
        f"RESULT origins={len(origins)} types={len(answers)} seconds={seconds:.3f} "
        f"vs_networkx={nx_seconds / seconds:.1f}x vs_pandana={vs_pandana}x"
    )


if __name__ == "__main__":
    main()
