"""Coverage: the street network, walking reach per compound and the gap report.

How it fits together:

* `osm.py` reads an OpenStreetMap extract (osmium): walkable segments with
  lengths in metres, shops/amenities, buildings. `services.import_network`
  stores the graph as a compressed .npz blob in `StreetNetwork` (one
  transaction: nothing half-written) and can turn shops into candidate
  merchants. `manage.py import_osm` (`quarter import-osm`) is its command.
* `graph.py` answers distances: `NetworkReach` snaps points onto their nearest
  edge and runs scipy's Dijkstra (one multi-source search per business type);
  `StraightLineReach` is the 估算 fallback (great-circle × 1.3) when no network
  covers the community.
* `parallel.py` shares a large recompute's searches with helper processes
  (scipy's Dijkstra holds the GIL, so threads cannot).
* `engine.py` gathers a community's inputs (compounds; merchants not rejected or
  removed; facilities = approved and open) and fingerprints them.
* `services.py` stores metres per (compound, type) and households per merchant
  and band, and keeps them fresh: `refresh_for_merchant` (called on commit by
  places) recomputes only the merchant's types; `ensure_coverage` recomputes a
  community whose fingerprint changed.
* `selectors.py` reads: the gap report (minutes by speed profile, bands, missing
  types, tiers, chain share, the 2025 groupings), greedy max-coverage site
  suggestions, what-if for a proposed shop, isochrone polygons.
* `views.py` is the operators' planning dashboard, `api.py` the JSON router,
  `exports.py` CSV/XLSX.
"""
