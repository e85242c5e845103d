"""Walking minutes from a resident's compound to shops: "步行 6 分钟".

Search results, merchant pages and the map tell a resident how far a shop is
from where they live, for an adult and for an elderly walker. Where the
street network the community's coverage uses reaches both the compound and
the shop, the figure is the walk on the streets: one Dijkstra from the
compound (kept per process, keyed by network and compound), then each shop is
read off the two ends of the street it stands on. Otherwise — no network, a
shop beyond it or beyond the computed cap — it is the straight line × the
streets' detour factor, and says so (约).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _
from scipy.sparse.csgraph import dijkstra

from quarter.coverage import engine
from quarter.coverage.graph import DETOUR_FACTOR, NetworkReach
from quarter.coverage.models import CoverageRun, StreetNetwork
from quarter.coverage.osm import haversine_arrays

_CACHE_SIZE = 256


@dataclass(frozen=True)
class Walk:
    """A walk from a compound to a place: metres and minutes at both speeds."""

    metres: float
    adult_minutes: int
    elderly_minutes: int
    estimated: bool  # straight line × detour, not the streets

    @classmethod
    def of(cls, metres: float, *, estimated: bool) -> Walk:
        speeds = engine.speed_profiles()
        adult, elderly = (
            max(1, math.ceil(metres / speeds[p] / 60)) for p in ("standard", "elderly")
        )
        return cls(float(metres), adult, elderly, estimated)

    def label(self) -> str:
        """The walk in words: 步行 6 分钟(长辈 9 分钟), 约 when estimated."""
        values = {"m": self.adult_minutes, "e": self.elderly_minutes}
        if self.estimated:
            return _("约步行 %(m)s 分钟(长辈约 %(e)s 分钟)") % values
        return _("步行 %(m)s 分钟(长辈 %(e)s 分钟)") % values


def walk_phrase(minutes: int, *, estimated: bool = False) -> str:
    """The adult's walk inside a sentence: 步行 6 分钟 (约 when estimated)."""
    if estimated:
        return _("约步行 %(m)s 分钟") % {"m": minutes}
    return _("步行 %(m)s 分钟") % {"m": minutes}


@dataclass
class _Origin:
    """One compound's walk on one network: node distances and where it stands."""

    node_m: np.ndarray  # metres to every node of the network (inf beyond the cap)
    edge: int
    along: float
    off: float


_ORIGINS: OrderedDict[tuple, _Origin] = OrderedDict()
_LOCK = threading.Lock()


def walks_from(compound, places: dict[int, tuple[float, float]]) -> dict[int, Walk]:
    """Return the walk from `compound` to each place {key: (lat, lng)}.

    On the streets where the compound's community has a computed network
    that covers the place; estimated (约) otherwise. Reads only.
    """
    if not places:
        return {}
    keys = list(places)
    lat = np.array([places[k][0] for k in keys], dtype=np.float64)
    lng = np.array([places[k][1] for k in keys], dtype=np.float64)
    metres = haversine_arrays(compound.lat, compound.lng, lat, lng) * DETOUR_FACTOR
    on_streets = np.zeros(len(keys), dtype=bool)
    network = _network_of(compound)
    if network is not None:
        margin = engine.max_off_street_m()
        covered = np.array(
            [network.covers(a, b, margin_m=margin) for a, b in zip(lat, lng)]  # noqa: B905
        )
        if covered.any():
            street_m = _street_metres(network, compound, lat[covered], lng[covered])
            found = np.isfinite(street_m)
            idx = np.flatnonzero(covered)[found]
            metres[idx] = street_m[found]
            on_streets[idx] = True
    return {
        key: Walk.of(metres[i], estimated=not on_streets[i])
        for i, key in enumerate(keys)
    }


def walk_to(compound, lat: float, lng: float) -> Walk:
    """Return the walk from `compound` to one place."""
    return walks_from(compound, {0: (lat, lng)})[0]


def _network_of(compound) -> StreetNetwork | None:
    """The network the compound's community coverage was computed on, if any."""
    run = (
        CoverageRun.objects.filter(community_id=compound.community_id, estimated=False)
        .select_related("network")
        .defer("network__data")
        .first()
    )
    if run is None or run.network is None:
        return None
    if not run.network.covers(
        compound.lat, compound.lng, margin_m=engine.max_off_street_m()
    ):
        return None
    return run.network


def _street_metres(network, compound, lat, lng) -> np.ndarray:
    """Metres on the streets from the compound to each point (inf if unreachable)."""
    origin = _origin(network, compound)
    index = engine.graph_index(network)
    g = index.graph
    snap = index.snap(lat, lng)
    length = g.edge_len[snap.edge].astype(np.float64)
    along = np.clip(snap.along, 0.0, length)
    via_u = origin.node_m[g.edge_u[snap.edge]] + along
    via_v = origin.node_m[g.edge_v[snap.edge]] + (length - along)
    metres = np.minimum(via_u, via_v)
    # A shop on the compound's own street segment is reached along it directly.
    same = snap.edge == origin.edge
    metres[same] = np.minimum(metres[same], np.abs(along[same] - origin.along))
    metres = metres + origin.off + snap.off
    metres[snap.off > engine.max_off_street_m()] = np.inf
    metres[metres > engine.cap_m()] = np.inf
    return metres


def _origin(network, compound) -> _Origin:
    key = (
        network.pk,
        network.source_sha256,
        compound.pk,
        round(compound.lat, 7),
        round(compound.lng, 7),
    )
    with _LOCK:
        origin = _ORIGINS.get(key)
        if origin is not None:
            _ORIGINS.move_to_end(key)
            return origin
    reach = NetworkReach(engine.graph_index(network), [compound.lat], [compound.lng])
    dist = dijkstra(
        reach.matrix,
        directed=True,
        indices=[int(reach.door[0])],
        limit=engine.cap_m(),
    )[0]
    origin = _Origin(
        node_m=(dist[: reach.n_base] - float(reach.snap.off[0])).astype(np.float64),
        edge=int(reach.snap.edge[0]),
        along=float(reach.snap.along[0]),
        off=float(reach.snap.off[0]),
    )
    with _LOCK:
        _ORIGINS[key] = origin
        while len(_ORIGINS) > _CACHE_SIZE:
            _ORIGINS.popitem(last=False)
    return origin
