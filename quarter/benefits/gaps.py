"""Which shops fill a gap: households that have no other shop of the same type
within a 15-minute walk.

A benefit rule for merchants may ask for shops in a coverage gap (缺口区域):
a shop qualifies when at least N households of the rule's area would have no
shop of its business type within 15 minutes' walk (adult speed) without it —
it is their only one. Distances come from the coverage engine (the street
network where one is imported, the straight-line estimate otherwise), and
shops of neighbouring communities count as alternatives, since residents walk
across boundaries. Reads only.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from quarter.coverage import engine

GAP_MINUTES = 15


def sole_provider_households(communities) -> dict[int, int]:
    """Return {merchant id: households for whom it is the only shop of its type
    within 15 minutes}, over the compounds of `communities`."""
    radius = engine.speed_profiles()["standard"] * GAP_MINUTES * 60
    out: dict[int, int] = defaultdict(int)
    for community in communities:
        inputs = engine.load_inputs(community)
        if not inputs.compounds:
            continue
        households = inputs.households()
        origins = np.arange(inputs.n_compounds)
        reach = engine.build_engine(inputs)
        for type_id in {m["main_type_id"] for m in inputs.merchants}:
            facilities = inputs.facility_points(type_id)
            if len(facilities) == 0:
                continue
            within = np.isfinite(reach.pairwise(origins, facilities, limit=radius))
            only = within.sum(axis=1) == 1
            for i in np.flatnonzero(only):
                point = facilities[int(np.argmax(within[i]))]
                merchant = inputs.merchants[int(point) - inputs.n_compounds]
                out[merchant["id"]] += int(households[i])
    return dict(out)
