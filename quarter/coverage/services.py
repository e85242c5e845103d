"""Verbs of the coverage app: import a street network, compute and refresh reach.

Stored figures follow the merchants: places' services call `refresh_for_merchant`
after a merchant is approved, removed, suspended, reinstated, moved or changes
status, and it recomputes only the merchant's business type (old and new) and
the merchant's own household counts. `ensure_coverage` guards every page: when
the stored fingerprint differs from the current inputs (e.g. demo data loaded
in bulk, a compound edited in the admin) it recomputes the community in full.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.db import transaction

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.coverage import access, reach_store
from quarter.coverage import engine as eng
from quarter.coverage.errors import CoverageErrorCode as Code
from quarter.coverage.graph import StreetGraph
from quarter.coverage.models import (
    CoverageRun,
    MerchantReach,
    StreetNetwork,
)
from quarter.coverage.osm import (
    Extract,
    OsmReadError,
    Skipped,
    build_tag_map,
    classify_poi,
    read_extract,
)
from quarter.places import services as places_services
from quarter.places.models import (
    Admission,
    BusinessType,
    Community,
    Merchant,
    MerchantEvent,
    MerchantStatus,
)

logger = logging.getLogger(__name__)


# --- walking reach -------------------------------------------------------------


def ensure_coverage(*, actor, community: Community) -> CoverageRun:
    """Return the community's coverage run, recomputing it first if it is stale.

    `actor` must be allowed to compute the community (`access.can_compute_for`).
    Side effects: may rewrite the community's ReachArray and MerchantReach rows
    and its CoverageRun (in one transaction).
    """
    access.require_compute_for(actor, community)
    inputs = eng.load_inputs(community)
    fingerprint = inputs.fingerprint()
    run = CoverageRun.objects.filter(community=community).first()
    if run is not None and run.fingerprint == fingerprint:
        return run
    return _do_refresh_community(inputs, fingerprint=fingerprint)


def coverage_for_page(*, actor, community: Community) -> tuple[CoverageRun, bool]:
    """Return the community's coverage run for a page (GET) and whether it is stale.

    Never recomputes a run that exists, however stale: a page view must not
    become a whole-community computation (the operator's 重新计算 button,
    the admin action and ``manage.py compute_coverage`` do that). Only a
    community that was never computed is computed here, once, so the page
    has something to show. Reads the inputs to compare fingerprints.
    """
    access.require_compute_for(actor, community)
    run = CoverageRun.objects.filter(community=community).first()
    if run is None:
        return ensure_coverage(actor=actor, community=community), False
    return run, run.fingerprint != eng.load_inputs(community).fingerprint()


def refresh_community(*, actor, community: Community) -> CoverageRun:
    """Recompute every stored figure of a community from scratch."""
    access.require_compute_for(actor, community)
    inputs = eng.load_inputs(community)
    return _do_refresh_community(inputs, fingerprint=inputs.fingerprint())


def _do_refresh_community(inputs: eng.Inputs, *, fingerprint: str) -> CoverageRun:
    community = inputs.community
    engine = eng.build_engine(inputs)
    distances = {}
    if inputs.n_compounds:
        distances = _nearest_by_type(
            inputs, engine, BusinessType.objects.values_list("id", flat=True)
        )
    merchant_rows = _merchant_rows(inputs, engine, _own_positions(inputs))
    with transaction.atomic():
        _lock_community(community)
        reach_store.replace_reach(
            community,
            [c["id"] for c in inputs.compounds],
            distances,
            estimated=engine.estimated,
            all_types=True,
        )
        MerchantReach.objects.filter(merchant__community=community).delete()
        reach_store.insert_rows(MerchantReach, MERCHANT_REACH_COLUMNS, merchant_rows)
        run, _ = CoverageRun.objects.update_or_create(
            community=community,
            defaults={
                "network": inputs.network,
                "estimated": engine.estimated,
                "fingerprint": fingerprint,
                "computed_at": clock.now(),
                **reach_store.street_access_bytes(
                    [c["id"] for c in inputs.compounds],
                    engine.off_street_m[: inputs.n_compounds],  # then the shops'
                ),
            },
        )
    return run


def _own_positions(inputs, wanted=None) -> list[int]:
    """Positions of the community's own merchants (optionally only `wanted` ids)."""
    return [
        i
        for i, m in enumerate(inputs.merchants)
        if m["community_id"] == inputs.community.pk
        and (wanted is None or m["id"] in wanted)
    ]


def _lock_community(community: Community) -> None:
    """Serialise writers of one community's figures (two servers may refresh at once).

    The community row is the one lock, taken before any coverage row, so two
    refreshes never wait on each other in opposite orders.
    """
    Community.objects.select_for_update().filter(pk=community.pk).first()


def _nearest_by_type(inputs, engine, type_ids) -> dict[int, np.ndarray]:
    """Metres from every compound to the nearest facility, one search per type."""
    type_ids = list(type_ids)
    metres = engine.nearest_each(
        np.arange(inputs.n_compounds),
        [inputs.facility_points(type_id) for type_id in type_ids],
        limit=eng.cap_m(),
    )
    return dict(zip(type_ids, metres, strict=True))


MERCHANT_REACH_COLUMNS = (
    "merchant_id",
    "households",
    "lat",
    "lng",
    "business_type_id",
    "admission",
    "status",
    "estimated",
)


def _merchant_rows(inputs, engine, positions) -> list[tuple]:
    """MerchantReach rows (MERCHANT_REACH_COLUMNS) of the merchants at `positions`."""
    positions = list(positions)
    if not positions:
        return []
    bands = eng.households_within_points(
        engine,
        [inputs.merchant_point(i) for i in positions],
        np.arange(inputs.n_compounds),
        inputs.households(),
    )
    rows = []
    for column, i in enumerate(positions):
        m = inputs.merchants[i]
        rows.append(
            (
                m["id"],
                bands[column],
                m["lat"],
                m["lng"],
                m["main_type_id"],
                m["admission"],
                m["status"],
                engine.estimated,
            )
        )
    return rows


def refresh_for_merchant(merchant_id: int, *, actor) -> None:
    """Recompute the walking reach that depends on one merchant (see below)."""
    refresh_for_merchants([merchant_id], actor=actor)


def refresh_for_merchants(merchant_ids, *, actor) -> None:
    """Recompute the walking reach that depends on these merchants, incrementally.

    Called on commit by places' services when merchants are approved, removed,
    suspended, reinstated, moved or change status. Per community, the union of
    the merchants' business types (before and after) is recomputed once for
    the community's compounds, with the merchants' own household counts; if
    anything else changed since the last computation the community is
    recomputed in full. Never raises: the change it follows has already
    committed, and a failure here is repaired by `ensure_coverage` on the next
    page view. Only a refused `actor` (not the merchants' staff, their
    community's operators, SYSTEM or a superuser) raises, before any work.
    """
    access.require_merchant_change_by(actor, merchant_ids)
    _refresh_for_merchants_now(merchant_ids)


def _refresh_for_merchants_now(merchant_ids) -> None:
    merchant_ids = sorted(set(merchant_ids))
    previous = {
        r.merchant_id: r
        for r in MerchantReach.objects.filter(merchant_id__in=merchant_ids)
    }
    # The merchants as the last computation saw them, read once before any
    # community is refreshed (each refresh rewrites the merchants' own rows).
    before = [_before(mid, previous.get(mid)) for mid in merchant_ids]
    now = Merchant.objects.filter(pk__in=merchant_ids).values_list("lat", "lng")
    points = list(now) + [(b["lat"], b["lng"]) for b in before if b["lat"] is not None]
    for community_id in eng.communities_reaching(points):
        try:
            _refresh_for_merchants(community_id, merchant_ids, previous, before)
        except Exception:  # noqa: BLE001 - see docstring
            logger.exception("coverage refresh failed for merchants %s", merchant_ids)


class _PendingRefresh:
    """One on-commit callback holding every merchant changed in a transaction."""

    def __init__(self, merchant_id: int) -> None:
        self.ids = {merchant_id}
        self.ran = False

    def __call__(self) -> None:
        self.ran = True
        _refresh_for_merchants_now(self.ids)


def refresh_after_commit(merchant_id: int, *, actor) -> None:
    """Refresh for `merchant_id` once the current transaction commits.

    Changes made in one transaction (an admin bulk approval of 300 shops) are
    refreshed together: the transaction holds one callback that gathers every
    changed merchant, so each affected business type is recomputed once. The
    callback lives in Django's on-commit list, so a rollback drops it with
    the changes. Outside a transaction the refresh runs at once. `actor`,
    who made the change, is checked now (see `refresh_for_merchants`).
    """
    access.require_merchant_change_by(actor, [merchant_id])
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        for entry in connection.run_on_commit:
            if isinstance(entry[1], _PendingRefresh) and not entry[1].ran:
                entry[1].ids.add(merchant_id)
                return
    transaction.on_commit(_PendingRefresh(merchant_id))


def _refresh_for_merchants(community_id: int, merchant_ids, previous, before) -> None:
    community = Community.objects.get(pk=community_id)
    with transaction.atomic():
        _lock_community(community)
        run = CoverageRun.objects.filter(community=community).first()
        if run is None:
            return  # never computed: the first page view computes it in full
        inputs = eng.load_inputs(community)
        seen_before = _as_seen_by(inputs, before)
        if run.fingerprint != inputs.fingerprint(replace=seen_before):
            _do_refresh_community(inputs, fingerprint=inputs.fingerprint())
            return
        _do_refresh_types(inputs, merchant_ids=merchant_ids, previous=previous, run=run)


def _as_seen_by(inputs, before: list[dict]) -> list[dict]:
    """The merchants' previous rows as this community's inputs held them.

    A neighbour's shop was in the inputs only if it stood inside the
    community's reach box; otherwise it counts as absent (lat None).
    """
    own = set(
        Merchant.objects.filter(
            pk__in=[b["id"] for b in before], community=inputs.community
        ).values_list("pk", flat=True)
    )
    lo_lat, lo_lng, hi_lat, hi_lng = inputs.reach_box()
    seen = []
    for b in before:
        inside = b["lat"] is not None and (
            b["id"] in own
            or (lo_lat <= b["lat"] <= hi_lat and lo_lng <= b["lng"] <= hi_lng)
        )
        seen.append(b if inside else {"id": b["id"], "lat": None})
    return seen


def _before(merchant_id: int, previous) -> dict:
    """The merchant as the last computation saw it (lat None: it was not there)."""
    if previous is None:
        return {"id": merchant_id, "lat": None}
    return {
        "id": merchant_id,
        "lat": previous.lat,
        "lng": previous.lng,
        "main_type_id": previous.business_type_id,
        "admission": previous.admission,
        "status": previous.status,
    }


def _do_refresh_types(inputs, *, merchant_ids, previous, run) -> None:
    engine = eng.build_engine(inputs)
    wanted = set(merchant_ids)
    types = {p.business_type_id for p in previous.values()}
    types |= {m["main_type_id"] for m in inputs.merchants if m["id"] in wanted}
    positions = _own_positions(inputs, wanted)
    compound_ids = [c["id"] for c in inputs.compounds]
    distances = _nearest_by_type(inputs, engine, sorted(types))
    reach_store.replace_reach(
        inputs.community, compound_ids, distances, estimated=engine.estimated
    )
    MerchantReach.objects.filter(
        merchant_id__in=merchant_ids, merchant__community=inputs.community
    ).delete()
    if positions:
        reach_store.insert_rows(
            MerchantReach,
            MERCHANT_REACH_COLUMNS,
            _merchant_rows(inputs, engine, positions),
        )
    run.fingerprint = inputs.fingerprint()
    run.computed_at = clock.now()
    run.save(update_fields=["fingerprint", "computed_at"])


# --- street network import ------------------------------------------------------


@dataclass
class Replacement:
    """A community whose figures move to the imported network."""

    community: Community
    previous: StreetNetwork | None
    smaller: bool  # the new extent does not hold all of the previous one

    def describe(self) -> str:
        if self.previous is None:
            return f"{self.community.name}:首次使用真实路网"
        note = "(新路网范围更小)" if self.smaller else ""
        return f"{self.community.name}:替换“{self.previous.name}”{note}"


@dataclass
class ImportResult:
    network: StreetNetwork
    candidates_created: int
    candidates_skipped: int
    pois_seen: int
    skipped: Skipped = field(default_factory=Skipped)
    already_imported: bool = False
    replaces: list[Replacement] = field(default_factory=list)
    compounds_created: int = 0
    compounds_skipped: int = 0


def import_network(
    *,
    path: str | Path,
    name: str = "",
    bbox: tuple[float, float, float, float] | None = None,
    actor,
    community: Community | None = None,
    import_shops: bool = False,
    import_compounds: bool = False,
    allow_smaller: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import the walking network (and optionally shops) of an OSM extract.

    `actor` is the operator importing shops into their community, or SYSTEM
    (quarter.core.actors) for the command line; a street network alone is
    platform data and any actor may import it.

    `bbox` is (min_lat, min_lng, max_lat, max_lng). With `import_shops` the
    extract's shops and amenities that map onto a business type become candidate
    merchants of `community` (admission "applied", one `applied` event each) for
    an operator to review; ones already imported (same OSM id) are skipped.
    With `import_compounds` the extract's named `landuse=residential` areas
    become compounds of `community`, households estimated from building
    footprints (quarter.coverage.osm_compounds says how); names the community
    already has are skipped.

    Importing the same file with the same `bbox` again is a no-op (the
    result says `already_imported`). A community moves to the new network
    only if it covers at least as many of the community's compounds and shops
    as the one in use (`engine.network_for`); `replaces` lists who moves. If
    the new extent does not hold all of a replaced network's, the import is
    refused (`network_smaller_than_in_use`) unless `allow_smaller`.

    Raises `osm_file_not_found`, `osm_file_unreadable`, `no_walkable_ways`,
    `network_smaller_than_in_use`, `not_community_operator`. Writes nothing
    unless everything succeeds.
    """
    path = Path(path)
    if import_shops or import_compounds:
        if community is None:
            what = "商户" if import_shops else "小区"
            raise DomainError(
                Code.UNKNOWN_COMMUNITY, f"导入{what}时须指定社区", field="community"
            )
        _require_operator(actor, community)
    if not path.is_file():
        raise DomainError(Code.OSM_FILE_NOT_FOUND, f"找不到文件:{path}", field="path")
    sha256 = _sha256(path)
    clip = ",".join(f"{x:.7f}" for x in bbox) if bbox is not None else ""
    same = StreetNetwork.objects.defer("data").filter(source_sha256=sha256, clip=clip)
    if (
        not (import_shops or import_compounds)
        and (existing := same.first()) is not None
    ):
        return ImportResult(
            network=existing,
            candidates_created=0,
            candidates_skipped=0,
            pois_seen=0,
            already_imported=True,
        )
    try:
        extract = read_extract(
            str(path), bbox=bbox, with_pois=import_shops, progress=progress
        )
        drafts = _compound_drafts(path, bbox) if import_compounds else []
    except OsmReadError as exc:
        raise DomainError(
            Code.OSM_FILE_UNREADABLE,
            f"无法读取OpenStreetMap文件(文件损坏或格式不对):{exc}",
            field="path",
        ) from None
    existing = same.first()
    graph = _walking_graph(extract, bbox=bbox) if existing is None else None
    network = existing or StreetNetwork(
        name=name or path.stem,
        source_name=path.name,
        source_sha256=sha256,
        clip=clip,
        **(_graph_fields(graph) if graph is not None else {}),
        imported_at=clock.now(),
        imported_by=actor if actor is not None and actor.is_authenticated else None,
    )
    replaces = [] if existing else _replacements(network)
    smaller = [r for r in replaces if r.smaller]
    if smaller and not allow_smaller:
        raise DomainError(
            Code.NETWORK_SMALLER,
            "新路网的范围小于以下社区正在使用的路网,导入会让部分道路消失:"
            + ";".join(r.describe() for r in smaller)
            + "。确需替换请加 --allow-smaller。",
            field="bbox" if bbox is not None else "path",
        )
    with transaction.atomic():
        if existing is None:
            network.save()
        created, skipped = (0, 0)
        compounds = (0, 0)
        if import_compounds:
            compounds = places_services.import_compounds(
                actor=actor,
                community=community,
                drafts=drafts,
                reason="从OpenStreetMap导入(户数按楼栋估算)",
            )
        if import_shops:
            created, skipped = _create_candidates(
                extract, community=community, actor=actor
            )
    return ImportResult(
        network=network,
        candidates_created=created,
        candidates_skipped=skipped,
        pois_seen=len(extract.pois),
        skipped=extract.skipped,
        already_imported=existing is not None,
        replaces=replaces,
        compounds_created=compounds[0],
        compounds_skipped=compounds[1],
    )


def _compound_drafts(path: Path, bbox) -> list:
    """The extract's named residential areas as compound drafts for places."""
    from quarter.coverage.osm_compounds import read_compounds

    return [
        places_services.CompoundDraft(
            name=e.name,
            lat=e.lat,
            lng=e.lng,
            households=e.households,
            population=e.population,
            source=f"osm:{e.ref}",
            outline=e.outline,
            how=(
                f"{e.buildings}栋楼 共{e.floor_m2}平方米 ÷ 90平方米"
                if e.how == "buildings"
                else f"占地{e.land_m2}平方米 × 容积率1.5 ÷ 90平方米"
            ),
        )
        for e in read_compounds(str(path), bbox=bbox)
    ]


def _graph_fields(graph: StreetGraph) -> dict:
    return {
        "min_lat": float(graph.node_lat.min()),
        "min_lng": float(graph.node_lng.min()),
        "max_lat": float(graph.node_lat.max()),
        "max_lng": float(graph.node_lng.max()),
        "node_count": graph.node_count,
        "edge_count": graph.edge_count,
        "length_km": round(float(graph.edge_len.sum()) / 1000, 3),
        "data": graph.to_npz_bytes(),
    }


def _replacements(network: StreetNetwork) -> list[Replacement]:
    """Which communities would move to the (unsaved) `network`, and from what."""
    moves = []
    for community in Community.objects.order_by("id"):
        points = eng.community_points(community)
        if eng.network_for(community, points=points, extra=network) is not network:
            continue
        previous = eng.network_for(community, points=points)
        moves.append(
            Replacement(
                community=community,
                previous=previous,
                smaller=previous is not None and not network.contains(previous),
            )
        )
    return moves


def _walking_graph(extract: Extract, *, bbox) -> StreetGraph:
    if extract.edge_u.size == 0:
        where = "所选范围(bbox)内" if bbox is not None else "文件中"
        raise DomainError(
            Code.NO_WALKABLE_WAYS,
            f"{where}没有可步行的道路,未导入任何数据",
            field="bbox" if bbox is not None else "path",
        )
    graph = StreetGraph(
        node_lat=extract.node_lat,
        node_lng=extract.node_lng,
        edge_u=extract.edge_u,
        edge_v=extract.edge_v,
        edge_len=extract.edge_len,
        edge_name=extract.edge_name,
        edge_rank=extract.edge_rank,
        names=extract.names,
    )
    return graph.keep_main_components()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _require_operator(actor, community: Community) -> None:
    # SYSTEM (the command line) passes; see quarter.places.access.
    from quarter.places.access import require_operator_of

    require_operator_of(actor, community)


def _create_candidates(
    extract: Extract, *, community: Community, actor
) -> tuple[int, int]:
    from quarter.places import events
    from quarter.places.services import reindex_merchants

    types = {bt.code: bt for bt in BusinessType.objects.all()}
    tag_map = build_tag_map((bt.code, bt.osm_tags) for bt in types.values())
    existing = set(
        Merchant.objects.filter(community=community)
        .exclude(osm_ref="")
        .values_list("osm_ref", flat=True)
    )
    created, skipped = [], 0
    for poi in extract.pois:
        code = classify_poi(poi.tags, tag_map)
        if code is None:
            continue
        if poi.ref in existing:
            skipped += 1
            continue
        existing.add(poi.ref)
        created.append(_candidate(poi, types[code], community))
    Merchant.objects.bulk_create(created, batch_size=500)
    saved = list(
        Merchant.objects.filter(
            community=community, osm_ref__in=[m.osm_ref for m in created]
        )
    )
    for merchant in saved:
        events.record(
            merchant,
            MerchantEvent.Kind.APPLIED,
            actor=actor,
            reason="从OpenStreetMap导入,待审核",
        )
    reindex_merchants([m.pk for m in saved])
    return len(saved), skipped


def _candidate(poi, business_type: BusinessType, community: Community) -> Merchant:
    t = poi.tags
    street = " ".join(
        x for x in (t.get("addr:street", ""), t.get("addr:housenumber", "")) if x
    )
    return Merchant(
        community=community,
        name=(poi.name or business_type.name_zh)[:80],
        main_type=business_type,
        address=(street or t.get("addr:full", "") or "—")[:200],
        lat=poi.lat,
        lng=poi.lng,
        phone=(t.get("phone") or t.get("contact:phone") or "")[:20],
        contact_person="",
        is_chain=bool(t.get("brand")),
        brand_name=t.get("brand", "")[:60],
        admission=Admission.APPLIED,
        status=MerchantStatus.OPEN,
        status_since=clock.local_now().date(),
        osm_ref=poi.ref,
    )


def refresh_communities_on(*, actor, network: StreetNetwork) -> list[str]:
    """Recompute every community that uses `network` now; return their names.

    Raises `not_community_operator` before any work unless `actor` may
    compute every one of them.
    """
    communities = [
        c for c in Community.objects.order_by("id") if eng.network_for(c) == network
    ]
    for community in communities:
        access.require_compute_for(actor, community)
    for community in communities:
        refresh_community(actor=actor, community=community)
    return [community.name for community in communities]
