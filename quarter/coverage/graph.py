"""Walking distances: on a street graph, or straight-line × detour when there is none.

Both engines answer the same questions over a fixed list of points (compounds,
merchants, a proposed site), so the services never ask which one they hold:

* `nearest(origins, facilities)`   walking metres from each origin to its nearest
  facility: on the graph one multi-source Dijkstra (`min_only=True`), the shape
  DESIGN.md measured at 0.05 s for all of Malta;
* `pairwise(sources, targets)`     a (S, T) matrix of metres;
* `to_candidates(sources)`         metres from each source to every candidate site
  (network nodes, or a grid without a network);
* `isochrones(source, radii)`      polygons of what a source reaches.

Points are snapped onto the nearest *edge*: the point is projected onto the
segment, the segment is split there and a "door" edge of the perpendicular
distance joins the point to the street. Several points on one segment are
chained in order along it, so two shops on the same street see each other at
their true distance. Distances beyond `limit` are `inf`.
"""

from __future__ import annotations

import hashlib
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from quarter.coverage.osm import haversine_arrays
from quarter.coverage.parallel import default_helpers, serial

DETOUR_FACTOR = 1.3
_EPS_M = 1e-3  # csgraph reads a zero weight as "no edge": keep every weight positive
_CHUNK = 64  # sources per Dijkstra call, to bound the (S, N) matrix in memory
_SEARCHES_KEPT = 3  # search graphs per NetworkReach, by their set of targets
_BAND_CHUNK = 16  # shops per local search: fewer, closer shops, a smaller neighbourhood
# Searches on a smaller search graph take less time than sending it to a helper.
_SPREAD_MIN_NODES = 5_000
METERS_PER_DEG_LAT = math.pi * 6_371_008.8 / 180


@dataclass
class StreetGraph:
    """An undirected walking graph: nodes in WGS-84, edges with lengths in metres."""

    node_lat: np.ndarray
    node_lng: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_len: np.ndarray
    # For the street map only (quarter.maps): per edge, its way's name as an
    # index into `names` (-1 unnamed) and its rank (osm.STREET_RANKS). None for
    # networks imported before they were kept.
    edge_name: np.ndarray | None = None
    edge_rank: np.ndarray | None = None
    names: np.ndarray | None = None

    @property
    def node_count(self) -> int:
        return int(len(self.node_lat))

    @property
    def edge_count(self) -> int:
        return int(len(self.edge_u))

    def keep_main_components(self, *, min_nodes: int = 100) -> StreetGraph:
        """Drop fragments smaller than `min_nodes` (or than the largest, if smaller).

        Islands of a few nodes (a courtyard path, a mapped stair) would trap a
        compound snapped onto them; real separate networks (Malta and Gozo) stay.
        """
        n = self.node_count
        if n == 0:
            return self
        adj = csr_matrix(
            (np.ones(len(self.edge_u)), (self.edge_u, self.edge_v)), shape=(n, n)
        )
        count, labels = connected_components(adj, directed=False)
        sizes = np.bincount(labels, minlength=count)
        keep_label = sizes >= min(min_nodes, int(sizes.max()))
        keep_node = keep_label[labels]
        new_index = np.full(n, -1, dtype=np.int64)
        new_index[keep_node] = np.arange(int(keep_node.sum()))
        keep_edge = keep_node[self.edge_u]
        return StreetGraph(
            node_lat=self.node_lat[keep_node],
            node_lng=self.node_lng[keep_node],
            edge_u=new_index[self.edge_u[keep_edge]].astype(np.int32),
            edge_v=new_index[self.edge_v[keep_edge]].astype(np.int32),
            edge_len=self.edge_len[keep_edge],
            edge_name=None if self.edge_name is None else self.edge_name[keep_edge],
            edge_rank=None if self.edge_rank is None else self.edge_rank[keep_edge],
            names=self.names,
        )

    def to_npz_bytes(self) -> bytes:
        import io

        buffer = io.BytesIO()
        labels = {}
        if self.edge_name is not None and self.edge_rank is not None:
            labels = {
                "edge_name": self.edge_name,
                "edge_rank": self.edge_rank,
                "names": np.asarray(
                    [] if self.names is None else list(self.names), dtype=str
                ),
            }
        np.savez_compressed(
            buffer,
            node_lat=self.node_lat,
            node_lng=self.node_lng,
            edge_u=self.edge_u,
            edge_v=self.edge_v,
            edge_len=self.edge_len,
            **labels,
        )
        return buffer.getvalue()

    @classmethod
    def from_npz_bytes(cls, data: bytes) -> StreetGraph:
        import io

        with np.load(io.BytesIO(bytes(data))) as z:
            return cls(
                node_lat=z["node_lat"],
                node_lng=z["node_lng"],
                edge_u=z["edge_u"],
                edge_v=z["edge_v"],
                edge_len=z["edge_len"],
                edge_name=z["edge_name"] if "edge_name" in z.files else None,
                edge_rank=z["edge_rank"] if "edge_rank" in z.files else None,
                names=z["names"] if "names" in z.files else None,
            )

    def edge_street(self, edge: int) -> str:
        """The name of the street edge `edge` belongs to, '' if unnamed or unknown."""
        if self.edge_name is None or not 0 <= edge < len(self.edge_name):
            return ""
        code = int(self.edge_name[edge])
        names = () if self.names is None else self.names
        return str(names[code]) if 0 <= code < len(names) else ""


class _Projection:
    """Equirectangular metres around a reference latitude: exact enough for a city."""

    def __init__(self, lat0: float, lng0: float) -> None:
        self.lat0, self.lng0 = lat0, lng0
        self.kx = METERS_PER_DEG_LAT * math.cos(math.radians(lat0))
        self.ky = METERS_PER_DEG_LAT

    def xy(self, lat, lng):
        return (np.asarray(lng) - self.lng0) * self.kx, (
            np.asarray(lat) - self.lat0
        ) * self.ky

    def latlng(self, x, y):
        return np.asarray(y) / self.ky + self.lat0, np.asarray(x) / self.kx + self.lng0


@dataclass
class Snap:
    """Where points meet the street: edge, metres along it from u, metres off it."""

    edge: np.ndarray
    along: np.ndarray
    off: np.ndarray


_BESIDE: ThreadPoolExecutor | None = None


def _beside() -> ThreadPoolExecutor:
    """One thread for work done beside a computation (started on first use)."""
    global _BESIDE
    if _BESIDE is None:
        _BESIDE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="quarter-beside")
    return _BESIDE


def _query_workers() -> int:
    """Threads for a k-d tree query: this process's cores, at most four
    (the same cores a recompute shares its searches with)."""
    return default_helpers() + 1


class GraphIndex:
    """A street graph with its spatial index, built once per network and cached.

    `arrays()` returns every derived array; `from_arrays` rebuilds the index
    from them (memory-mapped from the engine cache, see engine_cache.py)
    without recomputing the projection or the deduplicated base graph.
    """

    ARRAY_NAMES = (
        "node_x",
        "node_y",
        "base_rows",
        "base_cols",
        "base_w",
        "base_unique",
    )

    def __init__(
        self,
        graph: StreetGraph,
        derived: dict | None = None,
        *,
        segments_beside: bool = False,
    ) -> None:
        """`segments_beside`: build the snapping tree (`segments`) in a
        thread while this one derives the base graph; both are numpy and
        scipy work that lets go of the GIL, so a second core shares them
        (the index of a network not yet in the engine cache, which is about
        to snap points)."""
        self.graph = graph
        g = graph
        self.proj = _Projection(
            float(np.median(g.node_lat)), float(np.median(g.node_lng))
        )
        self._lines = None
        self._tree = None
        self._segments = None
        self._segments_future = None
        if derived is not None:
            for name in self.ARRAY_NAMES:
                setattr(self, name, derived[name])
        else:
            self.node_x, self.node_y = self.proj.xy(g.node_lat, g.node_lng)
            if segments_beside:
                self._segments_future = _beside().submit(_Segments, self)
            # Base graph, both directions, parallel edges reduced to the shortest.
            self.base_rows = np.concatenate([g.edge_u, g.edge_v]).astype(np.int64)
            self.base_cols = np.concatenate([g.edge_v, g.edge_u]).astype(np.int64)
            self.base_w = np.concatenate([g.edge_len, g.edge_len]).astype(np.float64)
            # Parallel edges: keep only the shortest, once, since csr_matrix would
            # add them up. Split edges never duplicate each other (they join new
            # nodes).
            self.base_unique = _unique_min_mask(
                self.base_rows, self.base_cols, self.base_w, g.node_count
            )

    @classmethod
    def from_arrays(cls, arrays: dict) -> GraphIndex:
        graph = StreetGraph(
            node_lat=arrays["node_lat"],
            node_lng=arrays["node_lng"],
            edge_u=arrays["edge_u"],
            edge_v=arrays["edge_v"],
            edge_len=arrays["edge_len"],
            # Street names and ranks, where the network kept them.
            edge_name=arrays.get("edge_name"),
            edge_rank=arrays.get("edge_rank"),
            names=arrays.get("names"),
        )
        return cls(graph, derived=arrays)

    def arrays(self) -> dict[str, np.ndarray]:
        g = self.graph
        out = {
            "node_lat": g.node_lat,
            "node_lng": g.node_lng,
            "edge_u": g.edge_u,
            "edge_v": g.edge_v,
            "edge_len": g.edge_len,
        }
        for name in ("edge_name", "edge_rank"):
            if getattr(g, name) is not None:
                out[name] = getattr(g, name)
        if g.names is not None:
            out["names"] = np.asarray(list(g.names), dtype=str)
        out.update({name: getattr(self, name) for name in self.ARRAY_NAMES})
        return out

    @property
    def lines(self):
        """The edges as shapely lines in projected metres (built on first use)."""
        if self._lines is None:
            import shapely

            g = self.graph
            coords = np.stack(
                [
                    np.stack([self.node_x[g.edge_u], self.node_y[g.edge_u]], axis=1),
                    np.stack([self.node_x[g.edge_v], self.node_y[g.edge_v]], axis=1),
                ],
                axis=1,
            )
            self._lines = shapely.linestrings(coords)
        return self._lines

    @property
    def tree(self):
        if self._tree is None:
            import shapely

            self._tree = shapely.STRtree(self.lines)
        return self._tree

    @property
    def segments(self) -> _Segments:
        """The edges cut into short pieces in a k-d tree (built on first use)."""
        if self._segments is None:
            future = self._segments_future
            self._segments = future.result() if future else _Segments(self)
        return self._segments

    def snap(self, lat: np.ndarray, lng: np.ndarray) -> Snap:
        """Project each point onto its nearest edge (exactly; ties: any of them)."""
        x, y = self.proj.xy(np.asarray(lat, np.float64), np.asarray(lng, np.float64))
        edge, t, off = self.segments.nearest(np.atleast_1d(x), np.atleast_1d(y))
        along = t * self.graph.edge_len[edge].astype(np.float64)
        return Snap(edge=edge, along=along, off=off)

    def nearest_street(self, lat: float, lng: float, *, within_m: float = 400.0) -> str:
        """The name of the nearest named street within `within_m` of a point, or ''."""
        import shapely

        g = self.graph
        if g.edge_name is None or g.names is None or not len(g.names):
            return ""
        x, y = self.proj.xy(lat, lng)
        point = shapely.points(float(x), float(y))
        edges = self.tree.query(shapely.buffer(point, within_m))
        edges = edges[g.edge_name[edges] >= 0]
        if not len(edges):
            return ""
        dist = shapely.distance(self.lines[edges], point)
        return g.edge_street(int(edges[int(np.argmin(dist))]))

    def nodes_in_box(self, lat_min, lng_min, lat_max, lng_max) -> np.ndarray:
        g = self.graph
        mask = (
            (g.node_lat >= lat_min)
            & (g.node_lat <= lat_max)
            & (g.node_lng >= lng_min)
            & (g.node_lng <= lng_max)
        )
        return np.flatnonzero(mask)


def _spatial_chunks(x, y, size: int = _CHUNK):
    """Indices of the points in chunks of `size`, neighbours together (Z-order)."""
    cell = 200.0
    gx = ((x - x.min()) // cell).astype(np.int64) & 0xFFFF
    gy = ((y - y.min()) // cell).astype(np.int64) & 0xFFFF
    key = np.zeros(len(x), dtype=np.int64)
    for bit in range(16):
        key |= ((gx >> bit) & 1) << (2 * bit)
        key |= ((gy >> bit) & 1) << (2 * bit + 1)
    order = np.argsort(key, kind="stable")
    return [order[i : i + size] for i in range(0, len(order), size)]


def _groups(rows, cols, n):
    """Order the (row, col) pairs by pair; return (order, start of each pair's run).

    One integer argsort instead of a two-key lexsort (several times faster).
    """
    key = rows * n + cols
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    return order, np.flatnonzero(first)


def _unique_min_mask(rows, cols, w, n) -> np.ndarray:
    """Mark, for each (row, col) pair, the entry with the smallest weight."""
    mask = np.zeros(len(rows), dtype=bool)
    if not len(rows):
        return mask
    order, starts = _groups(rows, cols, n)
    w_sorted = w[order]
    lightest = np.minimum.reduceat(w_sorted, starts)
    sizes = np.diff(np.append(starts, len(order)))
    candidate = np.flatnonzero(w_sorted == np.repeat(lightest, sizes))
    group = np.repeat(np.arange(len(starts)), sizes)[candidate]
    first = np.ones(len(candidate), dtype=bool)
    first[1:] = group[1:] != group[:-1]
    mask[order[candidate[first]]] = True
    return mask


def _dedupe_min(rows, cols, w, n):
    """Keep the shortest of parallel edges; csr_matrix would add them up."""
    if not len(rows):
        return rows, cols, w
    order, starts = _groups(rows, cols, n)
    lightest = np.minimum.reduceat(w[order], starts)
    return rows[order][starts], cols[order][starts], lightest


class _Segments:
    """Nearest edge of many points at once: a k-d tree of short edge pieces.

    Every edge is a straight segment between its two nodes. It is cut into
    pieces of at most PIECE_M, and the tree holds the pieces' midpoints, so an
    edge's distance from a point is never less than the distance to its
    nearest piece's midpoint minus PIECE_M / 2. Each point measures the exact
    distance to the edges of its K nearest pieces; where an edge outside them
    could still be nearer (the K-th piece is within the best distance plus
    half a piece), the point asks the tree for every piece in that radius.
    """

    PIECE_M = 40.0
    K = (8, 48)  # pieces measured per point, then for the unsure ones

    def __init__(self, index: GraphIndex) -> None:
        g = index.graph
        self.ax = index.node_x[g.edge_u].astype(np.float64)
        self.ay = index.node_y[g.edge_u].astype(np.float64)
        self.dx = index.node_x[g.edge_v] - self.ax
        self.dy = index.node_y[g.edge_v] - self.ay
        length = np.hypot(self.dx, self.dy)
        pieces = np.maximum(1, np.ceil(length / self.PIECE_M)).astype(np.int64)
        self.piece_edge = np.repeat(np.arange(g.edge_count), pieces)
        start = np.cumsum(pieces) - pieces
        rank = np.arange(len(self.piece_edge)) - np.repeat(start, pieces)
        mid = (rank + 0.5) / np.repeat(pieces, pieces)
        self.half = float((length / pieces).max(initial=0.0)) / 2
        # Split at the midpoint, not the median: built in 60 % of the time
        # (Malta's 139,505 pieces: 22 ms, not 36), queried as fast.
        self.tree = cKDTree(
            np.stack(
                [
                    self.ax[self.piece_edge] + mid * self.dx[self.piece_edge],
                    self.ay[self.piece_edge] + mid * self.dy[self.piece_edge],
                ],
                axis=1,
            ),
            balanced_tree=False,
        )

    def _measure(self, x, y, edges):
        """Fraction along and distance from each point (broadcast) to `edges`."""
        dx, dy = self.dx[edges], self.dy[edges]
        px, py = x - self.ax[edges], y - self.ay[edges]
        norm = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(norm > 0, (px * dx + py * dy) / norm, 0.0)
        t = np.clip(t, 0.0, 1.0)
        return t, np.hypot(px - t * dx, py - t * dy)

    def nearest(self, x: np.ndarray, y: np.ndarray):
        """(edge, fraction along it from u, metres off it) for each point."""
        n = len(x)
        edge = np.zeros(n, np.int64)
        t = np.zeros(n)
        off = np.full(n, np.inf)
        todo = np.arange(n)
        for k in self.K:
            if not len(todo):
                break
            k = min(k, len(self.piece_edge))
            reach, piece = self.tree.query(
                np.stack([x[todo], y[todo]], axis=1), k=k, workers=_query_workers()
            )
            reach = reach.reshape(len(todo), k)
            edges = self.piece_edge[piece.reshape(len(todo), k)]
            tk, dist = self._measure(x[todo, None], y[todo, None], edges)
            best = np.argmin(dist, axis=1)
            rows = np.arange(len(todo))
            edge[todo], t[todo], off[todo] = (
                edges[rows, best],
                tk[rows, best],
                dist[rows, best],
            )
            if k == len(self.piece_edge):
                return edge, t, off  # every piece was measured
            # An unmeasured edge is at least reach[-1] - half away.
            todo = todo[reach[:, -1] - self.half < off[todo]]
        for i in todo:
            found = self.tree.query_ball_point((x[i], y[i]), off[i] + self.half)
            candidates = np.unique(self.piece_edge[found])
            ti, di = self._measure(x[i], y[i], candidates)
            j = int(np.argmin(di))
            edge[i], t[i], off[i] = candidates[j], ti[j], di[j]
        return edge, t, off


def _fold_chains(matrix: csr_matrix, must_keep: np.ndarray, report=None):
    """Fold every chain of degree-2 nodes of a symmetric graph into one edge.

    Returns (folded matrix, new id of each old node or -1 where folded). The
    distances between the nodes kept are those of the full graph. With
    `report` (old node ids), also returns where each of them sits: two
    (kept node, metres) pairs, a (P, 2) array of new ids and one of metres.
    A kept node is itself at 0 m (its second pair -1, inf); a folded one is
    the two ends of its chain and the walk to each (-1, inf where a chain
    closes on itself without a kept node). A chain is
    walked by pointer doubling over half-edges: after k rounds each half-edge
    knows the 2^k half-edges after it (or where its chain ends), so the
    longest chain costs log2 of its length in whole-array steps.
    """
    n = matrix.shape[0]
    indptr = matrix.indptr.astype(np.int64)
    to = matrix.indices.astype(np.int64)
    degree = np.diff(indptr)
    frm = np.repeat(np.arange(n, dtype=np.int64), degree)
    fold = degree == 2
    fold[must_keep] = False
    fold[frm[frm == to]] = False  # a node with a loop stays
    into = fold[to]
    halves = np.flatnonzero(into)
    # The half-edge after h = (a -> b), b folded: b's other half-edge.
    first = indptr[to[halves]]
    jump = np.full(len(to), -1, dtype=np.int64)
    jump[halves] = np.where(to[first] != frm[halves], first, first + 1)
    dist = matrix.data.astype(np.float64)
    end = to.copy()
    done = ~into
    live = halves  # the half-edges whose chain is not walked to its end yet
    for _ in range(2 + int(np.log2(max(len(to), 2)))):
        if not len(live):
            break
        j = jump[live]
        dist[live], end[live], done[live], jump[live] = (
            dist[live] + dist[j],
            end[j],
            done[j],
            jump[j],
        )
        live = live[~done[live]]
    kept = ~fold
    new_id = np.full(n, -1, dtype=np.int64)
    new_id[kept] = np.arange(int(kept.sum()))
    # Chains closed on themselves (rings with no kept node) never finish.
    out = np.flatnonzero(kept[frm] & done & (end != frm))
    rows, cols, w = _dedupe_min(
        new_id[frm[out]], new_id[end[out]], dist[out], int(kept.sum())
    )
    size = int(kept.sum())
    folded = csr_matrix((w, (rows, cols)), shape=(size, size))
    if report is None:
        return folded, new_id
    report = np.asarray(report, dtype=np.int64)
    via = np.full((len(report), 2), -1, dtype=np.int64)
    via_m = np.full((len(report), 2), np.inf)
    stays = kept[report]
    via[stays, 0] = new_id[report[stays]]
    via_m[stays, 0] = 0.0
    gone = report[~stays]  # folded: exactly two half-edges out of each
    for side in (0, 1):
        half = indptr[gone] + side
        ends = np.where(done[half], new_id[end[half]], -1)
        via[~stays, side] = ends
        via_m[~stays, side] = np.where(ends >= 0, dist[half], np.inf)
    return folded, new_id, via, via_m


def _between_doors(matrix: csr_matrix, doors: np.ndarray) -> np.ndarray:
    """Which nodes of a symmetric graph can lie on a walk between two doors.

    A dead end with no door on it (and every node that leads only into such
    dead ends) is never on a shortest walk between doors: leaves that are not
    doors are cut, round after round, until every leaf is a door.
    """
    n = matrix.shape[0]
    indptr, indices = matrix.indptr, matrix.indices
    degree = np.diff(indptr).astype(np.int64)
    door = np.zeros(n, dtype=bool)
    door[doors] = True
    alive = np.ones(n, dtype=bool)
    leaves = np.flatnonzero((degree <= 1) & ~door)
    while len(leaves):
        alive[leaves] = False
        nbr = indices[_row_entries(indptr, leaves)[0]]
        # Each round touches a few nodes, not the graph: a long dead end
        # takes a round per node (Malta: 124 rounds of ~110,000 nodes).
        nbr, cut = np.unique(nbr[alive[nbr]], return_counts=True)
        degree[nbr] -= cut
        leaves = nbr[(degree[nbr] <= 1) & ~door[nbr]]
    return alive


def _reach_margin(limit: float) -> float:
    """How far, in straight-line metres, a walk of `limit` metres may end from
    its start: a walk is never shorter than the straight line, and 1 % plus
    10 m covers the projection's error across a city."""
    return limit * 1.01 + 10.0


class _ByX:
    """Points in projected metres, sorted by x, to pick those near a group of
    points at once (a band of x, then y): a local search's nodes, and the
    points it measures to."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.order = np.argsort(x, kind="stable")
        self.x, self.y = x[self.order], y[self.order]

    def near(self, xs: np.ndarray, ys: np.ndarray, limit: float) -> np.ndarray:
        """Positions of the points a walk of `limit` metres from any of
        (xs, ys) might reach: those in the group's box, widened."""
        margin = _reach_margin(limit)
        lo = np.searchsorted(self.x, xs.min() - margin, side="left")
        hi = np.searchsorted(self.x, xs.max() + margin, side="right")
        y = self.y[lo:hi]
        inside = (y >= ys.min() - margin) & (y <= ys.max() + margin)
        return self.order[lo + np.flatnonzero(inside)]


class _SearchGraph:
    """The split street graph with bends folded away, for the many searches.

    Dead ends without a door are cut off first (`_between_doors`): no walk
    between two doors goes into one. Most street nodes left only bend a
    street (two neighbours). A search between doors never stops at one, so
    each chain of them becomes one edge of the chain's length
    (`_fold_chains`). The distances between doors are unchanged, and
    Dijkstra visits about a third of the nodes (Malta: 39,342 of 110,021).
    Points only searched to (the compounds of a recompute) fold away too:
    a door is a dead end, and the projection left is a bend; each is found
    through the two ends of its chain (`distances`), which leaves Malta's
    searches 24,148 nodes. Searches near a group of points run on the part
    of the graph within reach (straight line, with a margin) of the group: a
    walk of at most `limit` metres never leaves it, so each costs what the
    neighbourhood costs, not the whole city.
    """

    def __init__(
        self,
        matrix: csr_matrix,
        doors: np.ndarray,
        node_x,
        node_y,
        *,
        targets=(),
        projections=None,
        off=None,
    ):
        """`targets`: points only ever searched to, never from. Their doors
        go (a door is a dead end) and their projections fold into the street
        like bends; each is then reached through the two ends of its chain
        (`via`), `off` metres (its door) beyond its projection."""
        doors = np.asarray(doors, dtype=np.int64)
        targets = np.asarray(targets, dtype=np.int64)
        searched = np.ones(len(doors), dtype=bool)
        searched[targets] = False
        kept_doors = doors[searched]
        target_proj = (
            np.asarray(projections, dtype=np.int64)[targets]
            if len(targets)
            else np.zeros(0, dtype=np.int64)
        )
        alive = np.flatnonzero(
            _between_doors(matrix, np.concatenate([kept_doors, target_proj]))
        )
        local = np.full(matrix.shape[0], -1, dtype=np.int64)
        local[alive] = np.arange(len(alive))
        self.matrix, folded_id, via, via_m = _fold_chains(
            _submatrix(matrix, alive, local),
            local[kept_doors],
            report=local[target_proj],
        )
        new_id = np.full(matrix.shape[0], -1, dtype=np.int64)
        new_id[alive] = folded_id
        kept = new_id >= 0
        self.x, self.y = node_x[kept], node_y[kept]
        self.door = new_id[doors]  # the search graph's node of point i (-1: a target)
        # Point i is via_m[i, k] metres beyond node via[i, k] (k = 0, 1); a
        # missing node is len(x), which every `local` map sends to -1.
        none = len(self.x)
        self.via = np.stack([self.door, np.full(len(doors), none)], axis=1)
        self.via_m = np.zeros((len(doors), 2))
        self.via_m[:, 1] = np.inf
        if len(targets):
            self.via[targets] = np.where(via >= 0, via, none)
            self.via_m[targets] = via_m + np.asarray(off, np.float64)[targets, None]
        self.everywhere = np.append(np.arange(none), -1)  # `local` of a whole search
        self._nodes = _ByX(self.x, self.y)

    def distances(self, dist: np.ndarray, local: np.ndarray, points: np.ndarray):
        """Metres from a search's sources to `points`: (found, (S, F) metres)
        for the points `found` with a node among the search's (`local`: the
        search's index of each node, -1 if not in it; `everywhere` for a
        search of the whole graph). Each point is reached the shorter way
        in, through either end of its chain."""
        node = local[self.via[points]]
        seen = node >= 0
        found = np.flatnonzero(seen[:, 0] | seen[:, 1])
        node = node[found]
        width = dist.shape[1]
        node[node < 0] = width  # an inf column
        padded = np.empty((dist.shape[0], width + 1))
        padded[:, :width] = dist
        padded[:, width] = np.inf
        metres = self.via_m[points[found]]
        return found, np.minimum(
            padded[:, node[:, 0]] + metres[:, 0], padded[:, node[:, 1]] + metres[:, 1]
        )

    def local_search(self, doors: np.ndarray, limit: float):
        """Distances from `doors` (search-graph nodes) to the nodes near them.

        Returns (dist, local): dist[i, local[node]] is the walk from doors[i]
        to node, for nodes with local[node] >= 0 (the others are out of reach).
        """
        near = np.sort(self._nodes.near(self.x[doors], self.y[doors], limit))
        local = np.full(len(self.x) + 1, -1, dtype=np.int64)  # + `via`'s none
        local[near] = np.arange(len(near))
        sub = _submatrix(self.matrix, near, local)
        return dijkstra(sub, directed=True, indices=local[doors], limit=limit), local


def _row_entries(indptr: np.ndarray, rows: np.ndarray):
    """Positions in a CSR matrix's `indices`/`data` of every entry of `rows`,
    row after row, and each row's count of entries."""
    starts = indptr[rows]
    counts = indptr[rows + 1] - starts
    offsets = np.cumsum(counts) - counts
    return np.arange(int(counts.sum())) + np.repeat(starts - offsets, counts), counts


def _submatrix(matrix: csr_matrix, near: np.ndarray, local: np.ndarray) -> csr_matrix:
    """matrix[near][:, near] for sorted `near` (local: new index or -1), in one
    pass over the rows' entries (scipy's two fancy-index passes cost twice)."""
    entry, counts = _row_entries(matrix.indptr, near)
    cols = local[matrix.indices[entry]]
    inside = cols >= 0
    row = np.repeat(np.arange(len(near)), counts)[inside]
    indptr = np.zeros(len(near) + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=len(near)), out=indptr[1:])
    return csr_matrix(
        (matrix.data[entry][inside], cols[inside], indptr),
        shape=(len(near), len(near)),
    )


def _nearest_task(shared, facility_doors: np.ndarray) -> np.ndarray:
    """Metres from each origin to the nearest of `facility_doors` (one type)."""
    search, origins, limit = shared
    dist = dijkstra(
        search.matrix, directed=True, indices=facility_doors, min_only=True, limit=limit
    )
    out = np.full(len(origins), np.inf)
    found, d = search.distances(dist[None, :], search.everywhere, origins)
    out[found] = np.where(d[0] <= limit, d[0], np.inf)
    return out


def _band_task(shared, doors: np.ndarray) -> np.ndarray:
    """(len(doors), R): the weights within each radius of each door, from one
    local search (a chunk of neighbouring shops)."""
    search, weighted, weights, by_x, radii = shared
    limit = float(radii.max())
    dist, local = search.local_search(doors, limit)
    near = by_x.near(search.x[doors], search.y[doors], limit)
    found, d = search.distances(dist, local, weighted[near])
    weights = weights[near]
    # Each distance falls in one band; the sums are the bands' running totals
    # (one pass, not one per radius).
    order = np.argsort(radii)
    band = np.searchsorted(radii[order], d, side="left")
    rows = np.repeat(np.arange(len(doors)), d.shape[1])
    per_band = np.bincount(
        rows * (len(radii) + 1) + band.ravel(),
        weights=np.tile(weights[found], len(doors)),
        minlength=len(doors) * (len(radii) + 1),
    ).reshape(len(doors), len(radii) + 1)
    sums = np.empty((len(doors), len(radii)))
    sums[:, order] = np.cumsum(per_band, axis=1)[:, :-1]
    return sums


class NetworkReach:
    """Walking distances for a list of points on a street graph."""

    estimated = False

    def __init__(
        self, index: GraphIndex, lat, lng, *, snap: Snap | None = None, spread=None
    ):
        """`snap` is the points' snap when already known (the engine cache's);
        `spread(fn, shared, tasks)` answers a batch of searches (in this
        process unless given, e.g. `parallel.spread` with helpers)."""
        self.spread = spread or serial
        self.index = index
        self.lat = np.asarray(lat, dtype=np.float64)
        self.lng = np.asarray(lng, dtype=np.float64)
        n_base = index.graph.node_count
        p = len(self.lat)
        if snap is None:
            snap = (
                index.snap(self.lat, self.lng)
                if p
                else Snap(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
            )
        self.snap = snap
        self.n_base = n_base
        self.door = n_base + p + np.arange(p)  # door node of point i
        self.matrix = self._build(p)

    @property
    def off_street_m(self) -> np.ndarray:
        """Metres from each point to the street it was snapped onto."""
        return self.snap.off

    def _build(self, p: int) -> csr_matrix:
        idx, g = self.index, self.index.graph
        n_total = self.n_base + 2 * p
        if p == 0:
            mask = idx.base_unique
            rows, cols, w = idx.base_rows[mask], idx.base_cols[mask], idx.base_w[mask]
        else:
            rows, cols, w = self._split_edges(p)
        w = np.maximum(w, _EPS_M)
        del g
        return csr_matrix((w, (rows, cols)), shape=(n_total, n_total))

    def _split_edges(self, p: int):
        idx, g = self.index, self.index.graph
        s = self.snap
        length = g.edge_len[s.edge].astype(np.float64)
        along = np.clip(s.along, 0.0, length)
        order = np.lexsort((along, s.edge))
        e_sorted, a_sorted = s.edge[order], along[order]
        proj_node = self.n_base + order  # projection node of point i is n_base + i
        first = np.ones(p, dtype=bool)
        first[1:] = e_sorted[1:] != e_sorted[:-1]
        last = np.ones(p, dtype=bool)
        last[:-1] = e_sorted[1:] != e_sorted[:-1]
        # u → first point, consecutive points, last point → v.
        r = [g.edge_u[e_sorted[first]].astype(np.int64)]
        c = [proj_node[first]]
        w = [a_sorted[first]]
        inner = ~last
        r.append(proj_node[:-1][inner[:-1]])
        c.append(proj_node[1:][inner[:-1]])
        w.append((a_sorted[1:] - a_sorted[:-1])[inner[:-1]])
        r.append(proj_node[last])
        c.append(g.edge_v[e_sorted[last]].astype(np.int64))
        w.append(g.edge_len[e_sorted[last]].astype(np.float64) - a_sorted[last])
        # Door edges: the point itself to its projection on the street.
        r.append(self.door)
        c.append(self.n_base + np.arange(p))
        w.append(s.off)
        split_rows = np.concatenate(r)
        split_cols = np.concatenate(c)
        split_w = np.concatenate(w)
        # The split edges replace the original ones.
        keep = np.ones(g.edge_count, dtype=bool)
        keep[np.unique(s.edge)] = False
        keep2 = np.concatenate([keep, keep]) & idx.base_unique
        rows = np.concatenate([idx.base_rows[keep2], split_rows, split_cols])
        cols = np.concatenate([idx.base_cols[keep2], split_cols, split_rows])
        weights = np.concatenate([idx.base_w[keep2], split_w, split_w])
        return rows, cols, weights

    @property
    def search(self) -> _SearchGraph:
        """The graph searches from any point run on (built on first use)."""
        return self.search_to(())

    def search_to(self, targets, sources=()) -> _SearchGraph:
        """The graph for searches from `sources` to `targets`, the targets'
        doors and projections folded away. The last few are kept: a
        recompute asks for the same targets (every compound) type after type.
        """
        targets = np.asarray(targets, dtype=np.int64)
        if len(sources):
            searched = np.zeros(len(self.door), dtype=bool)
            searched[sources] = True
            if searched[targets].any():
                targets = targets[~searched[targets]]
        key = hashlib.sha1(targets.tobytes()).hexdigest()
        # Replaced, never changed in place: other threads may be reading it.
        graphs = self.__dict__.get("_searches", {})
        graph = graphs.get(key)
        if graph is None:
            node_x, node_y = self._node_xy()
            graph = _SearchGraph(
                self.matrix,
                self.door,
                node_x,
                node_y,
                targets=targets,
                projections=self.n_base + np.arange(len(self.door)),
                off=np.maximum(self.snap.off, _EPS_M),  # as the door edges
            )
            kept = list(graphs.items())[-(_SEARCHES_KEPT - 1) :]
            self._searches = {**dict(kept), key: graph}
        return graph

    def _spread_on(self, search: _SearchGraph):
        return self.spread if len(search.x) >= _SPREAD_MIN_NODES else serial

    def nearest(self, origins, facilities, *, limit: float) -> np.ndarray:
        """Metres from each origin to its nearest facility (inf beyond `limit`)."""
        return self.nearest_each(origins, [facilities], limit=limit)[0]

    def nearest_each(self, origins, facility_sets, *, limit: float) -> list[np.ndarray]:
        """`nearest` for each set of facilities (one business type each), the
        searches shared with this reach's helpers (`spread`)."""
        origins = np.asarray(origins, dtype=np.int64)
        sets = [np.asarray(f, dtype=np.int64) for f in facility_sets]
        out = [np.full(len(origins), np.inf) for _ in sets]
        todo = [k for k, f in enumerate(sets) if len(f) and len(origins)]
        if not todo:
            return out
        # One search graph for every set: all their facilities are kept.
        search = self.search_to(origins, np.concatenate([sets[k] for k in todo]))
        answers = self._spread_on(search)(
            _nearest_task,
            (search, origins, limit),
            [search.door[sets[k]] for k in todo],
        )
        for k, answer in zip(todo, answers, strict=True):
            out[k] = answer
        return out

    def _from_sources(self, sources, *, limit: float):
        sources = np.asarray(sources, dtype=np.int64)
        for start in range(0, len(sources), _CHUNK):
            chunk = sources[start : start + _CHUNK]
            yield (
                start,
                dijkstra(
                    self.matrix, directed=True, indices=self.door[chunk], limit=limit
                ),
            )

    def pairwise(self, sources, targets, *, limit: float) -> np.ndarray:
        """A (S, T) matrix of walking metres between points (inf beyond `limit`).

        The graph is undirected, so the searches start from the smaller side,
        in chunks of spatially close sources (`_SearchGraph.local_search`).
        """
        sources = np.asarray(sources, dtype=np.int64)
        targets = np.asarray(targets, dtype=np.int64)
        if len(targets) < len(sources):
            return self.pairwise(targets, sources, limit=limit).T
        out = np.full((len(sources), len(targets)), np.inf)
        if len(sources) == 0 or len(targets) == 0:
            return out
        search = self.search_to(targets, sources)
        by_x = self._by_x(targets)
        source_doors = search.door[sources]
        for chunk in _spatial_chunks(search.x[source_doors], search.y[source_doors]):
            doors = source_doors[chunk]
            near = by_x.near(search.x[doors], search.y[doors], limit)
            dist, local = search.local_search(doors, limit)
            found, d = search.distances(dist, local, targets[near])
            d[d > limit] = np.inf
            out[chunk[:, None], near[found][None, :]] = d
        return out

    def weight_within(self, points, weighted, weights, radii) -> np.ndarray:
        """(P, R): the sum of `weights` of the `weighted` points within each
        radius of each of `points` (households within 5/10/15 minutes of a shop).

        Like `pairwise` (searches from `points`, chunked and local), but the
        chunk's distances are summed at once: no (points × weighted) matrix.
        """
        points = np.asarray(points, dtype=np.int64)
        weighted = np.asarray(weighted, dtype=np.int64)
        radii = np.asarray(radii, dtype=np.float64)
        out = np.zeros((len(points), len(radii)))
        if len(points) == 0 or len(weighted) == 0:
            return out
        search = self.search_to(weighted, points)
        point_doors = search.door[points]
        chunks = list(
            _spatial_chunks(
                search.x[point_doors], search.y[point_doors], size=_BAND_CHUNK
            )
        )
        sums = self._spread_on(search)(
            _band_task,
            (
                search,
                weighted,
                np.asarray(weights, dtype=np.float64),
                self._by_x(weighted),
                radii,
            ),
            [point_doors[chunk] for chunk in chunks],
        )
        for chunk, chunk_sums in zip(chunks, sums, strict=True):
            out[chunk] = chunk_sums
        return out

    def _by_x(self, points) -> _ByX:
        """`points` by their place, to pick those near a search's sources."""
        x, y = self._node_xy()
        return _ByX(x[self.door[points]], y[self.door[points]])

    def _node_xy(self):
        """Projected metres of every node: street nodes, the points' projections
        on their edges, then the points themselves (their doors)."""
        if getattr(self, "_xy", None) is None:
            idx, g, snap = self.index, self.index.graph, self.snap
            u, v = g.edge_u[snap.edge], g.edge_v[snap.edge]
            length = g.edge_len[snap.edge].astype(np.float64)
            frac = np.clip(snap.along / np.maximum(length, _EPS_M), 0.0, 1.0)
            proj_x = idx.node_x[u] + frac * (idx.node_x[v] - idx.node_x[u])
            proj_y = idx.node_y[u] + frac * (idx.node_y[v] - idx.node_y[u])
            px, py = idx.proj.xy(self.lat, self.lng)
            self._xy = (
                np.concatenate([idx.node_x, proj_x, px]),
                np.concatenate([idx.node_y, proj_y, py]),
            )
        return self._xy

    def candidates(self, sources, *, limit: float):
        """Candidate sites near the sources: (lat, lng, (S, K) metres)."""
        g = self.index.graph
        if len(sources) == 0:
            return np.zeros(0), np.zeros(0), np.zeros((0, 0))
        box = _box_around(self.lat[sources], self.lng[sources], limit)
        nodes = self.index.nodes_in_box(*box)
        out = np.full((len(sources), len(nodes)), np.inf)
        for start, dist in self._from_sources(sources, limit=limit):
            out[start : start + len(dist)] = dist[:, nodes]
        return g.node_lat[nodes], g.node_lng[nodes], out

    def isochrones(self, source: int, radii: list[float]) -> list:
        """Polygons (shapely, lat/lng) of the streets within each radius, buffered."""
        import shapely

        idx, g = self.index, self.index.graph
        dist = dijkstra(
            self.matrix,
            directed=True,
            indices=[int(self.door[source])],
            limit=max(radii),
        )[0]
        du = dist[g.edge_u]
        dv = dist[g.edge_v]
        polygons = []
        for radius in radii:
            polygons.append(
                _reach_polygon(
                    idx, g, du, dv, radius, shapely, self.lat[source], self.lng[source]
                )
            )
        return polygons


def _reach_polygon(idx, g, du, dv, radius, shapely, lat0, lng0):
    """Buffer the reached parts of the street segments (partial segments included)."""
    length = g.edge_len.astype(np.float64)
    reach_u = np.clip((radius - du) / np.maximum(length, _EPS_M), 0, 1)
    reach_v = np.clip((radius - dv) / np.maximum(length, _EPS_M), 0, 1)
    touched = (reach_u > 0) | (reach_v > 0)
    if not touched.any():
        x, y = idx.proj.xy(lat0, lng0)
        shape = shapely.Point(float(x), float(y)).buffer(40)
    else:
        e = np.flatnonzero(touched)
        ux, uy = idx.node_x[g.edge_u[e]], idx.node_y[g.edge_u[e]]
        vx, vy = idx.node_x[g.edge_v[e]], idx.node_y[g.edge_v[e]]
        dx, dy = vx - ux, vy - uy
        full = (reach_u[e] + reach_v[e]) >= 1
        ru = np.where(full, 1.0, reach_u[e])
        rv = np.where(full, 1.0, reach_v[e])
        parts = []
        # Part reached from u: u → u + ru·(v−u); part reached from v likewise.
        has_u = ru > 0
        parts.append(
            np.stack(
                [np.stack([ux, uy], 1), np.stack([ux + dx * ru, uy + dy * ru], 1)], 1
            )[has_u]
        )
        has_v = (rv > 0) & ~full
        parts.append(
            np.stack(
                [np.stack([vx, vy], 1), np.stack([vx - dx * rv, vy - dy * rv], 1)], 1
            )[has_v]
        )
        segments = np.concatenate(parts)
        # Buffering each segment and uniting the pieces takes well under a second
        # for thousands of segments; buffering one MultiLineString took a minute.
        pieces = shapely.buffer(shapely.linestrings(segments), 35, quad_segs=2)
        shape = shapely.simplify(shapely.union_all(pieces), 10)
    return _to_lnglat(idx.proj, shape)


def _to_lnglat(proj, shape):
    import shapely

    def transform(coords):
        lat, lng = proj.latlng(coords[:, 0], coords[:, 1])
        return np.stack([lng, lat], axis=1)

    return shapely.transform(shape, transform)


def _box_around(lat, lng, radius_m):
    dlat = radius_m / METERS_PER_DEG_LAT
    dlng = radius_m / (
        METERS_PER_DEG_LAT * max(math.cos(math.radians(float(np.mean(lat)))), 1e-6)
    )
    return lat.min() - dlat, lng.min() - dlng, lat.max() + dlat, lng.max() + dlng


class StraightLineReach:
    """Estimated walking metres: great-circle distance × a detour factor (估算)."""

    estimated = True
    GRID_M = 50.0

    def __init__(self, lat, lng, *, detour: float = DETOUR_FACTOR) -> None:
        self.lat = np.asarray(lat, dtype=np.float64)
        self.lng = np.asarray(lng, dtype=np.float64)
        self.detour = detour
        self.off_street_m = np.zeros(len(self.lat))

    def _matrix(self, lat_a, lng_a, lat_b, lng_b, limit):
        d = (
            haversine_arrays(
                lat_a[:, None], lng_a[:, None], lat_b[None, :], lng_b[None, :]
            )
            * self.detour
        )
        d[d > limit] = np.inf
        return d

    def pairwise(self, sources, targets, *, limit: float) -> np.ndarray:
        s, t = np.asarray(sources, dtype=np.int64), np.asarray(targets, dtype=np.int64)
        return self._matrix(self.lat[s], self.lng[s], self.lat[t], self.lng[t], limit)

    def weight_within(self, points, weighted, weights, radii) -> np.ndarray:
        """(P, R) sums of `weights` within each radius (see NetworkReach)."""
        radii = np.asarray(radii, dtype=np.float64)
        d = self.pairwise(points, weighted, limit=float(radii.max(initial=0)))
        w = np.asarray(weights, dtype=np.float64)
        return np.stack([(d <= r).astype(np.float64) @ w for r in radii], axis=1)

    def nearest(self, origins, facilities, *, limit: float) -> np.ndarray:
        if len(facilities) == 0:
            return np.full(len(origins), np.inf)
        return self.pairwise(origins, facilities, limit=limit).min(axis=1)

    def nearest_each(self, origins, facility_sets, *, limit: float) -> list[np.ndarray]:
        return [self.nearest(origins, f, limit=limit) for f in facility_sets]

    def candidates(self, sources, *, limit: float):
        """A grid of GRID_M metres over the sources' reach, as candidate sites."""
        if len(sources) == 0:
            return np.zeros(0), np.zeros(0), np.zeros((0, 0))
        s = np.asarray(sources, dtype=np.int64)
        lat_min, lng_min, lat_max, lng_max = _box_around(
            self.lat[s], self.lng[s], limit / self.detour
        )
        step_lat = self.GRID_M / METERS_PER_DEG_LAT
        step_lng = step_lat / max(
            math.cos(math.radians(float(self.lat[s].mean()))), 1e-6
        )
        lats = np.arange(lat_min, lat_max + step_lat, step_lat)
        lngs = np.arange(lng_min, lng_max + step_lng, step_lng)
        grid_lat, grid_lng = (a.ravel() for a in np.meshgrid(lats, lngs, indexing="ij"))
        dist = self._matrix(self.lat[s], self.lng[s], grid_lat, grid_lng, limit)
        return grid_lat, grid_lng, dist

    def isochrones(self, source: int, radii: list[float]) -> list:
        """Circles of radius / detour around the source (an estimate)."""
        import shapely

        proj = _Projection(float(self.lat[source]), float(self.lng[source]))
        return [
            _to_lnglat(proj, shapely.Point(0, 0).buffer(r / self.detour, quad_segs=16))
            for r in radii
        ]
